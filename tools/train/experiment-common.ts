// What the long experiments (experiment-binarization.ts, experiment-expander.ts,
// experiment-hybrid.ts, tune-recipe.ts) share: a job as a child process, the results file
// written whole or not at all, and the --last-start deadline.
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { orExit, UsageError } from '../args.js';

/**
 * Runs `node SCRIPT --job KEY ...args` (the script's own job mode); its result is the JSON on
 * the last line of its stdout, its progress on the inherited stderr.
 */
export function runJobProcess<T>(script: string, key: string, args: readonly string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script, '--job', key, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`job ${key} exited with ${code}`));
      try { resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '')); } catch { reject(new Error(`job ${key}: no result`)); }
    });
  });
}

/** Writes `data` as JSON to `file` through a temporary file, so a results file is never half-written. */
export function writeResultsAtomic(file: string, data: unknown): void {
  writeFileSync(file + '.tmp', JSON.stringify(data, null, 2) + '\n');
  renameSync(file + '.tmp', file);
}

/** --last-start HH:MM (UTC) as the epoch ms of its next occurrence; Infinity when not given. */
export function lastStartDeadline(value: string | undefined, now = Date.now()): number {
  if (value === undefined) return Infinity;
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!m) return orExit(() => { throw new UsageError(`--last-start must be HH:MM (UTC), got '${value}'`); });
  const t = new Date(now); t.setUTCHours(Number(m[1]), Number(m[2]), 0, 0);
  return t.getTime() < now ? t.getTime() + 86_400_000 : t.getTime();
}
