// The demo's inference thread: loads the sdk, kernels and model once, then classifies each
// 784-value input it is sent, so drawing on the main thread never waits for the model.
import { loadModel } from '../../dist/sdk.mjs';

const bytes = async (path) => new Uint8Array(await (await fetch(new URL(path, import.meta.url))).arrayBuffer());
const modelPath = new URL(self.location.href).searchParams.get('model') ?? '../../tools/examples/sketch-dabn.bxn';

const ready = (async () => {
  const model = await bytes(modelPath);
  const t0 = performance.now();
  const m = await loadModel(model); // zero config: the sdk fetches ../build/bexnet.*.wasm beside dist/sdk.mjs
  const info = m.info();
  // Which kernel file the sdk chose: the core build, or the complete one for an X-Net.
  const kernelFile = info.backendReason.split('/').pop();
  self.postMessage({ type: 'ready', name: info.name, backend: info.backend, kernelFile, modelBytes: model.length, loadMs: performance.now() - t0, classes: info.outputLength });
  return m;
})();
ready.catch((e) => self.postMessage({ type: 'error', message: String(e && e.message || e) }));

self.onmessage = async ({ data }) => {
  const m = await ready;
  const t = performance.now();
  const top = m.classify(data.input, 5);
  self.postMessage({ type: 'prediction', id: data.id, top, ms: performance.now() - t });
};
