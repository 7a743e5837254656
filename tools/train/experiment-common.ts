// What the long experiments (experiment-binarization.ts, experiment-expander.ts,
// experiment-hybrid.ts, tune-recipe.ts) share: a job as a child process, a queue of them run
// a few at a time, the results file written whole or not at all, the --last-start deadline, and
// the mean and spread over seeds.
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { orExit, UsageError } from '../args.js';

/** Mean of the seeds' results. */
export const mean = (a: readonly number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
/** Sample standard deviation over seeds (0 for one seed). */
export const std = (a: readonly number[]): number => (a.length > 1 ? Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / (a.length - 1)) : 0);

/** Epochs per variant as results files record them: one number when every variant trains as long, else the map. */
export function epochCounts<K extends string>(byVariant: Partial<Record<K, number>>): number | Partial<Record<K, number>> {
  const counts = new Set(Object.values(byVariant) as number[]);
  return counts.size === 1 ? [...counts][0]! : byVariant;
}

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
export function writeResultsAtomic(file: string, data: unknown, indent = 2): void {
  writeFileSync(file + '.tmp', JSON.stringify(data, null, indent) + '\n');
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

export interface QueueOptions<J, R> {
  /** Jobs at a time. */
  parallel: number;
  /** Epoch ms after which no job starts (lastStartDeadline); Infinity for none. */
  lastStart?: number;
  /** The job's name in messages. */
  key: (job: J) => string;
  run: (job: J) => Promise<R>;
  /** Jobs of the whole plan, earlier runs' finished ones included (default: these jobs), for `progress`. */
  planned?: number;
  /** A finished job's result (record it, save the results file, report); `progress` is "finished/planned". */
  done: (result: R, progress: string) => void;
}

/**
 * Runs the jobs `parallel` at a time, in order. A job that fails is reported and left for the
 * next run while the others go on, so one bad job does not throw away the hours of the ones
 * beside it; the caller exits non-zero when any failed. Returns the failed jobs' keys.
 */
export async function runQueue<J, R>(jobs: readonly J[], o: QueueOptions<J, R>): Promise<string[]> {
  const queue = [...jobs], failed: string[] = [];
  const lastStart = o.lastStart ?? Infinity;
  const planned = o.planned ?? jobs.length;
  let finished = planned - jobs.length;
  async function worker() {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      if (Date.now() > lastStart) {
        console.error(`--last-start passed: not starting ${[next, ...queue].map(o.key).join(', ')}`);
        queue.length = 0;
        break;
      }
      let result: R;
      try {
        result = await o.run(next);
      } catch (e) {
        failed.push(o.key(next));
        console.error(`job ${o.key(next)} failed, left for the next run: ${(e as Error).message}`);
        continue;
      }
      o.done(result, `${++finished}/${planned}`);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallel, queue.length)) }, worker));
  if (failed.length) console.error(`${failed.length} job(s) failed: ${failed.join(', ')}; a rerun with the same --json runs them again`);
  return failed;
}
