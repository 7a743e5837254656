// QuickJS smoke run (quickjs-emscripten: QuickJS compiled to wasm, run from Node, but the
// guest is plain QuickJS — no WebAssembly, no TextDecoder, no performance): the sdk bundle
// runs the example model on the wasm2js kernels through the `provider` option.
//   node targets/quickjs/smoke.mjs MODEL.bxn INPUTS.f32 [backend] [RUNS BATCH [MAX_INPUTS]] → one JSON line
// An inference takes seconds here: by default 2 inputs, 1 warm-up and 3 timed runs.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getQuickJS } from 'quickjs-emscripten';
import { buildWasm2js, WASM2JS_OUT } from './build.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const [modelPath, inputsPath, , runs = '3', batch = '1', maxInputs = '2'] = process.argv.slice(2);
// Regenerated whenever the scalar wasm is newer (npm run build rewrites it).
if (!existsSync(WASM2JS_OUT) || statSync(WASM2JS_OUT).mtimeMs < statSync(`${root}build/bexnet.scalar.wasm`).mtimeMs) buildWasm2js();

const MODULES = { 'sdk.mjs': `${root}dist/sdk.mjs`, 'kernels.mjs': WASM2JS_OUT, 'smoke.mjs': `${root}targets/common/smoke.mjs` };
// QuickJS has no TextDecoder; the sdk needs one for the model's UTF-8 strings.
const TEXT_DECODER = `globalThis.TextDecoder = class { constructor(l, o) { this.fatal = !!(o && o.fatal); }
  decode(b) { const u = b instanceof Uint8Array ? b : new Uint8Array(b.buffer ?? b, b.byteOffset ?? 0, b.byteLength);
    let s = ''; for (let i = 0; i < u.length;) { let c = u[i++], n = 0;
      if (c >= 0xf0) { c &= 7; n = 3; } else if (c >= 0xe0) { c &= 15; n = 2; } else if (c >= 0xc0) { c &= 31; n = 1; } else if (c >= 0x80) { if (this.fatal) throw new TypeError('bad utf-8'); c = 0xfffd; }
      for (; n > 0; n--) { const d = u[i++]; if ((d & 0xc0) !== 0x80) { if (this.fatal) throw new TypeError('bad utf-8'); c = 0xfffd; break; } c = (c << 6) | (d & 63); }
      s += String.fromCodePoint(c); } return s; } };`;

const QuickJS = await getQuickJS();
const runtime = QuickJS.newRuntime();
runtime.setMemoryLimit(512 << 20);
runtime.setModuleLoader((name) => readFileSync(MODULES[name.replace(/^\.\//, '')] ?? name, 'utf8'));
const vm = runtime.newContext();
const put = (name, bytes) => { const h = vm.newArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)); vm.setProp(vm.global, name, h); h.dispose(); };
put('modelBytes', readFileSync(modelPath));
put('inputBytes', readFileSync(inputsPath).subarray(0, Number(maxInputs) * 784 * 4));
vm.unwrapResult(vm.evalCode(TEXT_DECODER)).dispose();
const main = `import { loadModel } from './sdk.mjs';
import { createKernels } from './kernels.mjs';
import { floats, runSmoke } from './smoke.mjs';
globalThis.wasm = typeof WebAssembly;
runSmoke({ loadModel, model: new Uint8Array(modelBytes), inputs: floats(new Uint8Array(inputBytes)), runs: ${Number(runs)}, batch: ${Number(batch)}, warmup: 1,
  kernelOptions: { provider: createKernels, backend: 'scalar' }, now: () => Date.now() })
  .then((r) => { globalThis.result = JSON.stringify(r); }, (e) => { globalThis.result = JSON.stringify({ error: String(e && e.stack || e) }); });`;
vm.unwrapResult(vm.evalCode(main, 'main.mjs', { type: 'module' })).dispose();
for (;;) {
  const jobs = runtime.executePendingJobs();
  if (jobs.error) { const e = vm.dump(jobs.error); jobs.error.dispose(); throw new Error(`QuickJS: ${JSON.stringify(e)}`); }
  if (jobs.value === 0) break;
}
const out = JSON.parse(vm.dump(vm.unwrapResult(vm.evalCode('globalThis.result ?? "{\\"error\\":\\"no result\\"}"'))));
if (out.error) throw new Error(`in QuickJS: ${out.error}`);
const noWasm = vm.dump(vm.unwrapResult(vm.evalCode('globalThis.wasm')));
const version = JSON.parse(readFileSync(`${root}node_modules/quickjs-emscripten/package.json`, 'utf8')).version;
vm.dispose();
runtime.dispose();
console.log(JSON.stringify({ runtime: 'quickjs', version: `quickjs-emscripten ${version}`, guestWebAssembly: noWasm, ...out, build: 'wasm2js', kernelBuild: out.build }));
