// Bun smoke run: bun targets/bun/smoke.mjs MODEL.bxn INPUTS.f32 [backend] [RUNS BATCH] → one JSON line.
import { loadModel } from '../../dist/sdk.mjs';
import { floats, runSmoke } from '../common/smoke.mjs';

const [modelPath, inputsPath, backend = 'auto', runs = '30', batch = '20'] = Bun.argv.slice(2);
const bytes = async (path) => new Uint8Array(await Bun.file(path).arrayBuffer());
// zero config: the sdk finds build/*.wasm itself
const result = await runSmoke({
  loadModel, model: await bytes(modelPath), inputs: floats(await bytes(inputsPath)),
  kernelOptions: { backend }, runs: Number(runs), batch: Number(batch), now: () => performance.now(),
});
console.log(JSON.stringify({ runtime: 'bun', version: Bun.version, ...result }));
