// bexnet budget: does a model fit — file size, peak wasm memory, cold start and latency
// on a given runtime — and which limits does it exceed (exit 1, each named).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { opt, UsageError } from '../args.js';
import { readBxn } from '../../sdk/index.js';
import { budgetViolations, measureBudget, type BudgetLimits, type BudgetMeasurement } from '../../sdk/testing.js';
import { nodeKernelOptions } from '../node-kernels.js';
import { commandUsage, kb, table, type Command } from './command.js';

const RUNTIMES = ['node', 'deno', 'bun', 'chromium'] as const;
type Runtime = (typeof RUNTIMES)[number];

/** targets/runners.mjs from the source tree (tools/commands/) or the bundle (dist/). */
function runnersUrl(): string {
  for (const rel of ['../targets/runners.mjs', '../../targets/runners.mjs']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url.href;
  }
  throw new Error('targets/runners.mjs not found: --runtime other than node needs the bexnet repository');
}

/** Deno, Bun, Chromium: the same seeded input through the runtime smoke runners, one inference per sample. */
async function measureIn(runtime: Runtime, file: string, bytes: Uint8Array, runs: number): Promise<BudgetMeasurement> {
  const runners = await import(runnersUrl());
  const [h, w, c] = readBxn(bytes).metadata.inputShape;
  const dir = mkdtempSync(join(tmpdir(), 'bexnet-budget-'));
  try {
    const inputs: Float32Array = await runners.makeInputs(1, 1, h * w * c);
    const inputsPath = join(dir, 'input.f32');
    writeFileSync(inputsPath, new Uint8Array(inputs.buffer));
    const r = await runners.smoke(runtime, { inputs, inputsPath, model: file, runs, batch: 1 });
    return { sizeBytes: bytes.length, wasmMemoryBytes: r.wasmMemoryBytes, backend: r.build, coldStartMs: r.coldStartMs, warmupMs: r.warmupMs, medianMs: r.medianMs, p95Ms: r.p95Ms, runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const options = {
  'max-kb': opt.number('largest allowed file size, KiB (may be fractional)'),
  'max-memory-kb': opt.number('largest allowed peak wasm memory, KiB'),
  'max-ms': opt.number('largest allowed median latency of one inference, ms'),
  'max-p95-ms': opt.number('largest allowed p95 latency, ms'),
  'max-cold-start-ms': opt.number('largest allowed cold start (bytes → first result), ms'),
  runtime: opt.choice(RUNTIMES, 'where to measure (others than node need the repository\'s targets/)', 'node'),
  runs: opt.int('timed inferences after 10 warm-up ones', 50),
};
const LIMIT_OPTIONS = [
  ['max-kb', 'maxKb'], ['max-memory-kb', 'maxMemoryKb'], ['max-ms', 'maxMs'], ['max-p95-ms', 'maxP95Ms'], ['max-cold-start-ms', 'maxColdStartMs'],
] as const satisfies readonly [keyof typeof options, keyof BudgetLimits][];

export const budgetCommand: Command<typeof options> = {
  name: 'budget',
  usage: commandUsage('bexnet budget FILE.bxn [limits] [--runtime node|deno|bun|chromium] [--runs N]', options,
    `Measures file size, peak wasm memory, cold start (bytes → first result), warm-up, median
and p95 latency of one inference, prints them, and exits 1 naming every exceeded limit.`),
  options,
  positionals: 1,
  async run(o, [file]) {
    if (!file) throw new UsageError('missing the .bxn file (bexnet budget FILE.bxn --max-kb N ...)');
    const limits: BudgetLimits = {};
    for (const [option, key] of LIMIT_OPTIONS) { const v = o[option]; if (v !== undefined) limits[key] = v; }
    if (!Object.keys(limits).length) throw new UsageError(`give at least one limit (${LIMIT_OPTIONS.map(([n]) => `--${n}`).join(', ')})`);
    const { runtime, runs } = o;
    let bytes: Uint8Array;
    try { bytes = readFileSync(file); } catch (e) { throw new UsageError(`cannot read ${file}: ${(e as Error).message}`); }
    const m = runtime === 'node' ? await measureBudget(bytes, { ...nodeKernelOptions(), runs }) : await measureIn(runtime, file, bytes, runs);
    const ms = (v: number) => `${v.toFixed(3)} ms`;
    console.log(`${file} on ${runtime} (${m.backend}), ${runs} runs`);
    console.log(table([
      ['size', 'peak wasm memory', 'cold start', 'warm-up (10)', 'median', 'p95'],
      [kb(m.sizeBytes), kb(m.wasmMemoryBytes), ms(m.coldStartMs), ms(m.warmupMs), ms(m.medianMs), ms(m.p95Ms)],
    ]));
    const over = budgetViolations(m, limits);
    if (over.length) throw new Error(`over budget: ${over.join('; ')}`);
    console.log('within budget');
  },
};
