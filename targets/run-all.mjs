// Every runtime's smoke run of every example model against Node's, as a table; `--json FILE`
// writes the rows (tools/results/runtimes.json is rendered into the README by tools/render-readme.mjs).
//   npm run build && flock /tmp/bexnet-cpu.lock node targets/run-all.mjs --json tools/results/runtimes.json [--runtimes node,deno] [--models sketch-dabn]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, cpuModel, EXAMPLE_MODELS, makeInputs, RUNTIMES, smoke } from './runners.mjs';

const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const runtimes = arg('--runtimes')?.split(',') ?? RUNTIMES;
const models = arg('--models')?.split(',') ?? Object.keys(EXAMPLE_MODELS);
for (const m of models) if (!Object.hasOwn(EXAMPLE_MODELS, m)) throw new Error(`--models: no example ${m}; the examples are ${Object.keys(EXAMPLE_MODELS).join(', ')}`);
const seed = Number(process.env.BEXNET_SEED ?? 13);
const inputs = await makeInputs(seed);
const dir = mkdtempSync(join(tmpdir(), 'bexnet-smoke-'));
const inputsPath = join(dir, 'inputs.f32');
writeFileSync(inputsPath, new Uint8Array(inputs.buffer));
try {
  const rows = [];
  for (const model of models) {
    const file = EXAMPLE_MODELS[model];
    const reference = { simd: await smoke('node', { inputs, inputsPath, backend: 'simd', model: file }), scalar: await smoke('node', { inputs, inputsPath, backend: 'scalar', model: file }) };
    for (const runtime of runtimes) {
      const r = await smoke(runtime, { inputs, inputsPath, model: file });
      const ref = reference[r.kernelBuild ?? r.build];
      const c = compare(r, { ...ref, outputs: ref.outputs.slice(0, r.outputs.length) });
      rows.push({ model, runtime, version: r.version, build: r.build, coldStartMs: +r.coldStartMs.toFixed(2), medianMs: +r.medianMs.toFixed(3), agree: c.agree, cpu: cpuModel() });
      console.log(`${model.padEnd(17)} ${runtime.padEnd(9)} ${String(r.version).padEnd(16)} ${r.build.padEnd(7)} cold ${r.coldStartMs.toFixed(1).padStart(7)} ms  median ${r.medianMs.toFixed(3)} ms  agree ${c.agree} (${c.differing} outputs differ, max |Δ| ${c.maxAbsDiff})`);
    }
  }
  const json = arg('--json');
  if (json) writeFileSync(json, `${JSON.stringify({ seed, inputs: inputs.length / 784, models: models.map((m) => `tools/examples/${m}.bxn`), node: process.versions.node, rows }, null, 2)}\n`);
  if (rows.some((r) => !r.agree)) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
