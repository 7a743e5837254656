/**
 * Long fuzz of the .bxn reader + runtime (issues 3, 8). Two generators per build:
 * 'mutate' (byte and structure mutants of random valid models) and 'hostile'
 * (structurally valid models built from the op registry, tools/fuzz/hostile.ts).
 * Each file is loaded under caps and, when it loads, run once. Allowed outcomes:
 * a BxnFormatError, or a load whose output and memory stay in bounds. Counted as
 * failures: any other exception, a wasm trap, a mutant slower than --slow-ms, a hang.
 *
 * The loop runs in a worker; the main thread watches a shared progress counter and
 * kills the worker if one mutant takes longer than --hang-ms (a real hang), records
 * it, and resumes after that mutant. Mutant i depends only on (seed, i): replayable.
 *
 *   npm run fuzz -- [--mutants 100000] [--seed 1] [--backends simd,scalar,debug] [--json tools/results/fuzz.json]
 *   replay mutant i:  node dist/fuzz.mjs --seed S --start i --mutants i+1 --backends simd
 * Rows in --json: { generator, build, mutants, loaded, typedErrors, otherErrors, traps, hangs, maxMemoryBytes, slowestLoadMs, ... }.
 */
import { opt, runScript } from './args.js';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { loadKernels, loadModelSync } from '../sdk/index.js';
import { sealBxn, writeBxn } from '../sdk/format/index.js';
import { randomSource as makeRng } from '../sdk/prng.js';
import { hostileModel } from './fuzz/hostile.js';
import { randomModel } from './fuzz/models.js';
import { mutate, mutateSpec, tryMutant } from './fuzz/mutate.js';
import { kernelBytes } from './node-kernels.js';
import { writeRows } from './bench/common.js';

type Generator = 'mutate' | 'hostile';
const GENERATORS: Generator[] = ['mutate', 'hostile'];
const BUILDS = ['simd', 'scalar', 'debug'] as const;

const CAPS = { maxWeightBytes: 4 << 20, maxArenaBytes: 4 << 20, maxMacs: 50_000_000 };
const BASE_MODELS = 32;

interface Job { generator: Generator; backend: 'simd' | 'scalar' | 'debug'; seed: number; start: number; end: number; slowMs: number; skip: number[]; progress: SharedArrayBuffer }
interface Tally {
  loaded: number; typedErrors: number; otherErrors: number; traps: number; slow: number; problems: number;
  maxMemoryBytes: number; slowestMs: number; codes: Record<string, number>; failures: string[];
}

const emptyTally = (): Tally => ({ loaded: 0, typedErrors: 0, otherErrors: 0, traps: 0, slow: 0, problems: 0, maxMemoryBytes: 0, slowestMs: 0, codes: {}, failures: [] });

async function workerMain(job: Job) {
  // 'debug' is the scalar build with kernel preconditions asserted: an assertion is an 'other' error.
  const backend = job.backend === 'debug' ? 'scalar' : job.backend;
  const kernels = await loadKernels({ wasm: { [backend]: kernelBytes(job.backend) }, backend });
  const baseRng = makeRng(job.seed);
  const specs = Array.from({ length: BASE_MODELS }, () => randomModel(baseRng, { maxLayers: 8 }).model);
  const bases = specs.map((spec) => writeBxn(spec));
  const progress = new Int32Array(job.progress);
  const t = emptyTally();
  for (let i = job.start; i < job.end; i++) {
    Atomics.store(progress, 0, i);
    if (i > job.start && i % 500 === 0) parentPort!.postMessage({ partial: t, upTo: i }); // kept if a later mutant hangs
    if (job.skip.includes(i)) continue; // hung in an earlier worker; counted as a hang
    const rng = makeRng((job.seed * 0x9e3779b1 + i) >>> 0);
    // One in five mutants is structure-aware (a changed attribute, re-written); the rest are byte-level.
    const mutant = job.generator === 'hostile' ? hostileModel(rng)
      : i % 5 === 4 ? writeBxn(mutateSpec(rng, specs[i % BASE_MODELS])) : mutate(rng, bases[i % BASE_MODELS], sealBxn);
    const r = tryMutant(mutant, kernels, CAPS, rng, loadModelSync);
    t.slowestMs = Math.max(t.slowestMs, r.ms);
    t.maxMemoryBytes = Math.max(t.maxMemoryBytes, r.memoryBytes);
    if (r.ms > job.slowMs) { t.slow++; t.failures.push(`mutant ${i}: ${r.ms.toFixed(0)} ms`); }
    if (r.kind === 'loaded') t.loaded++;
    else if (r.kind === 'typed') { t.typedErrors++; t.codes[r.code!] = (t.codes[r.code!] ?? 0) + 1; }
    else if (r.kind === 'trap') { t.traps++; t.failures.push(`mutant ${i}: trap ${(r.error as Error).message}`); }
    else { t.otherErrors++; t.failures.push(`mutant ${i}: ${(r.error as Error)?.stack ?? r.error}`); }
    if (r.problem) { t.problems++; t.failures.push(`mutant ${i}: ${r.problem}`); }
    if (t.failures.length > 50) t.failures.length = 50;
  }
  Atomics.store(progress, 0, job.end);
  parentPort!.postMessage({ tally: t });
}

function merge(a: Tally, b: Tally): Tally {
  const codes = { ...a.codes };
  for (const [k, v] of Object.entries(b.codes)) codes[k] = (codes[k] ?? 0) + v;
  return {
    loaded: a.loaded + b.loaded, typedErrors: a.typedErrors + b.typedErrors, otherErrors: a.otherErrors + b.otherErrors,
    traps: a.traps + b.traps, slow: a.slow + b.slow, problems: a.problems + b.problems,
    maxMemoryBytes: Math.max(a.maxMemoryBytes, b.maxMemoryBytes), slowestMs: Math.max(a.slowestMs, b.slowestMs),
    codes, failures: [...a.failures, ...b.failures].slice(0, 50),
  };
}

/**
 * Run mutants [start, end) in a worker; resolve with its tally, or with the index it hung
 * on plus the last partial tally it reported (mutants [start, upTo)).
 */
function runSegment(job: Omit<Job, 'progress'>, hangMs: number): Promise<{ tally: Tally } | { hungAt: number; partial: Tally; upTo: number }> {
  const progress = new SharedArrayBuffer(4);
  const view = new Int32Array(progress);
  view[0] = job.start;
  const worker = new Worker(new URL(import.meta.url), { workerData: { ...job, progress } });
  return new Promise((resolve, reject) => {
    let last = -1, since = Date.now();
    let partial = emptyTally(), upTo = job.start;
    const timer = setInterval(() => {
      const now = Atomics.load(view, 0);
      if (now !== last) { last = now; since = Date.now(); return; }
      if (Date.now() - since > hangMs) {
        clearInterval(timer);
        void worker.terminate();
        resolve({ hungAt: now, partial, upTo });
      }
    }, 250);
    worker.on('message', (m: { tally: Tally } | { partial: Tally; upTo: number }) => {
      if ('partial' in m) { partial = m.partial; upTo = m.upTo; return; }
      clearInterval(timer);
      void worker.terminate();
      resolve({ tally: m.tally });
    });
    worker.once('error', (e) => { clearInterval(timer); reject(e); });
  });
}

async function main() {
  const o = runScript('npm run fuzz -- [options]   (replay mutant i: --seed S --start i --mutants i+1 --backends simd)', {
    mutants: opt.int('mutants per generator and build (index one past the last)', 100000),
    start: opt.int('first mutant index', 0, { min: 0 }),
    seed: opt.int('seed of the mutant stream', 1, { min: 0 }),
    backends: opt.choices(BUILDS, 'kernel builds to load the mutants on', [...BUILDS]),
    json: opt.string('write the rows here', undefined, { placeholder: 'FILE' }),
    'hang-ms': opt.int('a mutant taking longer is a hang: the worker is killed and the run resumes after it', 10000),
    'slow-ms': opt.int('a mutant taking longer counts as slow', 1000),
  });
  const { mutants, start: first, seed, backends, json } = o;
  const hangMs = o['hang-ms'], slowMs = o['slow-ms'];
  if (first >= mutants) { console.error(`error: --start ${first} must be below --mutants ${mutants}`); process.exit(2); }
  const rows = [];
  for (const generator of GENERATORS) for (const backend of backends) {
    const started = Date.now();
    let tally = emptyTally();
    const hangAt: number[] = [];
    for (let start = first; start < mutants;) {
      const r = await runSegment({ generator, backend, seed, start, end: mutants, slowMs, skip: hangAt }, hangMs);
      if ('tally' in r) { tally = merge(tally, r.tally); break; }
      // Keep what the killed worker reported, and resume there, skipping the mutant that hung.
      tally = merge(tally, r.partial);
      hangAt.push(r.hungAt);
      start = r.upTo;
      if (hangAt.length > 20) break;
    }
    const hangs = hangAt.length;
    const row = {
      generator, build: backend, seed, mutants: mutants - first, loaded: tally.loaded, typedErrors: tally.typedErrors, otherErrors: tally.otherErrors,
      traps: tally.traps, hangs, maxMemoryBytes: tally.maxMemoryBytes, slowMutants: tally.slow, boundProblems: tally.problems,
      slowestLoadMs: Number(tally.slowestMs.toFixed(1)), elapsedSeconds: Math.round((Date.now() - started) / 1000),
      caps: CAPS, errorCodes: tally.codes, hangAt, failures: tally.failures,
    };
    console.log(JSON.stringify(row, null, 1));
    rows.push(row);
  }
  writeRows(json, rows);
  const bad = rows.some((r) => r.otherErrors || r.traps || r.hangs || r.boundProblems || r.slowMutants);
  process.exit(bad ? 1 : 0);
}

if (isMainThread) await main();
else await workerMain(workerData as Job);
