/**
 * The durable state of restorable runs, one entry per command id under the state dir:
 *   entries/<id>.json   written by the supervisor: the Command's seed JSON, status, pid, start time, result
 *   entries/<id>.pid    written by the shim once the command has exec'd: pid, start time, shim pid and start time
 *   exits/<id>.json     written by the shim once the command's tree is reaped: the real exit status and usage
 * Every write is atomic (temp file + rename), mode 0600. A corrupt or half-written file is an
 * ERR_STATE_CORRUPT error for that id only, naming the file.
 */
import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, type CommandJSON } from '../command.js';
import { ExecDriverError, describe } from '../errors.js';
import type { ExitResult } from '../result.js';

export type Status = 'starting' | 'running' | 'exited';

export interface Entry {
  version: 1;
  id: string;
  command: CommandJSON;
  status: Status;
  pid: number | null;
  startTime: number | null;
  /** Wall clock (ms since the epoch) when the entry was created and when the command was seen started. */
  createdAtMs: number;
  startedAtMs: number | null;
  /** The supervisor process that started the run (pid and start time). */
  owner: { pid: number; startTime: number };
  result: ExitResult | null;
}

/** What the shim records when the command's tree is gone (code -1 and signo for a signal death). */
export interface ExitRecord {
  pid: number;
  startTime: number;
  code: number;
  signo: number;
  utimeUs: number;
  stimeUs: number;
  maxRssKb: number;
  /** Fork to exit, by the shim's monotonic clock (absent in records of older shims). */
  wallUs?: number;
  exitedAtMs: number;
}

export interface PidRecord {
  pid: number;
  startTime: number;
  shimPid: number;
  shimStartTime: number;
}

const STATUSES = new Set<Status>(['starting', 'running', 'exited']);
const ID_FILE = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,127})\.json$/;

export class ErrStateCorrupt extends ExecDriverError {
  readonly id: string;
  readonly path: string;
  constructor(id: string, path: string, detail: string, cause?: unknown) {
    super('ERR_STATE_CORRUPT', `The state of command "${id}" is unreadable (${path})`, detail, { cause });
    this.id = id;
    this.path = path;
  }
}

export class StateStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  entryPath(id: string): string {
    return join(this.dir, 'entries', `${id}.json`);
  }

  pidPath(id: string): string {
    return join(this.dir, 'entries', `${id}.pid`);
  }

  exitPath(id: string): string {
    return join(this.dir, 'exits', `${id}.json`);
  }

  get exitsDir(): string {
    return join(this.dir, 'exits');
  }

  /** Atomic and synchronous: a run's entry must be on disk before its start callback fires. */
  write(entry: Entry): void {
    const path = this.entryPath(entry.id);
    const tmp = `${path}.tmp.${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    renameSync(tmp, path);
  }

  /** The entry, undefined when there is none; ErrStateCorrupt when it cannot be read back. */
  readSync(id: string): Entry | undefined {
    const path = this.entryPath(id);
    const text = readOwnFile(id, path);
    return text === undefined ? undefined : parseEntry(id, path, text);
  }

  readExitSync(id: string): ExitRecord | undefined {
    const path = this.exitPath(id);
    const text = readOwnFile(id, path);
    return text === undefined ? undefined : parseExit(id, path, text);
  }

  readPidSync(id: string): PidRecord | undefined {
    const path = this.pidPath(id);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
    const j = parseJson(id, path, text);
    for (const key of ['pid', 'startTime', 'shimPid', 'shimStartTime'] as const) {
      if (!isInt(j[key], key.endsWith('Pid') || key === 'pid' ? 1 : 0)) throw new ErrStateCorrupt(id, path, `\`${key}\` is ${describe(j[key])}`);
    }
    return j as unknown as PidRecord;
  }

  /** Every id with an entry (file names that are not ids, temp files included, are ignored). */
  async ids(): Promise<string[]> {
    const names = await readdir(join(this.dir, 'entries')).catch(() => [] as string[]);
    return names.map((n) => ID_FILE.exec(n)?.[1]).filter((id): id is string => id !== undefined).sort();
  }

  /** Ids with an exit file (one readdir: the poller's cheap check). */
  exitIdsSync(): string[] {
    return readdirSync(this.exitsDir).map((n) => ID_FILE.exec(n)?.[1]).filter((id): id is string => id !== undefined);
  }

  /** Removes the pid and exit files of an id (before a new run of it). */
  clearRuntime(id: string): void {
    rmSync(this.pidPath(id), { force: true });
    rmSync(this.exitPath(id), { force: true });
  }

  remove(id: string): void {
    this.clearRuntime(id);
    rmSync(this.entryPath(id), { force: true });
  }
}

function parseJson(id: string, path: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ErrStateCorrupt(id, path, `not JSON (${text.length} bytes): ${(error as Error).message}`, error);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ErrStateCorrupt(id, path, `expected an object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

function isInt(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

function parseEntry(id: string, path: string, text: string): Entry {
  const j = parseJson(id, path, text);
  const bad = (field: string) => new ErrStateCorrupt(id, path, `\`${field}\` is ${describe(j[field])}`);
  if (j.version !== 1) throw bad('version');
  if (j.id !== id) throw bad('id');
  if (!STATUSES.has(j.status as Status)) throw bad('status');
  if (j.pid !== null && !isInt(j.pid, 1)) throw bad('pid');
  if (j.startTime !== null && !isInt(j.startTime, 0)) throw bad('startTime');
  if ((j.pid === null) !== (j.startTime === null)) throw bad('startTime');
  if (!isInt(j.createdAtMs, 0)) throw bad('createdAtMs');
  if (j.startedAtMs !== null && !isInt(j.startedAtMs, 0)) throw bad('startedAtMs');
  const owner = j.owner as Entry['owner'] | undefined;
  if (!owner || !isInt(owner.pid, 1) || !isInt(owner.startTime, 0)) throw bad('owner');
  const result = j.result as ExitResult | null;
  if (result !== null && (typeof result !== 'object' || typeof result.exitCode !== 'number')) throw bad('result');
  if (j.status === 'exited' && result === null) throw bad('result');
  try {
    const command = Command.fromJSON(j.command);
    if (command.id !== id) throw new TypeError(`its id is ${describe(command.id)}`);
  } catch (error) {
    throw new ErrStateCorrupt(id, path, `\`command\` is not a Command's seed JSON: ${(error as Error).message}`, error);
  }
  return j as unknown as Entry;
}

function parseExit(id: string, path: string, text: string): ExitRecord {
  const j = parseJson(id, path, text);
  for (const key of ['pid', 'startTime', 'code', 'signo', 'utimeUs', 'stimeUs', 'maxRssKb', 'exitedAtMs'] as const) {
    if (!isInt(j[key], key === 'code' ? -1 : key === 'pid' ? 1 : 0)) throw new ErrStateCorrupt(id, path, `\`${key}\` is ${describe(j[key])}`);
  }
  if (j.wallUs !== undefined && !isInt(j.wallUs, 0)) throw new ErrStateCorrupt(id, path, `\`wallUs\` is ${describe(j.wallUs)}`);
  return j as unknown as ExitRecord;
}

/** A state file's text; undefined when there is none; ErrStateCorrupt naming it when it cannot be read. */
function readOwnFile(id: string, path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ErrStateCorrupt(id, path, (error as Error).message, error);
  }
}
