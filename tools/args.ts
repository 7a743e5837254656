// Command-line arguments for bexnet's commands and scripts: `--name value`,
// `--flag`, and positionals. Anything unexpected is a UsageError with one clear line.
// An option spec (name → kind, type, default, help; built with `opt`) gives typed,
// validated values (readOptions) and the usage text (usageText); runScript does both
// for a script, with --help. The older per-option helpers below the spec API stay for
// scripts not converted yet.

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

// ---------------------------------------------------------------------------
// Option specs

interface Base<T> { help: string; default?: T; required?: boolean; placeholder?: string }
export type OptionSpec =
  | (Base<boolean> & { type: 'flag' })
  | (Base<number> & { type: 'int'; min: number })
  | (Base<number> & { type: 'number' })
  | (Base<string> & { type: 'string' })
  | (Base<string> & { type: 'choice'; choices: readonly string[] })
  | (Base<number[]> & { type: 'ints'; min: number })
  | (Base<string[]> & { type: 'choices'; choices: readonly string[] });
export type OptionSpecs = Record<string, OptionSpec>;

type Typed<S> = S extends { type: 'flag' } ? boolean
  : S extends { type: 'int' | 'number' } ? number
  : S extends { type: 'choice'; choices: readonly (infer C)[] } ? C
  : S extends { type: 'string' } ? string
  : S extends { type: 'ints' } ? number[]
  : S extends { type: 'choices'; choices: readonly (infer C)[] } ? C[]
  : never;
/** What readOptions gives for a spec: flags are booleans; an option without default or required flag may be undefined. */
export type OptionValues<S extends OptionSpecs> = {
  [K in keyof S]: S[K] extends { type: 'flag' } ? boolean
    : S[K] extends { default: unknown } | { required: true } ? Typed<S[K]> : Typed<S[K]> | undefined
};

type Extra = { required?: boolean; placeholder?: string };
/** The spec's type, with `default` / `required: true` kept visible to OptionValues. */
type Made<T, D, O> = T & (D extends undefined ? unknown : { default: D }) & (O extends { required: true } ? { required: true } : unknown);
function made(type: string, help: string, def: unknown, o: Extra & object, more: object = {}) {
  return { type, help, ...more, ...(def === undefined ? {} : { default: def }), ...(o.required ? { required: true } : {}), ...(o.placeholder ? { placeholder: o.placeholder } : {}) };
}
/** Option spec constructors: `opt.int('batch size', 128)`, `opt.string('output', undefined, { required: true })` ... */
export const opt = {
  flag: (help: string) => ({ type: 'flag', help, default: false }) as const,
  /** An integer ≥ min (default 1). */
  int: <D extends number | undefined = undefined, O extends Extra & { min?: number } = {}>(help: string, def?: D, o?: O) =>
    made('int', help, def, o ?? {}, { min: o?.min ?? 1 }) as Made<{ type: 'int'; help: string; min: number; placeholder?: string }, D, O>,
  /** A positive finite number. */
  number: <D extends number | undefined = undefined, O extends Extra = {}>(help: string, def?: D, o?: O) =>
    made('number', help, def, o ?? {}) as Made<{ type: 'number'; help: string; placeholder?: string }, D, O>,
  string: <D extends string | undefined = undefined, O extends Extra = {}>(help: string, def?: D, o?: O) =>
    made('string', help, def, o ?? {}) as Made<{ type: 'string'; help: string; placeholder?: string }, D, O>,
  choice: <C extends string, D extends C | undefined = undefined, O extends Extra = {}>(choices: readonly C[], help: string, def?: D, o?: O) =>
    made('choice', help, def, o ?? {}, { choices }) as Made<{ type: 'choice'; choices: readonly C[]; help: string }, D, O>,
  /** Comma-separated integers ≥ min (default 0). */
  ints: (help: string, def: number[], o: { min?: number } = {}) => ({ type: 'ints', help, min: o.min ?? 0, default: def }) as { type: 'ints'; help: string; min: number; default: number[] },
  /** Comma-separated choices. */
  choices: <C extends string>(choices: readonly C[], help: string, def: C[]) => ({ type: 'choices', choices, help, default: def }) as
    { type: 'choices'; choices: readonly C[]; help: string; default: C[] },
};

function convert(name: string, s: OptionSpec, v: string): unknown {
  const bad = (what: string) => new UsageError(`--${name} must be ${what}, got '${v}'`);
  switch (s.type) {
    case 'int': {
      const n = v.trim() === '' ? NaN : Number(v);
      if (!Number.isInteger(n) || n < s.min) throw bad(`an integer ≥ ${s.min}`);
      return n;
    }
    case 'number': {
      const n = v.trim() === '' ? NaN : Number(v);
      if (!Number.isFinite(n) || n <= 0) throw bad('a positive number');
      return n;
    }
    case 'choice':
      if (!s.choices.includes(v)) throw bad(`one of ${s.choices.join(' | ')}`);
      return v;
    case 'ints': {
      const ns = v.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
      if (ns.some((n) => !Number.isInteger(n) || n < s.min)) throw bad(`integers ≥ ${s.min} separated by commas`);
      return ns;
    }
    case 'choices': {
      const cs = v.split(',');
      for (const c of cs) if (!s.choices.includes(c)) throw bad(`one or more of ${s.choices.join(',')} separated by commas`);
      return cs;
    }
    case 'string':
      return v;
    case 'flag':
      return true;
  }
}

/** Parses argv against a spec: typed values (defaults filled in), validated, required ones present. */
export function readOptions<S extends OptionSpecs>(argv: string[], spec: S, maxPositionals = 0): { options: OptionValues<S>; positionals: string[] } {
  const kinds: ArgSpec = Object.fromEntries(Object.entries(spec).map(([k, s]) => [k, s.type === 'flag' ? 'flag' : 'value']));
  const { options: raw, positionals } = parseArgs(argv, kinds, maxPositionals);
  const options: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(spec)) {
    const v = raw[name];
    if (v === undefined) {
      if (s.required) throw new UsageError(`--${name} is required${s.type === 'choice' ? ` (${s.choices.join(' | ')})` : ''}`);
      options[name] = s.default;
    } else options[name] = convert(name, s, v as string);
  }
  return { options: options as OptionValues<S>, positionals };
}

/** The option lines of a usage text, from the spec: `--name VALUE   help (default X)`. */
export function usageText(spec: OptionSpecs): string {
  const shown = (s: OptionSpec) => (Array.isArray(s.default) ? s.default.join(',') : String(s.default));
  const rows = Object.entries(spec).map(([name, s]) => {
    const value = s.type === 'flag' ? '' : ` ${s.type === 'choice' || s.type === 'choices' ? s.choices.join(s.type === 'choice' ? '|' : ',') : s.placeholder ?? (s.type === 'ints' ? 'N,N' : s.type === 'string' ? 'TEXT' : s.type === 'int' ? 'N' : 'X')}`;
    const def = s.required ? ' (required)' : s.type !== 'flag' && s.default !== undefined && !(Array.isArray(s.default) && !s.default.length) ? ` (default ${shown(s)})` : '';
    return [`${name.length === 1 ? '-' : '--'}${name}${value}`, `${s.help}${def}`];
  });
  const w = Math.min(34, Math.max(...rows.map((r) => r[0].length)));
  return rows.map(([l, r]) => (l.length > w ? `  ${l}\n  ${' '.repeat(w)}  ${r}` : `  ${l.padEnd(w)}  ${r}`)).join('\n');
}

/**
 * For scripts: --help prints `usage` (a synopsis line or paragraph) and the option
 * lines, exit 0; a bad argument prints one line, exit 2; otherwise the typed values.
 */
export function runScript<S extends OptionSpecs>(usage: string, spec: S, argv = process.argv.slice(2)): OptionValues<S> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: ${usage}\n${usageText(spec)}`);
    process.exit(0);
  }
  return orExit(() => readOptions(argv, spec).options);
}
