/** The plain piscina peer's task: execa in a worker thread, nothing of ours around it. */
import { execa } from 'execa';

export interface ExecaTask {
  file: string;
  args: string[];
}

export default async function execaTask({ file, args }: ExecaTask): Promise<number> {
  const result = await execa(file, args, { stdio: 'ignore', reject: false });
  return result.exitCode ?? -1;
}
