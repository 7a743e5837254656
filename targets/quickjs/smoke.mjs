// QuickJS smoke run (quickjs-emscripten: QuickJS compiled to wasm, run from Node, but the
// guest is plain QuickJS — no WebAssembly, no TextDecoder, no performance): the sdk bundle
// runs the example model on the wasm2js kernels through the `provider` option.
//   node targets/quickjs/smoke.mjs MODEL.bxn INPUTS.f32 [backend] [RUNS BATCH [MAX_INPUTS]] → one JSON line
// An inference takes seconds here: by default 2 inputs, 1 warm-up and 3 timed runs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getQuickJS } from 'quickjs-emscripten';
import { buildWasm2js } from '../wasm2js/build.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const [modelPath, inputsPath, , runs = '3', batch = '1', maxInputs = '2'] = process.argv.slice(2);

// buildWasm2js regenerates the JS whenever build/bexnet.scalar.wasm is newer.
const MODULES = { 'sdk.mjs': `${root}dist/sdk.mjs`, 'kernels.mjs': buildWasm2js(), 'smoke.mjs': `${root}targets/common/smoke.mjs`, 'web-globals.mjs': `${root}targets/quickjs/web-globals.mjs` };
const QuickJS = await getQuickJS();
const runtime = QuickJS.newRuntime();
runtime.setMemoryLimit(512 << 20);
runtime.setModuleLoader((name) => readFileSync(MODULES[name.replace(/^\.\//, '')] ?? name, 'utf8'));
const vm = runtime.newContext();
const put = (name, bytes) => { const h = vm.newArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)); vm.setProp(vm.global, name, h); h.dispose(); };
put('modelBytes', readFileSync(modelPath));
put('inputBytes', readFileSync(inputsPath).subarray(0, Number(maxInputs) * 784 * 4));
// QuickJS has no TextDecoder: install the strict stand-in before the sdk module is evaluated.
vm.unwrapResult(vm.evalCode(`import { installWebGlobals } from './web-globals.mjs'; installWebGlobals();`, 'globals.mjs', { type: 'module' })).dispose();
const main = `import { loadModel } from './sdk.mjs';
import { kernelProvider } from './kernels.mjs';
import { floats, runSmoke } from './smoke.mjs';
globalThis.wasm = typeof WebAssembly;
runSmoke({ loadModel, model: new Uint8Array(modelBytes), inputs: floats(new Uint8Array(inputBytes)), runs: ${Number(runs)}, batch: ${Number(batch)}, warmup: 1,
  kernelOptions: { provider: kernelProvider, backend: 'scalar' }, now: () => Date.now() })
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
