import { usageText, type OptionSpecs, type OptionValues } from '../args.js';

/** One `bexnet <name>` command (its one-line summary is in tools/cli.ts's list); the CLI reads its options with readOptions (tools/args.ts). */
export interface Command<S extends OptionSpecs = OptionSpecs> {
  name: string;
  /** Full usage text shown by `--help` (commandUsage builds it from the option spec). */
  usage: string;
  options: S;
  positionals?: number;
  run(options: OptionValues<S>, positionals: string[]): Promise<void>;
}

/** A command's usage text: synopsis, the option lines generated from its spec, then notes. */
export function commandUsage(synopsis: string, options: OptionSpecs, notes = ''): string {
  return [synopsis, usageText(options), notes].filter(Boolean).join('\n');
}

/** Human-readable bytes. */
export const kb = (n: number): string => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

/** Left-aligned text columns. */
export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0].map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  return cells.map((r) => r.map((c, j) => c.padEnd(widths[j])).join('  ').trimEnd()).join('\n');
}
