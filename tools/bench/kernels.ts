// npm run bench:kernels [-- --json FILE] [--quick] [--variants] [--xnet]
// In one process: bexnet bconv2d (SIMD, XNOR and DABN transforms; scalar build),
// bexnet float conv2d and tfjs-backend-wasm conv2d (SIMD, one thread) on NHWC
// 3×3 stride-1 same layers (float weights also as int8 and as α/β binary weights on float
// inputs, conv2dbw), dense layers, plus the
// in-process XOR+popcount ceiling. With --xnet, X-Convs (D = C/f, f = 2, 4, 8; float
// xconv2d and binary xbconv2d, DABN transform; float also on a graph over single input
// channels, xconv-in1) and grouped convs of equal MACs beside the dense conv of each standard shape,
// and bconv2d on an input of D channels (bconv-din: what the dense kernel makes of an X-Conv's work).
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { orExit, runScript, UsageError } from '../args.js';
import { KERNEL_BENCH_OPTIONS, KERNEL_BENCH_USAGE } from './kernel-options.js';
import { timeInterleaved, writeRows } from './common.js';
import { Arena, instantiateKernels } from '../node-kernels.js';
import { convGeometry, packBinaryFilters, packBinaryWeightsByOutput, packSigns, packFloatFilters, packXBinaryFilters, quantizeInt8, roundUp } from '../../sdk/layout.js';
import { layerGroupTable } from '../../sdk/expander.js';

/** Per-output-channel scales padded to whole panels of 8, as the int8 kernels read them. */
const padScales = (scales: Float32Array, cout: number) => { const p = new Float32Array(roundUp(cout, 8)).fill(1); p.set(scales); return p; };

const args = runScript(KERNEL_BENCH_USAGE, KERNEL_BENCH_OPTIONS);
const SHAPES = [
  { h: 56, c: 64, cout: 64, k: 3 },
  { h: 28, c: 128, cout: 128, k: 3 },
  { h: 14, c: 256, cout: 256, k: 3 },
  { h: 7, c: 512, cout: 512, k: 3 },
  { h: 14, c: 256, cout: 256, k: 1 },
  // The small ResNet's 3x3 layers at width 0.5 (tools/train/models.ts), not issue 2's standard
  // shapes: a few channels per pixel, where per-pixel work outweighs the XOR+popcount.
  { h: 28, c: 16, cout: 16, k: 3 },
  { h: 14, c: 32, cout: 32, k: 3 },
  { h: 7, c: 64, cout: 64, k: 3 },
];
// First layers: few input channels (a sketch's one, an image's three), where a GEMM over
// kw·C has almost no depth. The sketch net's conv1 and a VGG-style RGB stem.
const FIRST_SHAPES = [
  { h: 28, c: 1, cout: 32, k: 5, stride: 2, impl: 'conv2d-first-c1' },
  { h: 224, c: 3, cout: 64, k: 3, stride: 1, impl: 'conv2d-first-c3' },
];
// Dense layers: the classifiers of the sketch net at 345 classes and of an ImageNet-shaped net.
const DENSE_SHAPES = [{ k: 512, n: 345 }, { k: 4096, n: 1000 }];
const firstLabel = ({ h, c, cout, k, stride }: (typeof FIRST_SHAPES)[number]) => `${h}x${h}x${c}-${cout}-${k}x${k}${stride > 1 ? `-s${stride}` : ''}`;
const denseLabel = ({ k, n }: (typeof DENSE_SHAPES)[number]) => `dense-${k}-${n}`;
const FLAG_SUM_X = 4;
const budgetMs = args['budget-ms'] ?? (args.quick ? 1000 : 4000);
const label = ({ h, c, cout, k }: (typeof SHAPES)[number]) => `${h}x${h}x${c}-${cout}-${k}x${k}`;
const shapeFilter = orExit(() => {
  if (args.shape === undefined) return null;
  let re: RegExp;
  try { re = new RegExp(args.shape); } catch { throw new UsageError(`--shape must be a regular expression, got '${args.shape}'`); }
  const labels = [...SHAPES.map(label), ...FIRST_SHAPES.map(firstLabel), ...DENSE_SHAPES.map(denseLabel)];
  if (!labels.some((l) => re.test(l))) throw new UsageError(`--shape '${args.shape}' matches none of ${labels.join(', ')}`);
  return re;
});

setThreadsCount(1);
await tf.setBackend('wasm');
await tf.ready();

const simd = instantiateKernels('simd-full'), scalar = instantiateKernels('scalar-full'); // the shipped kernels plus their references and probes
const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

interface Row { shape: string; impl: string; medianMs: number; minMs: number; maxMs: number; runs: number; gmacs: number }
const rows: Row[] = [];
// Per shape, every implementation is registered, then all are timed round-robin.
let pending: { shape: string; impl: string; macs: number; fn: () => void }[] = [];
function record(shape: string, impl: string, macs: number, fn: () => void) {
  pending.push({ shape, impl, macs, fn });
}
function flush() {
  const times = timeInterleaved(pending.map((p) => p.fn), { budgetMs });
  pending.forEach(({ shape, impl, macs }, i) => {
    const t = times[i];
    rows.push({ shape, impl, medianMs: +t.medianMs.toFixed(4), minMs: +t.minMs.toFixed(4), maxMs: +t.maxMs.toFixed(4), runs: t.runs, gmacs: +(macs / t.medianMs / 1e6).toFixed(2) });
  });
  pending = [];
}

// The ceiling: the XOR+popcount inner loop alone, on 24 vectors × 4 filters held
// in L1, timed in each shape's round-robin so it sees the same machine state.
const ceilingA = new Arena(simd);
const CEIL_KV = 24, CEIL_REPS = 20000;
const ceilA = ceilingA.put(new Uint32Array(CEIL_KV * 4).map(() => (Math.random() * 2 ** 32) >>> 0));
const ceilB = ceilingA.put(new Uint32Array(CEIL_KV * 16).map(() => (Math.random() * 2 ** 32) >>> 0));

for (const { h, c, cout, k } of SHAPES.filter((s) => !shapeFilter || shapeFilter.test(label(s)))) {
  const shape = label({ h, c, cout, k });
  const g = convGeometry(h, h, k, k, 1, 'same');
  const macs = g.outH * g.outW * cout * k * k * c;
  const x = rand(h * h * c), w = rand(k * k * c * cout);

  const xt = tf.tensor4d(x, [1, h, h, c]), wt = tf.tensor4d(w, [k, k, c, cout]);
  record(shape, 'tfjs-wasm', macs, () => tf.conv2d(xt, wt, 1, 'same').dispose());

  if (simd.conv2d) {
    const a = new Arena(simd);
    const ip = a.put(x), wp = a.put(packFloatFilters(w, k * k * c, cout)), bp = a.put(rand(cout));
    const sp = a.alloc(simd.conv2dScratchBytes(c, k, k, 1, g.outH, g.outW, cout)), op = a.alloc(g.outH * g.outW * cout * 4);
    record(shape, 'conv2d-f32', macs, () => simd.conv2d(ip, h, h, c, wp, bp, cout, k, k, 1, g.padTop, g.padLeft, g.outH, g.outW, 0, op, sp));
    // int8 weights read as stored (a quarter of the weight bytes), widened in registers.
    const { q, scales } = quantizeInt8(w, cout);
    const qp = a.put(Int8Array.from(packFloatFilters(Float32Array.from(q), k * k * c, cout))), sc = a.put(padScales(scales, cout));
    record(shape, 'conv2d-int8', macs, () => simd.conv2dInt8(ip, h, h, c, qp, sc, bp, cout, k, k, 1, g.padTop, g.padLeft, g.outH, g.outW, 0, op, sp));
    // Float inputs × α/β binary weights (a hybrid's float-input layer, issue 10), DABN transform.
    const wbw = a.put(packBinaryWeightsByOutput(w, k, k, c, cout)), tbw = a.put(new Float32Array(3 * cout).map(() => Math.random()));
    const sbw = a.alloc(simd.conv2dBinaryWeightsScratchBytes(c, k, k, 1, g.outH, g.outW, cout));
    record(shape, 'conv2dbw-f32', macs, () => simd.conv2dBinaryWeights(ip, h, h, c, wbw, cout, k, k, 1, g.padTop, g.padLeft, g.outH, g.outW, tbw, FLAG_SUM_X, op, sbw));
  }

  const xb = packSigns(x, h * h, c), wb = packBinaryFilters(w, k, k, c, cout);
  const tr = new Float32Array(3 * cout).map(() => Math.random());
  for (const [impl, k8, flags] of [['bconv-simd-xnor', simd, 0], ['bconv-simd-dabn', simd, FLAG_SUM_X], ['bconv-scalar-dabn', scalar, FLAG_SUM_X]] as const) {
    const b = bconvBuffers(k8, h, c, cout, k, g, xb, wb, tr);
    record(shape, impl, macs, () => k8.bconv2d(b.ip, h, h, c, b.wp, cout, k, k, 1, g.padTop, g.padLeft, g.outH, g.outW, b.tp, flags, b.op, b.sp));
    if (impl === 'bconv-simd-dabn' && args.variants) {
      // The inner-loop strategies bconv2d chooses between (assembly/bconv.ts INNER_*).
      for (const [inner, name] of ['popcnt8', 'harley-seal', 'popcnt64', 'mixed'].entries()) {
        record(shape, `bconv-simd-dabn-${name}`, macs, () => k8.bconv2dWith(inner, b.ip, h, h, c, b.wfile, cout, k, k, 1, g.padTop, g.padLeft, g.outH, g.outW, b.tp, flags, b.op, b.sp));
      }
    }
  }
  record(shape, 'ceiling-xor-popcnt', CEIL_REPS * 4 * CEIL_KV * 128, () => simd.xorPopcntCeiling(ceilA, ceilB, CEIL_KV, CEIL_REPS));
  if (args.xnet) recordXnet(shape, h, c, cout, k, g, x, xb, tr);
  flush();
  xt.dispose(); wt.dispose();
}

/** bconv2d's buffers in an arena of `k8`: bits, file-layout and packed filters (the layout bconv2d reads, as the sdk prepares it at load), transform, scratch, output. */
function bconvBuffers(k8: Record<string, any>, h: number, c: number, cout: number, k: number, g: ReturnType<typeof convGeometry>,
  xb: Uint32Array, wb: Uint32Array, tr: Float32Array) {
  const a = new Arena(k8);
  const ip = a.put(xb), wfile = a.put(wb), tp = a.put(tr);
  const wp = a.alloc(k8.bconv2dPackedBytes(c, k, k, cout));
  k8.bconv2dPackWeights(wfile, c, k, k, cout, wp);
  const sp = a.alloc(k8.bconv2dScratchBytes(c, k, k, 1, g.outH, g.outW, cout)), op = a.alloc(g.outH * g.outW * cout * 4);
  return { ip, wfile, wp, tp, sp, op };
}

/**
 * X-Conv rows (issue 9): each output block of 8 reads D = C/f channels chosen by a balanced
 * expander graph (groups of 8 channels), as the sdk runs them. The grouped conv of equal
 * MACs is the same kernel on a block-diagonal table (f groups of D consecutive channels,
 * inGroup = D, so the gather copies one contiguous run per pixel): bexnet has no other
 * grouped conv, and tfjs has none for f > 1 short of depthwise.
 */
function recordXnet(shape: string, h: number, c: number, cout: number, k: number, g: ReturnType<typeof convGeometry>,
  x: Float32Array, xb: Uint32Array, tr: Float32Array) {
  for (const f of [2, 4, 8]) {
    const d = c / f;
    if (!Number.isInteger(d) || d % 8 !== 0 || (cout / f) % 8 !== 0) continue;
    const macs = g.outH * g.outW * cout * k * k * d;
    const expander = layerGroupTable({ inChannels: c, outChannels: cout, degree: d, inGroup: 8, outGroup: 8, seedLo: 1000 + f, seedHi: 0, balanced: true });
    // Block b of 8 outputs lies in group floor(8b / (cout/f)), which reads channels [gD, (g+1)D).
    const grouped = Int32Array.from({ length: cout / 8 }, (_, b) => Math.floor((8 * b) / (cout / f)));
    // Float also on a graph over single input channels (graphNodes 'input-channels'): a per-channel gather.
    const inputChannels = layerGroupTable({ inChannels: c, outChannels: cout, degree: d, inGroup: 1, outGroup: 8, seedLo: 1000 + f, seedHi: 0, balanced: true });
    const wf = rand(k * k * d * cout), wbits = packXBinaryFilters(wf, k, k, d, cout);
    for (const [kind, table, inGroup] of [['xconv', expander, 8], ['xconv-in1', inputChannels, 1], ['grouped', grouped, d]] as const) {
      const a = new Arena(simd);
      const ip = a.put(x), tp = a.put(table), wp = a.put(packFloatFilters(wf, k * k * d, cout)), bp = a.put(rand(cout));
      const sp = a.alloc(simd.xconv2dScratchBytes(d, k, k, 1, g.outH, g.outW, cout)), op = a.alloc(g.outH * g.outW * cout * 4);
      record(shape, `${kind}-f${f}`, macs, () => simd.xconv2d(ip, h, h, c, tp, inGroup, d, wp, bp, cout, k, k, 1, g.padTop, g.padLeft, g.outH, g.outW, 0, op, sp));
      if (inGroup % 8 !== 0) continue; // xbconv2d gathers whole bytes of bits
      const ab = new Arena(simd);
      const xbp = ab.put(xb), tbp = ab.put(table), wfile = ab.put(new Int8Array(wbits.buffer)), trp = ab.put(tr);
      const wbp = ab.alloc(simd.xbconv2dPackedBytes(d, k, k, cout)); // the layout xbconv2d reads, as the sdk prepares it at load
      simd.xbconv2dPackWeights(wfile, d, k, k, cout, wbp);
      const sbp = ab.alloc(simd.xbconv2dScratchBytes(d, k, k, 1, g.outH, g.outW, cout)), obp = ab.alloc(g.outH * g.outW * cout * 4);
      record(shape, `${kind}-bin-f${f}`, macs, () => simd.xbconv2d(xbp, h, h, c, tbp, inGroup, d, wbp, cout, k, k, 1, g.padTop, g.padLeft, g.outH, g.outW, trp, FLAG_SUM_X, obp, sbp));
    }
    // The floor of the ideal for binary X-Convs: bexnet's dense bconv2d on an input of only D
    // channels (no graph, no gather), the same XOR+popcount and per-output work as an X-Conv.
    const b = bconvBuffers(simd, h, d, cout, k, g, packSigns(rand(h * h * d), h * h, d), packBinaryFilters(rand(k * k * d * cout), k, k, d, cout), tr);
    record(shape, `bconv-din-f${f}`, macs, () => simd.bconv2d(b.ip, h, h, d, b.wp, cout, k, k, 1, g.padTop, g.padLeft, g.outH, g.outW, b.tp, FLAG_SUM_X, b.op, b.sp));
  }
}

// First layers (FIRST_SHAPES), against tfjs conv2d + bias.
for (const { h, c, cout, k, stride, impl } of FIRST_SHAPES) {
  const shape = firstLabel({ h, c, cout, k, stride, impl });
  if (shapeFilter && !shapeFilter.test(shape)) continue;
  const g = convGeometry(h, h, k, k, stride, 'same');
  const macs = g.outH * g.outW * cout * k * k * c;
  const x = rand(h * h * c), w = rand(k * k * c * cout), b = rand(cout);
  const xt = tf.tensor4d(x, [1, h, h, c]), wt = tf.tensor4d(w, [k, k, c, cout]), bt = tf.tensor1d(b);
  record(shape, 'tfjs-wasm', macs, () => tf.add(tf.conv2d(xt, wt, stride, 'same'), bt).dispose());
  const a = new Arena(simd);
  const ip = a.put(x), bp = a.put(b), op = a.alloc(g.outH * g.outW * cout * 4);
  const wp = a.put(packFloatFilters(w, k * k * c, cout));
  const sp = a.alloc(simd.conv2dScratchBytes(c, k, k, stride, g.outH, g.outW, cout));
  // The row names the layer (issue 11's conv2d-first-c1/-c3); the sdk runs conv2d there.
  record(shape, impl, macs, () => simd.conv2d(ip, h, h, c, wp, bp, cout, k, k, stride, g.padTop, g.padLeft, g.outH, g.outW, 0, op, sp));
  flush();
  xt.dispose(); wt.dispose(); bt.dispose();
}

// Dense layers (DENSE_SHAPES): f32 and int8 weights against tfjs matMul + bias.
for (const { k, n } of DENSE_SHAPES) {
  const shape = denseLabel({ k, n });
  if (shapeFilter && !shapeFilter.test(shape)) continue;
  const x = rand(k), w = rand(k * n), b = rand(n);
  const xt = tf.tensor2d(x, [1, k]), wt = tf.tensor2d(w, [k, n]), bt = tf.tensor1d(b);
  record(shape, 'tfjs-wasm', k * n, () => tf.add(tf.matMul(xt, wt), bt).dispose());
  const a = new Arena(simd);
  const ip = a.put(x), bp = a.put(b), op = a.alloc(n * 4);
  const wp = a.put(packFloatFilters(w, k, n));
  record(shape, 'dense-f32', k * n, () => simd.dense(ip, k, wp, bp, n, 0, op));
  const { q, scales } = quantizeInt8(w, n);
  const qp = a.put(Int8Array.from(packFloatFilters(Float32Array.from(q), k, n))), sc = a.put(padScales(scales, n));
  record(shape, 'dense-int8', k * n, () => simd.denseInt8(ip, k, qp, sc, bp, n, 0, op));
  flush();
  xt.dispose(); wt.dispose(); bt.dispose();
}

// Print: per shape, each implementation's time and its ratio to tfjs and to the ceiling.
console.log('shape                  impl                       median ms (min–max)        GMAC/s   ×tfjs  %ceiling');
for (const r of rows) {
  if (r.impl === 'ceiling-xor-popcnt') continue;
  const tfjs = rows.find((q) => q.shape === r.shape && q.impl === 'tfjs-wasm')!;
  const ceiling = rows.find((q) => q.shape === r.shape && q.impl === 'ceiling-xor-popcnt')?.gmacs ?? NaN;
  const speedup = (tfjs.medianMs / r.medianMs).toFixed(2);
  const pct = r.impl.startsWith('bconv') ? ((100 * r.gmacs) / ceiling).toFixed(0) + '%' : '';
  console.log(`${r.shape.padEnd(22)} ${r.impl.padEnd(26)} ${r.medianMs.toFixed(3).padStart(8)} (${r.minMs.toFixed(3)}–${r.maxMs.toFixed(3)})`.padEnd(82) + `${r.gmacs.toFixed(1).padStart(7)} ${speedup.padStart(6)} ${pct.padStart(8)}`);
}
console.log(`ceiling-xor-popcnt per shape (GMAC/s): ${rows.filter((r) => r.impl === 'ceiling-xor-popcnt').map((r) => r.gmacs).join(', ')}`);
writeRows(args.json, rows);
