/**
 * Budgets for test suites (`import { expectWithinBudget } from 'bexnet/testing'`): load a
 * model, measure what it costs on this engine and fail with every exceeded limit named.
 * No Node-only API, so it runs under vitest, jest, Deno's or Bun's test runner and in browsers.
 */
import { loadModel, type LoadOptions, type ModelSource } from './index.js';
import { resolveLimits } from './format/model.js';
import { mulberry32 } from './prng.js';
import { sourceBytes } from './wasm.js';

export interface BudgetLimits {
  /** File size in KiB (1024 bytes); fractions allowed, so a limit can be exact. */
  maxKb?: number;
  /** Peak wasm memory in KiB. */
  maxMemoryKb?: number;
  /** Median latency of one inference, ms. */
  maxMs?: number;
  /** 95th-percentile latency of one inference, ms. */
  maxP95Ms?: number;
  /** Bytes in memory → first result (compile, validate, decode, one inference), ms. */
  maxColdStartMs?: number;
}

export interface BudgetMeasurement {
  sizeBytes: number;
  wasmMemoryBytes: number;
  backend: string;
  coldStartMs: number;
  /** Total time of the warm-up inferences (not counted in the latencies). */
  warmupMs: number;
  medianMs: number;
  p95Ms: number;
  runs: number;
}

export interface BudgetOptions extends LoadOptions {
  /** Timed inferences (default 50), after `warmup` untimed ones (default 10). */
  runs?: number;
  warmup?: number;
  /** The input to time with; default: seeded uniform [0, 1) values (seed 1). */
  input?: ArrayLike<number>;
  now?: () => number;
}

/** One entry per exceeded limit, e.g. "size 103.1 KiB > 100 KiB (--max-kb)". */
export function budgetViolations(m: BudgetMeasurement, limits: BudgetLimits): string[] {
  const kib = (b: number) => b / 1024;
  const checks: [keyof BudgetLimits, string, number, string, string][] = [
    ['maxKb', 'size', kib(m.sizeBytes), 'KiB', '--max-kb'],
    ['maxMemoryKb', 'peak wasm memory', kib(m.wasmMemoryBytes), 'KiB', '--max-memory-kb'],
    ['maxMs', 'median latency', m.medianMs, 'ms', '--max-ms'],
    ['maxP95Ms', 'p95 latency', m.p95Ms, 'ms', '--max-p95-ms'],
    ['maxColdStartMs', 'cold start', m.coldStartMs, 'ms', '--max-cold-start-ms'],
  ];
  const out: string[] = [];
  for (const [key, what, value, unit, flag] of checks) {
    const limit = limits[key];
    if (limit !== undefined && !(value <= limit)) out.push(`${what} ${+value.toFixed(3)} ${unit} > ${limit} ${unit} (${flag})`);
  }
  return out;
}

/** Loads `source` and measures size, peak wasm memory, cold start, warm-up, median and p95 latency. */
export async function measureBudget(source: ModelSource, options: BudgetOptions = {}): Promise<BudgetMeasurement> {
  const { runs = 50, warmup = 10, input, now = () => performance.now(), ...load } = options;
  const bytes = await sourceBytes(source, 'the model', resolveLimits(load).maxFileBytes);
  const t0 = now();
  const model = await loadModel(bytes, load);
  try {
    const info = model.info();
    const size = info.inputShape.reduce((a, b) => a * b, 1);
    const rng = mulberry32(1);
    const x = input ?? Float32Array.from({ length: size }, () => rng());
    model.run(x);
    const coldStartMs = now() - t0;
    const tw = now();
    for (let i = 0; i < warmup; i++) model.run(x);
    const warmupMs = now() - tw;
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = now();
      model.run(x);
      times.push(now() - t);
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
    return {
      sizeBytes: bytes.length, wasmMemoryBytes: model.info().wasmMemoryBytes, backend: info.backend,
      coldStartMs, warmupMs, medianMs: at(0.5), p95Ms: at(0.95), runs,
    };
  } finally {
    model.dispose();
  }
}

export class BudgetExceededError extends Error {
  constructor(readonly violations: string[], readonly measurement: BudgetMeasurement) {
    super(`model over budget: ${violations.join('; ')}`);
    this.name = 'BudgetExceededError';
  }
}

/** Measures `source` and throws a BudgetExceededError naming every exceeded limit; returns the measurement. */
export async function expectWithinBudget(source: ModelSource, limits: BudgetLimits, options: BudgetOptions = {}): Promise<BudgetMeasurement> {
  const m = await measureBudget(source, options);
  const violations = budgetViolations(m, limits);
  if (violations.length) throw new BudgetExceededError(violations, m);
  return m;
}
