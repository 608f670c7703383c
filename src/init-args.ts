/**
 * InitArgs and the dockerinit flags that carry them from a driver to the init program:
 *   INIT -driver NAME -u USER -g GATEWAY -i IP -w WORKDIR -privileged=BOOL -mtu N -- ENTRYPOINT ARGS...
 * The environment travels as the init program's own environment (InitArgs.env).
 */
export interface InitArgs {
  user: string;
  gateway: string;
  ip: string;
  workDir: string;
  privileged: boolean;
  /** "KEY=value" entries. */
  env: string[];
  /** The entrypoint and its arguments. */
  args: string[];
  mtu: number;
  driver: string;
}

/** Runs the command described by InitArgs and resolves with the exit status the init program exits with. */
export type InitFunc = (args: InitArgs) => Promise<number>;

export function formatInitFlags(args: Omit<InitArgs, 'env'>): string[] {
  return [
    '-driver', args.driver,
    '-u', args.user,
    '-g', args.gateway,
    '-i', args.ip,
    '-w', args.workDir,
    `-privileged=${args.privileged}`,
    '-mtu', String(args.mtu),
    '--', ...args.args,
  ];
}

const STRING_FLAGS: Record<string, 'driver' | 'user' | 'gateway' | 'ip' | 'workDir'> = {
  driver: 'driver', u: 'user', g: 'gateway', i: 'ip', w: 'workDir',
};

/** Parses Go-style flags (-name value, -name=value, --name; -privileged alone means true). */
export function parseInitFlags(argv: readonly string[], env: NodeJS.ProcessEnv = {}): InitArgs {
  const out: InitArgs = { user: '', gateway: '', ip: '', workDir: '', privileged: false, env: [], args: [], mtu: 1500, driver: '' };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { i++; break; }
    if (!arg.startsWith('-') || arg === '-') break;
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (name === 'privileged') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') throw new TypeError(`init: -privileged must be true or false, got "${inline}"`);
      out.privileged = inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new TypeError(`init: flag -${name} needs a value`);
    if (name === 'mtu') {
      const mtu = Number(value);
      if (!Number.isInteger(mtu) || mtu < 0) throw new TypeError(`init: -mtu must be a non-negative integer, got "${value}"`);
      out.mtu = mtu;
    } else if (STRING_FLAGS[name]) {
      out[STRING_FLAGS[name]] = value;
    } else {
      throw new TypeError(`init: unknown flag -${name}`);
    }
  }
  out.args = argv.slice(i);
  out.env = Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  return out;
}
