// Deno smoke run: deno run --allow-read targets/deno/smoke.mjs MODEL.bxn INPUTS.f32 [backend] [RUNS BATCH] → one JSON line.
import { loadModel } from '../../dist/sdk.mjs';
import { floats, runSmoke } from '../common/smoke.mjs';

const [modelPath, inputsPath, backend = 'auto', runs = '30', batch = '20'] = Deno.args;
const kernel = (build) => Deno.readFileSync(new URL(`../../build/bexnet.${build}.wasm`, import.meta.url));
const result = await runSmoke({
  loadModel, model: Deno.readFileSync(modelPath), inputs: floats(Deno.readFileSync(inputsPath)),
  kernelOptions: { wasm: { simd: kernel('simd'), scalar: kernel('scalar') }, backend }, runs: Number(runs), batch: Number(batch), now: () => performance.now(),
});
console.log(JSON.stringify({ runtime: 'deno', version: Deno.version.deno, ...result }));
