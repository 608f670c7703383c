#!/usr/bin/env node
/** The shipped init program (`defaultInitPath`): the command's first process when a Command has initPath. */
import { initMain } from './init-main.js';

await initMain();
