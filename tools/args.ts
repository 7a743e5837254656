// Command-line arguments for bexnet's commands and scripts: `--name value`,
// `--flag`, and positionals. Anything unexpected is a UsageError with one clear line.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type ArgSpec = Record<string, 'flag' | 'value'>;
export interface Args { options: Record<string, string | boolean>; positionals: string[] }

export function parseArgs(argv: string[], allowed: ArgSpec, maxPositionals = 0): Args {
  const options: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      if (positionals.length >= maxPositionals) throw new UsageError(`unexpected argument '${a}'`);
      positionals.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
    const kind = allowed[name];
    if (!kind) throw new UsageError(`unknown option '--${name}' (allowed: ${Object.keys(allowed).map((k) => '--' + k).join(', ')})`);
    if (kind === 'flag') options[name] = true;
    else if (inline !== undefined) options[name] = inline;
    else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new UsageError(`--${name} needs a value`);
      options[name] = argv[++i];
    }
  }
  return { options, positionals };
}

/** For scripts: a UsageError thrown by `read` prints one line and exits 2; other errors pass through. */
export function orExit<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`error: ${e.message}`);
    process.exit(2);
  }
}

/** For scripts: a bad argument prints one line and exits 2. */
export function parseArgsOrExit(argv: string[], allowed: ArgSpec, maxPositionals = 0): Args {
  return orExit(() => parseArgs(argv, allowed, maxPositionals));
}

/** A positive integer option, or the default. */
export function intOption(opts: Args['options'], name: string, def: number, min = 1): number {
  const v = opts[name];
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${v}'`);
  return n;
}

export function numberOption(opts: Args['options'], name: string, def: number): number {
  const v = opts[name];
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got '${v}'`);
  return n;
}

export function choiceOption<T extends string>(opts: Args['options'], name: string, choices: readonly T[], def?: T): T {
  const v = opts[name];
  if (v === undefined) {
    if (def === undefined) throw new UsageError(`--${name} is required (${choices.join(' | ')})`);
    return def;
  }
  if (!choices.includes(v as T)) throw new UsageError(`--${name} must be one of ${choices.join(' | ')}, got '${v}'`);
  return v as T;
}
