// Node smoke run: node targets/node/smoke.mjs MODEL.bxn INPUTS.f32 [auto|simd|scalar] [RUNS BATCH] → one JSON line.
import { readFileSync } from 'node:fs';
import { loadModel } from '../../dist/sdk.mjs';
import { floats, runSmoke } from '../common/smoke.mjs';

const [modelPath, inputsPath, backend = 'auto', runs = '30', batch = '20'] = process.argv.slice(2);
// zero config: the sdk finds build/*.wasm itself
const result = await runSmoke({
  loadModel, model: readFileSync(modelPath), inputs: floats(readFileSync(inputsPath)),
  kernelOptions: { backend }, runs: Number(runs), batch: Number(batch), now: () => performance.now(),
});
console.log(JSON.stringify({ runtime: 'node', version: process.versions.node, ...result }));
