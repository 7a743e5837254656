// Deno smoke run: deno run --allow-read targets/deno/smoke.mjs MODEL.bxn INPUTS.f32 [backend] [RUNS BATCH] → one JSON line.
import { loadModel } from '../../dist/sdk.mjs';
import { floats, runSmoke } from '../common/smoke.mjs';

const [modelPath, inputsPath, backend = 'auto', runs = '30', batch = '20'] = Deno.args;
// zero config: the sdk finds build/*.wasm itself (node:fs, --allow-read)
const result = await runSmoke({
  loadModel, model: Deno.readFileSync(modelPath), inputs: floats(Deno.readFileSync(inputsPath)),
  kernelOptions: { backend }, runs: Number(runs), batch: Number(batch), now: () => performance.now(),
});
console.log(JSON.stringify({ runtime: 'deno', version: Deno.version.deno, ...result }));
