// npm run bench:models [-- --json FILE] [--quick] [--model NAME]
// Whole networks, in one process, round-robin: bexnet (SIMD and scalar builds) running
// the exported binary model against tfjs-backend-wasm (SIMD, one thread) running the same
// network in float. Weights are random (timing does not depend on them); both networks
// come from the same tfjs layer graph, the binary one through `bexnet export`.
//   sketchnet-dabn   the quickstart's DABN sketch net, 28x28x1, 20 classes (tools/train/models.ts)
//   vgg11-dabn-224   binary VGG-11 at 224x224x3, 1000 classes (below)
// Prints each model's bexnet per-layer breakdown (sdk profile(), medians).
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { opt, orExit, runScript, UsageError } from '../args.js';
import { timeInterleaved, writeRows } from './common.js';
import { exportModel } from '../export/export.js';
import { kernelBytes } from '../node-kernels.js';
import { BinaryConv2D, SignActivation } from '../train/layers.js';
import { sketchNet, type Variant } from '../train/models.js';
import { mulberry32 } from '../../sdk/prng.js';
import { loadModel, type BexnetModel } from '../../sdk/index.js';

const OPTIONS = {
  json: opt.string('write the rows to FILE', undefined, { placeholder: 'FILE' }),
  quick: opt.flag('1 s per model instead of 6 s'),
  model: opt.string('only this model (sketchnet-dabn | vgg11-dabn-224)', undefined, { placeholder: 'NAME' }),
};
const args = runScript('npm run bench:models -- [--json FILE] [--quick] [--model NAME]', OPTIONS);

/**
 * VGG-11 (configuration A) at 224x224x3, the authors' block order for binary variants:
 * conv -> [maxpool] -> BN -> sign feeds the next binary conv; the first conv is float;
 * fc6/fc7 are binary convs (7x7 valid, 1x1), fc8 a float 1x1 conv on ReLU'd inputs.
 * The float variant is the same graph with float convs and ReLU in place of sign.
 * ~7.6 G MACs, 133 M parameters.
 */
function vgg11(variant: Variant, classes = 1000): tf.LayersModel {
  const rng = mulberry32(11);
  const seed = () => Math.floor(rng() * 2147483648);
  const bin = variant !== 'float';
  const S = (l: tf.layers.Layer, x: tf.SymbolicTensor) => l.apply(x) as tf.SymbolicTensor;
  const floatConv = (name: string, filters: number, k: number, padding: 'same' | 'valid', useBias = false) =>
    tf.layers.conv2d({ name, filters, kernelSize: k, padding, useBias, kernelInitializer: tf.initializers.heNormal({ seed: seed() }) });
  const conv = (name: string, filters: number, k: number, padding: 'same' | 'valid') =>
    bin ? new BinaryConv2D({ name, filters, kernelSize: k, padding, quantizer: variant, binaryInput: true, seed: seed() }) : floatConv(name, filters, k, padding);
  const act = (name: string) => (bin ? new SignActivation({ name }) : tf.layers.reLU({ name }));
  const bn = (name: string) => tf.layers.batchNormalization({ name, epsilon: 1e-3 });
  const pool = (name: string) => tf.layers.maxPooling2d({ name, poolSize: 2, strides: 2 });

  const inp = tf.input({ shape: [224, 224, 3], name: 'image' });
  let x = S(pool('pool1'), S(floatConv('conv1', 64, 3, 'same'), inp));
  x = S(act('act1'), S(bn('bn1'), x));
  // [filters, pool after]
  const body: [number, boolean][] = [[128, true], [256, false], [256, true], [512, false], [512, true], [512, false], [512, true]];
  body.forEach(([filters, pooled], i) => {
    const n = i + 2;
    x = S(conv(`conv${n}`, filters, 3, 'same'), x);
    if (pooled) x = S(pool(`pool${n}`), x);
    x = S(act(`act${n}`), S(bn(`bn${n}`), x));
  });
  x = S(act('act_fc6'), S(bn('bn_fc6'), S(conv('fc6', 4096, 7, 'valid'), x)));
  x = S(tf.layers.reLU({ name: 'act_fc7' }), S(bn('bn_fc7'), S(conv('fc7', 4096, 1, 'valid'), x)));
  x = S(floatConv('fc8', classes, 1, 'valid', true), x);
  x = S(tf.layers.flatten({ name: 'logits' }), x);
  return tf.model({ inputs: inp, outputs: x, name: `vgg11_${variant}` });
}

interface Bench { name: string; describe: string; inputShape: [number, number, number]; build(v: Variant): tf.LayersModel }
const MODELS: Bench[] = [
  { name: 'sketchnet-dabn', describe: 'quickstart DABN sketch net, 28x28x1 -> 20 classes', inputShape: [28, 28, 1], build: (variant) => sketchNet({ variant, classes: 20, seed: 1 }) },
  { name: 'vgg11-dabn-224', describe: 'binary VGG-11 (first conv and fc8 float), 224x224x3 -> 1000 classes', inputShape: [224, 224, 3], build: (variant) => vgg11(variant) },
];
const chosen = orExit(() => {
  if (args.model === undefined) return MODELS;
  const m = MODELS.filter((b) => b.name === args.model);
  if (!m.length) throw new UsageError(`--model must be one of ${MODELS.map((b) => b.name).join(', ')}, got '${args.model}'`);
  return m;
});

setThreadsCount(1);
await tf.setBackend('wasm');
await tf.ready();

interface Row { model: string; impl: 'bexnet-simd' | 'bexnet-scalar' | 'tfjs-wasm'; medianMs: number; minMs: number; runs: number; wasmMemoryBytes: number; fileBytes: number; macs: number; speedup?: number; layers?: { index: number; kind: string; output: string; macs: number; ms: number }[] }
const rows: Row[] = [];
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];

/** Median per-layer times over `runs` profiled inferences. */
function layerTimes(m: BexnetModel, x: Float32Array, runs: number) {
  const per: number[][] = m.info().layers.map(() => []);
  for (let r = 0; r < runs; r++) m.profile(x).layers.forEach((l) => per[l.index].push(l.ms));
  return m.info().layers.map((l, i) => ({ index: l.index, kind: l.kind, output: `${l.output.h}x${l.output.w}x${l.output.c} ${l.output.dtype}`, macs: l.macs, ms: +median(per[i]).toFixed(4) }));
}

for (const b of chosen) {
  const [h, w, c] = b.inputShape;
  // The binary model: exported, then loaded by the sdk; its tfjs graph freed before the float one is built.
  const binary = b.build('dabn');
  const { bytes } = exportModel(binary, { name: b.name });
  binary.dispose();
  const limits = { maxMacs: 2 ** 34 }; // VGG-11 is ~7.6 G MACs, above the default cap of 2^30
  const simd = await loadModel(bytes, { wasm: { simd: kernelBytes('simd') }, backend: 'simd', ...limits });
  const scalar = await loadModel(bytes, { wasm: { scalar: kernelBytes('scalar') }, backend: 'scalar', ...limits });
  const float = b.build('float');
  const floatBytes = float.countParams() * 4;
  const x = new Float32Array(h * w * c).map(() => Math.random());
  const xt = tf.tensor4d(x, [1, h, w, c]);
  const fns = [
    () => { tf.tidy(() => (float.predict(xt) as tf.Tensor).dataSync()); },
    () => simd.run(x),
    () => scalar.run(x),
  ];
  const budgetMs = args.quick ? 1000 : 6000;
  const t = timeInterleaved(fns, { budgetMs, minRounds: 5, warmup: 2 });
  const tfjsMemory = tf.memory().numBytes;
  const base = { model: b.name, macs: simd.info().macs };
  rows.push({ ...base, impl: 'tfjs-wasm', medianMs: +t[0].medianMs.toFixed(4), minMs: +t[0].minMs.toFixed(4), runs: t[0].runs, wasmMemoryBytes: tfjsMemory, fileBytes: floatBytes });
  for (const [impl, m, i] of [['bexnet-simd', simd, 1], ['bexnet-scalar', scalar, 2]] as const) {
    rows.push({ ...base, impl, medianMs: +t[i].medianMs.toFixed(4), minMs: +t[i].minMs.toFixed(4), runs: t[i].runs, wasmMemoryBytes: m.info().wasmMemoryBytes, fileBytes: bytes.byteLength,
      speedup: +(t[0].medianMs / t[i].medianMs).toFixed(2), layers: layerTimes(m, x, Math.max(5, Math.min(200, Math.round(budgetMs / 4 / t[i].medianMs)))) });
  }
  xt.dispose(); float.dispose(); simd.dispose(); scalar.dispose();

  console.log(`\n${b.name}: ${b.describe}; ${(base.macs / 1e6).toFixed(1)} M MACs`);
  for (const r of rows.filter((q) => q.model === b.name))
    console.log(`  ${r.impl.padEnd(14)} ${r.medianMs.toFixed(3).padStart(10)} ms  ${r.speedup ? `${r.speedup.toFixed(1)}x tfjs` : '         '}  file ${(r.fileBytes / 1024).toFixed(0)} KiB  memory ${(r.wasmMemoryBytes / 1024).toFixed(0)} KiB`);
  const simdRow = rows.find((q) => q.model === b.name && q.impl === 'bexnet-simd')!;
  const total = simdRow.layers!.reduce((s, l) => s + l.ms, 0);
  console.log('  bexnet-simd per layer:   #  op                  output              MACs       ms   GMAC/s  share');
  for (const l of simdRow.layers!)
    console.log(`  ${String(l.index).padStart(25)}  ${l.kind.padEnd(18)}  ${l.output.padEnd(18)} ${(l.macs / 1e6).toFixed(2).padStart(7)}M ${l.ms.toFixed(4).padStart(8)} ${(l.macs / l.ms / 1e6).toFixed(1).padStart(8)} ${((100 * l.ms) / total).toFixed(1).padStart(5)}%`);
}
writeRows(args.json, rows, { models: Object.fromEntries(chosen.map((b) => [b.name, b.describe])), tfjs: 'tfjs-backend-wasm 4.22, SIMD, 1 thread, float weights' });
