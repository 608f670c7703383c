/** The shapes every scope returns: printable tables, raw data for the JSON report, and goal verdicts. */

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  notes?: string[];
}

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  /** null when the scope could not measure it. */
  met: boolean | null;
}

export interface ScopeContext {
  smoke: boolean;
  log(line: string): void;
}

export interface ScopeOutput {
  title: string;
  params: Record<string, unknown>;
  /** Raw per-round figures, for the JSON report. */
  data: unknown;
  tables: Table[];
  goals: Goal[];
  notes: string[];
  /** Set when a run failed (a job exited non-zero): the figures measure nothing and the bench fails. */
  failures?: string[];
}

export interface Scope {
  name: string;
  description: string;
  run(ctx: ScopeContext): Promise<ScopeOutput>;
}
