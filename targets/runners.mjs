// Runs the shared smoke run (common/smoke.mjs) in each real runtime and compares it with
// Node's. Used by test/runtimes.test.ts and by `node targets/run-all.mjs --json FILE`.
// Agreement: the same kernel build must give bit-identical outputs (wasm arithmetic is
// deterministic, and the binary layers are integer XOR/popcount); a different build
// (scalar vs simd sums the float layers in another order) must stay within
// FLOAT_TOLERANCE × the largest |output| and give the same top-1.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { openBrowser } from './browser/drivers.mjs';
import { serve } from './browser/serve.mjs';

const run = promisify(execFile);
export const root = fileURLToPath(new URL('..', import.meta.url));
/** The committed example models (tools/examples/make.mjs): name → file. The DABN sketch net runs on the core kernel build, its X-Net on the complete one. */
export const EXAMPLE_MODELS = { 'sketch-dabn': `${root}tools/examples/sketch-dabn.bxn`, 'sketch-xnet-dabn': `${root}tools/examples/sketch-xnet-dabn.bxn` };
export const EXAMPLE_MODEL = EXAMPLE_MODELS['sketch-dabn'];
export const FLOAT_TOLERANCE = 1e-5;
const bin = (name) => `${root}node_modules/.bin/${name}`;
export const BUN = `${root}node_modules/bun/bin/bun.exe`;

/** The sdk's one PRNG (sdk/prng.ts), transpiled on the fly so plain .mjs can use it. */
async function prng() {
  const out = await build({ entryPoints: [`${root}sdk/prng.ts`], bundle: true, format: 'esm', write: false, logLevel: 'silent' });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
}

/** `count` seeded 28×28 inputs: even ones uniform in [0,1), odd ones sparse like a sketch. */
export async function makeInputs(seed, count = 8, size = 784) {
  const rng = (await prng()).mulberry32(seed);
  const a = new Float32Array(count * size);
  for (let i = 0; i < a.length; i++) a[i] = Math.floor(i / size) % 2 === 0 ? rng() : rng() < 0.15 ? rng() : 0;
  return a;
}

const lastJsonLine = (stdout) => JSON.parse(stdout.trim().split('\n').at(-1));
const cli = async (cmd, args) => lastJsonLine((await run(cmd, args, { cwd: root, maxBuffer: 64 << 20, timeout: 120_000 })).stdout);

async function version(cmd, args, pattern) {
  const { stdout } = await run(cmd, args, { timeout: 30_000 });
  return stdout.match(pattern)?.[1] ?? stdout.trim();
}

async function inBrowser(name, { inputs, backend, model, runs, batch }) {
  const server = await serve(0, { '/smoke-model.bxn': model });
  const browser = await openBrowser(name);
  try {
    await browser.goto(`${server.url}targets/browser/smoke.html`);
    await browser.eval('new Promise((ok) => { const wait = () => (window.bexnetReady ? ok(true) : setTimeout(wait, 20)); wait(); })');
    const result = await browser.eval(`bexnetSmoke([${Array.from(inputs)}], ${JSON.stringify(backend)}, ${JSON.stringify({ modelPath: '/smoke-model.bxn', runs, batch })})`);
    return { runtime: name, version: browser.version, ...result };
  } finally {
    await browser.close();
    await server.close();
  }
}

async function inWorkerd(inputs, backend, model) {
  // workerd reads only what config.capnp declares: the example models, by name.
  const name = Object.keys(EXAMPLE_MODELS).find((n) => EXAMPLE_MODELS[n] === model);
  if (!name) throw new Error(`workerd runs only the example models declared in targets/workerd/config.capnp, not ${model}`);
  const { createServer } = await import('node:net');
  const port = await new Promise((ok) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); }); });
  const { spawn } = await import('node:child_process');
  const child = spawn(bin('workerd'), ['serve', `${root}targets/workerd/config.capnp`, '--socket-addr', `http=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  try {
    for (let t = 0; ; t++) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/run?backend=${backend}&model=${name}`, { method: 'POST', body: inputs });
        if (!r.ok) throw new Error(`workerd answered ${r.status}: ${await r.text()}`);
        const pkg = JSON.parse(readFileSync(`${root}node_modules/workerd/package.json`, 'utf8'));
        return { runtime: 'workerd', version: pkg.version, ...(await r.json()) };
      } catch (e) {
        if (t > 150 || child.exitCode !== null) throw new Error(`workerd: ${e.message}\n${stderr}`);
        await new Promise((ok) => setTimeout(ok, 100));
      }
    }
  } finally {
    child.kill();
  }
}

const cliArgs = (script, o) => [script, o.model, o.inputsPath, o.backend, String(o.runs), String(o.batch)];
/** runtime → how to run the smoke run there. */
const RUNNERS = {
  node: (o) => cli(process.execPath, cliArgs('targets/node/smoke.mjs', o)),
  deno: (o) => cli(bin('deno'), ['run', '--allow-read', ...cliArgs('targets/deno/smoke.mjs', o)]),
  bun: (o) => cli(BUN, cliArgs('targets/bun/smoke.mjs', o)),
  chromium: (o) => inBrowser('chromium', o),
  firefox: (o) => inBrowser('firefox', o),
  webkit: (o) => inBrowser('webkit', o),
  // Slow (seconds per inference): its own small defaults, see targets/quickjs/smoke.mjs.
  quickjs: (o) => cli(process.execPath, ['targets/quickjs/smoke.mjs', o.model, o.inputsPath, 'scalar']),
  workerd: (o) => inWorkerd(o.inputs, o.backend === 'auto' ? 'simd' : o.backend, o.model),
};
export const RUNTIMES = Object.keys(RUNNERS);

/** Runs the smoke run in one runtime; `inputsPath` holds `inputs` as f32 for the CLI runtimes. */
export function smoke(runtime, { inputs, inputsPath, backend = 'auto', model = EXAMPLE_MODEL, runs = 30, batch = 20 }) {
  if (!RUNNERS[runtime]) throw new Error(`unknown runtime ${runtime}; one of ${RUNTIMES.join(', ')}`);
  return RUNNERS[runtime]({ inputs, inputsPath, backend, model, runs, batch });
}

const argmax = (v) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

/** Compares a smoke result with Node's result for the same build (bit-exact) or another build (tolerance). */
export function compare(result, reference) {
  // wasm2js is the scalar build translated: it must match scalar bit for bit.
  const sameBuild = (result.kernelBuild ?? result.build) === reference.build;
  let maxAbsDiff = 0, maxAbs = 0, differing = 0, top1Same = result.outputs.length === reference.outputs.length;
  reference.outputs.forEach((ref, i) => {
    const got = result.outputs[i] ?? [];
    if (got.length !== ref.length) top1Same = false;
    if (argmax(got) !== argmax(ref)) top1Same = false;
    ref.forEach((r, j) => {
      const d = Math.abs(got[j] - r);
      if (!Object.is(got[j], r)) differing++;
      maxAbsDiff = Number.isNaN(d) ? Infinity : Math.max(maxAbsDiff, d);
      maxAbs = Math.max(maxAbs, Math.abs(r));
    });
  });
  const agree = top1Same && (sameBuild ? differing === 0 : maxAbsDiff <= FLOAT_TOLERANCE * maxAbs);
  return { agree, sameBuild, differing, maxAbsDiff, maxAbs, top1Same };
}

export const cpuModel = () => cpus()[0]?.model.trim() ?? 'unknown';
