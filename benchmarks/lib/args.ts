/** The bench's command line: --scope a,b  --out path  --smoke  --help. */

export interface Args {
  scopes: string[] | undefined;
  out: string | undefined;
  smoke: boolean;
  help: boolean;
}

export function parseArgs(argv: readonly string[], known: readonly string[]): Args {
  const args: Args = { scopes: undefined, out: undefined, smoke: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new TypeError(`Expected a value after \`${flag}\`, got nothing.`);
      return v;
    };
    if (flag === '--smoke') args.smoke = true;
    else if (flag === '--help' || flag === '-h') args.help = true;
    else if (flag === '--out') args.out = value();
    else if (flag === '--scope' || flag === '--scopes') {
      const scopes = value().split(',').map((s) => s.trim()).filter(Boolean);
      for (const scope of scopes) {
        if (!known.includes(scope)) throw new TypeError(`Expected \`--scope\` to list ${known.join(', ')}, got \`${scope}\`.`);
      }
      args.scopes = [...(args.scopes ?? []), ...scopes];
    } else throw new TypeError(`Expected --scope, --out, --smoke or --help, got \`${arg}\`.`);
  }
  return args;
}
