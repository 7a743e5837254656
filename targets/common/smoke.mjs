// The smoke run every runtime shares (plain ES2022, no host API): load the model from
// bytes already in memory, time bytes → first result (locating and compiling the kernels +
// validation + weight decoding + one inference), then the median and p95 of single inferences, and
// hand back every output so the caller can compare them with Node's bit for bit.
// `now` is the host's clock (performance.now where it exists). A latency sample is the
// mean of `batch` back-to-back inferences (default 20: browsers coarsen their clocks to
// 0.1–1 ms); `bexnet budget` asks for batch 1 to get a true p95.

/** @param {{ loadModel: Function, model: Uint8Array, inputs: Float32Array, kernelOptions: object, runs?: number, batch?: number, warmup?: number, now: () => number }} o */
export async function runSmoke({ loadModel, model, inputs, kernelOptions, runs = 30, batch = 20, warmup = 10, now }) {
  const t0 = now();
  const m = await loadModel(model, kernelOptions);
  const info = m.info();
  const size = info.inputShape.reduce((a, b) => a * b, 1);
  const count = inputs.length / size;
  if (!Number.isInteger(count) || count < 1) throw new Error(`inputs hold ${inputs.length} values, not a multiple of ${size}`);
  const input = (i) => inputs.subarray(i * size, (i + 1) * size);
  const outputs = [Array.from(m.run(input(0)))];
  const coldStartMs = now() - t0;
  for (let i = 1; i < count; i++) outputs.push(Array.from(m.run(input(i))));
  const tw = now();
  for (let i = 0; i < warmup; i++) m.run(input(i % count));
  const warmupMs = now() - tw;
  const times = [];
  for (let r = 0; r < runs; r++) {
    const t = now();
    for (let b = 0; b < batch; b++) m.run(input((r + b) % count));
    times.push((now() - t) / batch);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  m.dispose();
  return { build: info.backend, reason: info.backendReason, coldStartMs, warmupMs, medianMs: at(0.5), p95Ms: at(0.95), wasmMemoryBytes: info.wasmMemoryBytes, outputs };
}

/** Little-endian f32 file contents → Float32Array (copied, so alignment never matters). */
export function floats(bytes) {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}
