/**
 * The batch's input: NDJSON, one command per line in the seed's JSON tags (as Command.fromJSON reads
 * them, plus env). Blank lines are skipped. A line that is not JSON, not a valid command, or repeats an
 * id becomes a Problem with its line number; every other line becomes a Job.
 */
import { Command } from '../command.js';

export interface Job {
  /** 1-based line number in the input. */
  line: number;
  command: Command;
}

export interface Problem {
  line: number;
  /** The id the line gives, when it gives a string one. */
  id: string | null;
  message: string;
}

export function parseJobs(text: string): { jobs: Job[]; problems: Problem[] } {
  const jobs: Job[] = [];
  const problems: Problem[] = [];
  const firstLine = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const source = lines[i]!.trim();
    if (source === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(source);
    } catch (error) {
      problems.push({ line, id: null, message: `not valid JSON: ${(error as Error).message}` });
      continue;
    }
    const id = json !== null && typeof json === 'object' && typeof (json as { id?: unknown }).id === 'string'
      ? (json as { id: string }).id
      : null;
    let command: Command;
    try {
      command = Command.fromJSON(json);
    } catch (error) {
      problems.push({ line, id, message: (error as Error).message });
      continue;
    }
    const seen = firstLine.get(command.id);
    if (seen !== undefined) {
      problems.push({ line, id, message: `duplicate id ${JSON.stringify(command.id)} (first on line ${seen})` });
      continue;
    }
    firstLine.set(command.id, line);
    jobs.push({ line, command });
  }
  return { jobs, problems };
}
