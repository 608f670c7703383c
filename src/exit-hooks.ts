/**
 * Kills the supervisors' children when the embedding process exits: on 'exit' (normal end,
 * process.exit()), and on SIGINT, SIGTERM and SIGHUP. Listening to a signal turns off Node's default of
 * dying from it, so when no listener of the application's own remains we kill the children, remove our
 * listeners and raise the signal again: the application dies of it as it would have without us. When the
 * application listens itself, the signal is its to handle; our 'exit' hook still runs if it exits.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface ExitHookClient {
  /** Synchronously kills every child that must not outlive the process. */
  killAllSync(): void;
}

const clients = new Set<ExitHookClient>();

function killAll(): void {
  for (const client of clients) client.killAllSync();
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return; // the application handles it
  killAll();
  uninstall();
  process.kill(process.pid, signal);
}

function install(): void {
  process.on('exit', killAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  process.off('exit', killAll);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

export function addExitHook(client: ExitHookClient): void {
  if (clients.size === 0) install();
  clients.add(client);
}

export function removeExitHook(client: ExitHookClient): void {
  if (clients.delete(client) && clients.size === 0) uninstall();
}
