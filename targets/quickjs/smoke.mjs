// QuickJS smoke run: node targets/quickjs/smoke.mjs MODEL.bxn INPUTS.f32 [backend] [RUNS BATCH] → one JSON line.
// QuickJS (quickjs-emscripten) has no WebAssembly, so it runs the wasm2js build of the
// scalar kernels (targets/wasm2js). Node is only the host: it hands QuickJS the module
// sources (dist/sdk.mjs unchanged, the shared smoke run, the kernels) and the bytes, and a
// clock; loading, validation and inference all run inside the QuickJS interpreter.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { getQuickJS } from 'quickjs-emscripten';
import { buildWasm2js } from '../wasm2js/build.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const [modelPath, inputsPath, backend = 'auto', runs = '30', batch = '20'] = process.argv.slice(2);
if (backend !== 'auto' && backend !== 'wasm2js') throw new Error(`QuickJS runs only the wasm2js build, not '${backend}'`);

/** Module name → source, the only modules QuickJS may import. */
const MODULES = {
  'bexnet/sdk': readFileSync(`${root}dist/sdk.mjs`, 'utf8'),
  'bexnet/smoke': readFileSync(`${root}targets/common/smoke.mjs`, 'utf8'),
  'bexnet/kernels-wasm2js': readFileSync(buildWasm2js(), 'utf8'),
  'bexnet/webassembly-shim': readFileSync(`${root}targets/wasm2js/webassembly-shim.mjs`, 'utf8'),
  'bexnet/web-globals': readFileSync(`${root}targets/quickjs/web-globals.mjs`, 'utf8'),
};
const MAIN = `
import { installWebAssemblyShim } from 'bexnet/webassembly-shim';
import { instantiate } from 'bexnet/kernels-wasm2js';
import { installWebGlobals } from 'bexnet/web-globals';
installWebGlobals();
const wasmModule = installWebAssemblyShim(instantiate); // before the sdk needs WebAssembly
const { loadModel } = await import('bexnet/sdk');
const { runSmoke } = await import('bexnet/smoke');
const result = await runSmoke({
  loadModel, model: new Uint8Array(host.model), inputs: new Float32Array(host.inputs),
  kernelOptions: { wasmModule, backend: 'scalar' }, runs: host.runs, batch: host.batch, now: host.now,
});
host.done(JSON.stringify(result));
`;

const QuickJS = await getQuickJS();
const runtime = QuickJS.newRuntime();
runtime.setMemoryLimit(1 << 30);
runtime.setMaxStackSize(1 << 20);
runtime.setModuleLoader((name) => {
  if (!(name in MODULES)) throw new Error(`QuickJS may not import '${name}'`);
  return MODULES[name];
});
const vm = runtime.newContext();
let output, failure;
const hostObject = vm.newObject();
const set = (name, handle) => { vm.setProp(hostObject, name, handle); handle.dispose(); };
const fileBuffer = (path) => { const b = readFileSync(path); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); };
set('model', vm.newArrayBuffer(fileBuffer(modelPath)));
set('inputs', vm.newArrayBuffer(fileBuffer(inputsPath)));
set('runs', vm.newNumber(Number(runs)));
set('batch', vm.newNumber(Number(batch)));
set('now', vm.newFunction('now', () => vm.newNumber(performance.now())));
set('done', vm.newFunction('done', (json) => { output = vm.getString(json); }));
vm.setProp(vm.global, 'host', hostObject);
hostObject.dispose();

const evaluated = vm.evalCode(MAIN, 'main.mjs', { type: 'module' });
if (evaluated.error) { failure = vm.dump(evaluated.error); evaluated.error.dispose(); } else {
  // Top-level await: run QuickJS's job queue until the module settles.
  const promise = evaluated.value;
  const settled = vm.resolvePromise(promise);
  promise.dispose();
  for (let pending = true; pending && output === undefined;) {
    const jobs = runtime.executePendingJobs();
    if (jobs.error) { failure = vm.dump(jobs.error); jobs.error.dispose(); break; }
    pending = jobs.value > 0;
  }
  const result = await settled;
  if (result.error) { failure ??= vm.dump(result.error); result.error.dispose(); } else result.value.dispose();
}
vm.dispose();
runtime.dispose();
if (output === undefined) throw new Error(`QuickJS smoke run failed: ${JSON.stringify(failure)}`);

const pkg = (name) => JSON.parse(readFileSync(createRequire(import.meta.url).resolve(`${name}/package.json`), 'utf8')).version;
console.log(JSON.stringify({ runtime: 'quickjs', version: `quickjs-emscripten ${pkg('quickjs-emscripten')}`, ...JSON.parse(output), build: 'wasm2js' }));
