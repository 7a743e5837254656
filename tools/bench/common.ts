// Shared benchmark plumbing: round-robin timing and the --json result file.
import { writeFileSync } from 'node:fs';
import { cpuModel } from '../machine.js';

export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

/**
 * Times several implementations of the same work round-robin: each round runs
 * every one once, so background load on this shared machine hits all of them
 * alike and their ratios stay fair. At least `minRounds`, about `budgetMs` in all.
 */
export function timeInterleaved(fns: (() => void)[], { minRounds = 9, budgetMs = 3000, warmup = 2 } = {}): Timing[] {
  for (let i = 0; i < warmup; i++) fns.forEach((f) => f());
  const samples: number[][] = fns.map(() => []);
  const start = performance.now();
  for (let round = 0; round < minRounds || (performance.now() - start < budgetMs && round < 500); round++) {
    fns.forEach((f, i) => {
      const t0 = performance.now();
      f();
      samples[i].push(performance.now() - t0);
    });
  }
  return samples.map((s) => {
    s.sort((a, b) => a - b);
    return { medianMs: s[s.length >> 1], minMs: s[0], maxMs: s[s.length - 1], runs: s.length };
  });
}

/** Writes `{cpu, node, ...extra, rows}`: the CPU model and Node version come with every result. */
export function writeRows(file: string | undefined, rows: object[], extra: object = {}): void {
  if (!file) return;
  writeFileSync(file, JSON.stringify({ cpu: cpuModel(), node: process.version, ...extra, rows }, null, 1) + '\n');
  console.log(`wrote ${rows.length} rows to ${file}`);
}
