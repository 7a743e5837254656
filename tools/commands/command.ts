import type { ArgSpec } from '../args.js';

/** One `bexnet <name>` command. */
export interface Command {
  name: string;
  summary: string;
  /** Full usage text shown by `--help`. */
  usage: string;
  options: ArgSpec;
  positionals?: number;
  run(options: Record<string, string | boolean>, positionals: string[]): Promise<void>;
}

/** Human-readable bytes. */
export const kb = (n: number): string => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

/** Left-aligned text columns. */
export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0].map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  return cells.map((r) => r.map((c, j) => c.padEnd(widths[j])).join('  ').trimEnd()).join('\n');
}
