// Training kernels for @tensorflow/tfjs-backend-wasm.
//
// The shipped wasm backend (4.22) has no Conv2DBackpropFilter (nor the depthwise
// gradients), its Sum/Mean over all axes but the channels transpose first, its
// Conv2DBackpropInput is a naive loop (~1-2 GFLOP/s against ~10 GMAC/s for the
// XNNPACK forward Conv2D on the same shapes) and its MaxPoolGrad is slow. They
// run here on our own kernels (assembly/training.ts, built into
// build/bexnet.train.wasm), ~10 GMAC/s on sketchnet's conv gradients:
//
//  dW[ky,kx,ci,co] = sum_{n,y,x} xpad[n, y*s+ky, x*s+kx, ci] * dy[n,y,x,co]   convFilterGrad (SIMD GEMM)
//  dx = conv2d(dy, rot180(W) with in/out swapped, pads kh-1-top, kw-1-left)   stride 1
//  dx = col2im(dy x W^T)                                                      stride > 1
//  1x1 and dense-shaped input gradients: the backend's own BatchMatMul.
//
// While training (useTrainingForwardConv), the forward Conv2D also runs on our
// conv2d, 1.45x XNNPACK's speed on sketchnet's 3x3 layers at batch 128. It is
// switched off outside training so a tfjs-wasm latency measured in the same
// process (quickstart, bench) is tfjs's own.
//
// Tensors are copied into that module's memory and back (~1 ms per call
// against 10-50 ms of compute). Dilated convolutions are not supported.
import * as tf from '@tensorflow/tfjs';
import { packFloatFilters } from '../../sdk/layout.js';
import { Arena, instantiateKernels } from '../node-kernels.js';

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
// The wasm backend object; typed loosely because its class is not exported.
type WasmBackend = { disposeData(dataId: object): void; makeOutput(shape: number[], dtype: string): TensorInfo };
type KernelArgs = { inputs: Record<string, TensorInfo>; backend: WasmBackend; attrs: Record<string, unknown> };
type KFunc = (args: KernelArgs) => TensorInfo;

function kernel(name: string): KFunc {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm backend lacks kernel ${name}`);
  return k.kernelFunc as unknown as KFunc;
}

// ---------------------------------------------------------------------------
// Our training kernels: one module instance per thread, a grow-only memory.

type TrainExports = {
  memory: WebAssembly.Memory;
  heapBase(): number;
  convFilterGrad(...a: number[]): void;
  convFilterGradScratchBytes(...a: number[]): number;
  conv2d(...a: number[]): void;
  conv2dScratchBytes(...a: number[]): number;
  col2im(...a: number[]): void;
  maxPoolGrad(...a: number[]): void;
  depthwiseFilterGrad(...a: number[]): void;
  depthwiseInputGrad(...a: number[]): void;
  channelSums(...a: number[]): void;
};

let trainKernels: TrainExports | null = null;

function ownKernels(): TrainExports {
  if (!trainKernels) {
    trainKernels = instantiateKernels<TrainExports>('train');
  }
  return trainKernels;
}

function convInfo(xShape: number[], filterShape: number[], attrs: Record<string, unknown>, depthwise = false): tf.backend_util.Conv2DInfo {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides as number | [number, number], attrs.dilations as number | [number, number] ?? 1,
    attrs.pad as 'same' | 'valid' | number, attrs.dimRoundingMode as 'floor' | undefined, depthwise);
  if (depthwise && filterShape[3] !== 1) throw new Error('bexnet training kernels: depthwise convolutions with a multiplier > 1 are not supported');
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.strideHeight !== info.strideWidth) {
    throw new Error('bexnet training kernels: dilated or unequally strided convolutions are not supported');
  }
  return info;
}

/** Byte offsets of `sizes` laid out from heapBase (a fresh bump arena per call; memory only grows). */
function layout(k: TrainExports, ...sizes: number[]): number[] {
  Arena.reset(k);
  const arena = new Arena(k);
  return sizes.map((b) => arena.alloc(b));
}

/**
 * Our conv2d on every image of `input` [n, h, w, c] with weights already in
 * panels (packFloatFilters), no bias, zero padding: a new [n, outH, outW, co] tensor.
 */
function conv2dImages(k: TrainExports, backend: WasmBackend, input: TensorInfo, panels: Float32Array,
  n: number, h: number, w: number, c: number, co: number, kh: number, kw: number, stride: number,
  padTop: number, padLeft: number, outH: number, outW: number): TensorInfo {
  const xs = heap(backend, input);
  const imgIn = h * w * c, imgOut = outH * outW * co, biasFloats = Math.ceil(co / 8) * 8;
  const [px, pw, pb, py, pscr] = layout(k, xs.byteLength, panels.byteLength, biasFloats * 4, n * imgOut * 4,
    k.conv2dScratchBytes(c, kh, kw, stride, outH, outW, co));
  const mem = new Float32Array(k.memory.buffer);
  mem.set(xs, px >> 2);
  mem.set(panels, pw >> 2);
  mem.fill(0, pb >> 2, (pb >> 2) + biasFloats);
  for (let b = 0; b < n; b++) {
    k.conv2d(px + b * imgIn * 4, h, w, c, pw, pb, co, kh, kw, stride, padTop, padLeft, outH, outW, 0, py + b * imgOut * 4, pscr);
  }
  const out = backend.makeOutput([n, outH, outW, co], 'float32');
  heap(backend, out).set(new Float32Array(k.memory.buffer, py, n * imgOut));
  return out;
}

function conv2DBackpropFilter(args: KernelArgs): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const info = convInfo(x.shape, attrs.filterShape as number[], attrs);
  const k = ownKernels();
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo, outChannels: Co,
    filterHeight: kh, filterWidth: kw, strideHeight: s } = info;
  const xs = heap(backend, x), dys = heap(backend, dy);
  const [px, pdy, pdw, pscr] = layout(k, xs.byteLength, dys.byteLength, kh * kw * C * Co * 4,
    k.convFilterGradScratchBytes(N, C, Ho, Wo, Co, kh, kw, s));
  const mem = new Float32Array(k.memory.buffer);
  mem.set(xs, px >> 2);
  mem.set(dys, pdy >> 2);
  k.convFilterGrad(px, N, H, W, C, pdy, Ho, Wo, Co, kh, kw, s, info.padInfo.top, info.padInfo.left, pdw, pscr);
  const out = backend.makeOutput([kh, kw, C, Co], 'float32');
  heap(backend, out).set(new Float32Array(k.memory.buffer, pdw, kh * kw * C * Co));
  return out;
}

/** Stride-1 input gradient: per image, conv2d of dy (padded kh-1-top, kw-1-left) with the rotated filter. */
function stride1InputGrad(k: TrainExports, args: KernelArgs, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const { inputs: { dy, filter }, backend } = args;
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo, outChannels: Co,
    filterHeight: kh, filterWidth: kw } = info;
  // The filter rotated 180° with its channel axes swapped, [kh, kw, Co, C]: dx's output channels are C.
  const w = heap(backend, filter);
  const rotated = new Float32Array(kh * kw * Co * C);
  for (let t = 0; t < kh * kw; t++) {
    const src = (kh * kw - 1 - t) * C * Co;
    for (let c = 0; c < C; c++) for (let o = 0; o < Co; o++) rotated[(t * Co + o) * C + c] = w[src + c * Co + o];
  }
  return conv2dImages(k, backend, dy, packFloatFilters(rotated, kh * kw * Co, C), N, Ho, Wo, Co, C, kh, kw, 1,
    kh - 1 - info.padInfo.top, kw - 1 - info.padInfo.left, H, W);
}

/**
 * Strided input gradient: cols = dy × Wᵀ as conv2d's 1×1 conv over the
 * N·Ho·Wo positions (K = kh·kw·C outputs per position), then col2im.
 */
function stridedInputGrad(k: TrainExports, args: KernelArgs, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const { inputs: { dy, filter }, backend } = args;
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo, outChannels: Co,
    filterHeight: kh, filterWidth: kw, strideHeight: s } = info;
  const K = kh * kw * C, P = N * Ho * Wo, panels = Math.ceil(K / 8);
  // W [K, Co] transposed: a 1x1 conv with Co inputs and K outputs.
  const w = heap(backend, filter);
  const wT = new Float32Array(K * Co);
  for (let r = 0; r < K; r++) for (let o = 0; o < Co; o++) wT[o * K + r] = w[r * Co + o];
  const packed = packFloatFilters(wT, Co, K);
  const dys = heap(backend, dy);
  const [pdy, pw, pb, pcols, pdx] = layout(k, dys.byteLength, packed.byteLength, panels * 32, P * K * 4, N * H * W * C * 4);
  const mem = new Float32Array(k.memory.buffer);
  mem.set(dys, pdy >> 2);
  mem.set(packed, pw >> 2);
  mem.fill(0, pb >> 2, (pb >> 2) + panels * 8);
  k.conv2d(pdy, 1, P, Co, pw, pb, K, 1, 1, 1, 0, 0, 1, P, 0, pcols, 0);
  k.col2im(pcols, N, H, W, C, kh, kw, s, info.padInfo.top, info.padInfo.left, Ho, Wo, pdx);
  const out = backend.makeOutput([N, H, W, C], 'float32');
  heap(backend, out).set(new Float32Array(k.memory.buffer, pdx, N * H * W * C));
  return out;
}

function conv2DBackpropInput(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as [number, number, number, number];
  const info = convInfo(inputShape, filter.shape, attrs);
  const [kh, kw, ci, co] = filter.shape;
  const [n, H, W] = inputShape;
  const top = info.padInfo.top, left = info.padInfo.left;
  // Matmul cases: a 1x1 stride-1 conv, or a conv whose single output pixel sees
  // the whole unpadded input (a dense layer).
  const isPointwise = kh === 1 && kw === 1 && info.strideHeight === 1 && top === 0 && left === 0;
  const isDense = info.outHeight === 1 && info.outWidth === 1 && H === kh && W === kw && top === 0 && left === 0;
  if (isPointwise || isDense) {
    const reshape = kernel('Reshape');
    const rows = isPointwise ? n * H * W : n;
    const a = reshape({ inputs: { x: dy }, backend, attrs: { shape: [1, rows, co] } });
    // The wasm BatchMatMul is slow with transposeA/B; transpose the (small) weights instead.
    const w2 = reshape({ inputs: { x: filter }, backend, attrs: { shape: [kh * kw * ci, co] } });
    const wT = kernel('Transpose')({ inputs: { x: w2 }, backend, attrs: { perm: [1, 0] } });
    const b = reshape({ inputs: { x: wT }, backend, attrs: { shape: [1, co, kh * kw * ci] } });
    const out = kernel('BatchMatMul')({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } });
    for (const t of [a, w2, wT, b]) backend.disposeData(t.dataId);
    const dx = reshape({ inputs: { x: out }, backend, attrs: { shape: inputShape } });
    backend.disposeData(out.dataId);
    return dx;
  }
  // Stride 1 with the forward padding no larger than the filter: a plain conv.
  const pt = kh - 1 - top, pl = kw - 1 - left;
  if (info.strideHeight === 1 && pt >= 0 && pl >= 0) return stride1InputGrad(ownKernels(), args, info);
  return stridedInputGrad(ownKernels(), args, info);
}

let shippedConv2D: tf.KernelConfig | null = null;

function conv2DForward(args: KernelArgs): TensorInfo {
  const { inputs: { x, filter }, backend, attrs } = args;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    attrs.strides as number | [number, number], attrs.dilations as number | [number, number],
    attrs.pad as 'same' | 'valid' | number, attrs.dimRoundingMode as 'floor' | undefined);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.strideHeight !== info.strideWidth || attrs.dataFormat === 'NCHW') {
    return (shippedConv2D!.kernelFunc as unknown as KFunc)(args);
  }
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo, outChannels: Co,
    filterHeight: kh, filterWidth: kw, strideHeight: s } = info;
  return conv2dImages(ownKernels(), backend, x, packFloatFilters(heap(backend, filter), kh * kw * C, Co), N, H, W, C, Co, kh, kw, s,
    info.padInfo.top, info.padInfo.left, Ho, Wo);
}

/**
 * Runs the wasm backend's forward Conv2D on our conv2d (true) or on the shipped
 * XNNPACK kernel (false). Returns the previous setting. No-op off the wasm backend.
 */
export function useTrainingForwardConv(on: boolean): boolean {
  const current = tf.getKernel('Conv2D', 'wasm');
  if (!current) return false;
  const wasOn = current.kernelFunc === (conv2DForward as unknown as tf.KernelFunc);
  if (on === wasOn) return wasOn;
  if (!shippedConv2D) shippedConv2D = current;
  ownKernels();
  tf.unregisterKernel('Conv2D', 'wasm');
  tf.registerKernel(on
    ? { kernelName: 'Conv2D', backendName: 'wasm', setupFunc: shippedConv2D.setupFunc, kernelFunc: conv2DForward as unknown as tf.KernelFunc }
    : shippedConv2D);
  return wasOn;
}

/** A Float32Array view of a tensor in the wasm heap (take views after every allocation). */
function heap(backend: WasmBackend, t: TensorInfo): Float32Array {
  return (backend as unknown as { typedArrayFromHeap(t: TensorInfo): Float32Array }).typedArrayFromHeap(t);
}

function maxPoolGrad(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number, 1, attrs.pad as 'same' | 'valid' | number, attrs.dimRoundingMode as 'floor' | undefined);
  const { batchSize: N, inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo, inChannels: C,
    filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  if (sh !== sw) throw new Error('bexnet training kernels: unequally strided pooling is not supported');
  const k = ownKernels();
  const xs = heap(backend, input), gs = heap(backend, dy);
  const [px, pg, pdx] = layout(k, xs.byteLength, gs.byteLength, xs.byteLength);
  const mem = new Float32Array(k.memory.buffer);
  mem.set(xs, px >> 2);
  mem.set(gs, pg >> 2);
  k.maxPoolGrad(px, pg, N, H, W, C, fh, fw, sh, top, left, Ho, Wo, pdx);
  const out = backend.makeOutput(input.shape, 'float32');
  heap(backend, out).set(new Float32Array(k.memory.buffer, pdx, xs.length));
  return out;
}

// Depthwise gradients (the wasm backend ships neither): assembly/training.ts, multiplier 1.

/** Copies `a` (x for dW, the filter for dx) and dy in, runs `grad`, returns the [outShape] result. */
function depthwiseGradient(args: KernelArgs, a: TensorInfo, info: tf.backend_util.Conv2DInfo, outShape: number[], grad: 'depthwiseFilterGrad' | 'depthwiseInputGrad'): TensorInfo {
  const { inputs: { dy }, backend } = args;
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo, filterHeight: kh, filterWidth: kw, strideHeight: s, padInfo } = info;
  const k = ownKernels();
  const as = heap(backend, a), gs = heap(backend, dy), outFloats = outShape.reduce((p, d) => p * d, 1);
  const [pa, pg, pout] = layout(k, as.byteLength, gs.byteLength, outFloats * 4);
  const mem = new Float32Array(k.memory.buffer);
  mem.set(as, pa >> 2);
  mem.set(gs, pg >> 2);
  k[grad](pa, N, H, W, C, pg, Ho, Wo, kh, kw, s, padInfo.top, padInfo.left, pout);
  const out = backend.makeOutput(outShape, 'float32');
  heap(backend, out).set(new Float32Array(k.memory.buffer, pout, outFloats));
  return out;
}

function depthwiseBackpropFilter(args: KernelArgs): TensorInfo {
  const { inputs: { x }, attrs } = args;
  const filterShape = attrs.filterShape as number[];
  return depthwiseGradient(args, x, convInfo(x.shape, filterShape, attrs, true), filterShape, 'depthwiseFilterGrad');
}

function depthwiseBackpropInput(args: KernelArgs): TensorInfo {
  const { inputs: { filter }, attrs } = args;
  const inputShape = attrs.inputShape as number[];
  return depthwiseGradient(args, filter, convInfo(inputShape, filter.shape, attrs, true), inputShape, 'depthwiseInputGrad');
}

/**
 * Sum and Mean over every axis but the last (batch-norm moments, bias and scale gradients):
 * assembly/training.ts's channelSums, one pass without the backend's transpose. Any other
 * reduction, dtype or an empty tensor goes to the shipped kernel.
 */
function channelReduction(mean: boolean) {
  return (args: KernelArgs, shipped: KFunc | undefined): TensorInfo => {
    const { inputs: { x }, backend, attrs } = args;
    const rank = x.shape.length, c = x.shape[rank - 1] ?? 0, size = tf.util.sizeFromShape(x.shape);
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const perChannel = x.dtype === 'float32' && rank >= 2 && size > 0 && axes.length === rank - 1 && [...axes].sort((a, b) => a - b).every((a, i) => a === i);
    if (!perChannel) {
      if (!shipped) throw new Error(`wasm backend lacks kernel ${mean ? 'Mean' : 'Sum'}`);
      return shipped(args);
    }
    const rows = size / c;
    const k = ownKernels();
    const xs = heap(backend, x);
    const [px, pout, pscratch] = layout(k, xs.byteLength, c * 4, c * 12);
    new Float32Array(k.memory.buffer).set(xs, px >> 2);
    k.channelSums(px, rows, c, pout, pscratch);
    const out = backend.makeOutput(attrs.keepDims ? [...Array(rank - 1).fill(1), c] : [c], 'float32');
    const o = heap(backend, out);
    o.set(new Float32Array(k.memory.buffer, pout, c));
    if (mean) for (let i = 0; i < c; i++) o[i] /= rows;
    return out;
  };
}

let registered = false;

/** Registers (or replaces) the wasm kernels training needs. Idempotent. */
export function registerWasmTrainingKernels(): string[] {
  if (registered) return [];
  registered = true;
  ownKernels(); // fail here, with the build hint, rather than in the first backward pass
  // Each kernel gets the shipped one (if any) to fall back on.
  const kernels: [string, (a: KernelArgs, shipped: KFunc | undefined) => TensorInfo, string][] = [
    ['Conv2DBackpropFilter', conv2DBackpropFilter, 'Conv2DBackpropFilter (bexnet SIMD GEMM)'],
    ['Conv2DBackpropInput', conv2DBackpropInput, 'Conv2DBackpropInput (bexnet conv2d / col2im; 1x1 BatchMatMul)'],
    ['MaxPoolGrad', maxPoolGrad, 'MaxPoolGrad (bexnet wasm)'],
    ['DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter, 'DepthwiseConv2dNativeBackpropFilter/Input (bexnet wasm)'],
    ['DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput, ''],
    ['Sum', channelReduction(false), 'Sum/Mean over all axes but the channels (bexnet wasm)'],
    ['Mean', channelReduction(true), ''],
  ];
  for (const [name, f] of kernels) {
    const shipped = tf.getKernel(name, 'wasm');
    if (shipped) tf.unregisterKernel(name, 'wasm');
    const fallback = shipped?.kernelFunc as unknown as KFunc | undefined;
    // A shipped kernel's setupFunc already ran at backend init.
    tf.registerKernel({ kernelName: name, backendName: 'wasm', setupFunc: shipped?.setupFunc, kernelFunc: ((a: KernelArgs) => f(a, fallback)) as unknown as tf.KernelFunc });
  }
  return [...kernels.map((k) => k[2]).filter(Boolean), 'Conv2D (bexnet conv2d while training)'];
}
