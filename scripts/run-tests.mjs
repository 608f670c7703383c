#!/usr/bin/env node
/**
 * Runs every compiled test file (dist/test/**\/*.test.js) with node's test runner, one file at a time.
 * Node 20 takes a directory after --test, Node 22 takes files and globs instead: naming the files works on
 * both, and keeps helper modules from running as empty test files. Extra arguments go to node --test.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

const files = testFiles('dist/test').sort();
if (files.length === 0) {
  console.error('no test files under dist/test: run npm run build first');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...process.argv.slice(2), ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
