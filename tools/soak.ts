/**
 * Soak: 100,000 run() calls on the ~200 KB model per backend; checks that run()
 * allocates nothing: wasm memory must not grow at all, and the JS heap (measured
 * after forced GCs, so run with `node --expose-gc`) must come back to where it was.
 *
 *   npm run soak -- [--runs 100000] [--backends simd,scalar] [--json tools/results/soak.json]
 */
import { writeFileSync } from 'node:fs';
import { opt, runScript } from './args.js';
import { loadKernels, loadModelSync } from '../sdk/index.js';
import { writeBxn } from '../sdk/format/index.js';
import { randomSource as makeRng } from '../sdk/prng.js';
import { model200k } from './fuzz/models.js';
import { kernelBytes } from './node-kernels.js';

const BUILDS = ['simd', 'scalar'] as const;
const gc = (globalThis as { gc?: () => void }).gc;
const settledHeap = () => {
  for (let i = 0; i < 4; i++) gc?.();
  return process.memoryUsage().heapUsed;
};

async function main() {
  const { runs, backends, json } = runScript('npm run soak -- [options]', {
    runs: opt.int('run() calls per build', 100000),
    backends: opt.choices(BUILDS, 'kernel builds', [...BUILDS]),
    json: opt.string('write the rows here', undefined, { placeholder: 'FILE' }),
  });
  if (!gc) console.warn('soak: run with node --expose-gc for a meaningful heap figure');

  const { model: spec, input } = model200k(makeRng(200));
  const bytes = writeBxn(spec);
  // A few distinct inputs, made before measuring; cycling them exercises every path.
  const inputs = Array.from({ length: 8 }, () => input());
  const rows = [];
  for (const backend of backends) {
    const kernels = await loadKernels({ wasm: { [backend]: kernelBytes(backend) }, backend });
    // Load time of the ~200 KB model with compiled kernels (issue 3 target: < 5 ms): validate, instantiate, plan, copy.
    const loads: number[] = [];
    for (let i = 0; i < 60; i++) {
      const t0 = performance.now();
      loadModelSync(bytes, kernels).dispose();
      loads.push(performance.now() - t0);
    }
    loads.sort((a, b) => a - b);
    const model = loadModelSync(bytes, kernels);
    for (let i = 0; i < 1000; i++) model.run(inputs[i & 7]); // warm up the JIT
    const memoryBefore = model.info().wasmMemoryBytes;
    const heapBefore = settledHeap();
    let heapPeak = heapBefore;
    let checksum = 0;
    const started = performance.now();
    for (let i = 0; i < runs; i++) {
      checksum += model.run(inputs[i & 7])[i % 100];
      if (i % 10000 === 9999) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    const ms = performance.now() - started;
    const heapAfter = settledHeap();
    const memoryAfter = model.info().wasmMemoryBytes;
    const row = {
      backend, runs, wasmMemoryGrowthBytes: memoryAfter - memoryBefore, heapGrowthBytes: heapAfter - heapBefore,
      heapPeakAboveStartBytes: heapPeak - heapBefore, wasmMemoryBytes: memoryAfter, modelBytes: bytes.length,
      msPerRun: Number((ms / runs).toFixed(4)), loadMsMedian: Number(loads[30].toFixed(3)), loadMsMin: Number(loads[0].toFixed(3)),
      gcExposed: Boolean(gc), checksum: Number(checksum.toFixed(3)),
    };
    console.log(JSON.stringify(row));
    rows.push(row);
    model.dispose();
  }
  if (json) writeFileSync(json, JSON.stringify({ rows }, null, 2) + '\n');
  // A heap that does not come back within 64 KB after 100k runs means run() allocates.
  process.exit(rows.some((r) => r.wasmMemoryGrowthBytes !== 0 || r.heapGrowthBytes > 65536) ? 1 : 0);
}

await main();
