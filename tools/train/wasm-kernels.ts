// Training kernels for @tensorflow/tfjs-backend-wasm.
//
// The shipped wasm backend (4.22) has no Conv2DBackpropFilter, and its
// Conv2DBackpropInput is a naive loop (~1-2 GFLOP/s against ~15 GFLOP/s for the
// XNNPACK forward Conv2D on the same shapes). Both gradients are rewritten here
// as XNNPACK forward convolutions plus transposes, by calling the backend's own
// kernels (no tfjs op is issued from inside a kernel, so nothing is taped):
//
//  dW[ky,kx,ci,co] = sum_{n,y,x} xpad[n, y*s+ky, x*s+kx, ci] * dy[n,y,x,co]
//      = Conv2D(x^T [Ci,H,W,N], dy^T [Ho,Wo,N,Co], dilation s, the forward pads)
//        -> [Ci,kh,kw,Co], transposed to [kh,kw,Ci,Co]
//  dx = Conv2D(dy, rot180(W) with in/out swapped, pads kh-1-padTop ...)   (stride 1)
//
// Stride > 1: matmul + col2im (JS); dilated convolutions fall back to the shipped kernel.
import * as tf from '@tensorflow/tfjs';

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

function pads4(info: tf.backend_util.Conv2DInfo) {
  const p = info.padInfo;
  return { top: p.top, bottom: p.bottom, left: p.left, right: p.right };
}

function conv2DBackpropFilterWasm(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as [number, number, number, number];
  const strides = attrs.strides as number | [number, number];
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1,
    attrs.pad as 'same' | 'valid' | number, attrs.dimRoundingMode as 'floor' | undefined);
  const [kh, kw, ci, co] = filterShape;
  const { top, left } = pads4(info);
  const sh = info.strideHeight, sw = info.strideWidth;
  // Output extent of the "transposed" conv is H + top + bottom' - (Ho-1)*sh; choose
  // bottom' so it is exactly kh (never negative: slice afterwards if needed).
  const needB = kh - 1 + (info.outHeight - 1) * sh - info.inHeight - top + 1;
  const needR = kw - 1 + (info.outWidth - 1) * sw - info.inWidth - left + 1;
  const bottom = Math.max(0, needB), right = Math.max(0, needR);
  const transpose = kernel('Transpose'), conv = kernel('Conv2D');
  const xT = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
  const dyT = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
  let out = conv({
    inputs: { x: xT, filter: dyT }, backend,
    attrs: { strides: [1, 1], dilations: [sh, sw], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC' },
  });
  backend.disposeData(xT.dataId);
  backend.disposeData(dyT.dataId);
  if (out.shape[1] !== kh || out.shape[2] !== kw) {
    const sliced = kernel('Slice')({ inputs: { x: out }, backend, attrs: { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] } });
    backend.disposeData(out.dataId);
    out = sliced;
  }
  const dw = transpose({ inputs: { x: out }, backend, attrs: { perm: [1, 2, 0, 3] } });
  backend.disposeData(out.dataId);
  return dw;
}

let shippedBackpropInput: KFunc | null = null;

function conv2DBackpropInputWasm(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], attrs.strides as number | [number, number], 1,
    attrs.pad as 'same' | 'valid' | number, attrs.dimRoundingMode as 'floor' | undefined);
  const [kh, kw, ci, co] = filter.shape;
  const [n, H, W] = inputShape;
  const { top, left } = pads4(info);
  // Matmul cases (XNNPACK's igemm is poor on them): a 1x1 stride-1 conv, or a conv
  // whose single output pixel sees the whole unpadded input (a dense layer).
  const isPointwise = kh === 1 && kw === 1 && info.strideHeight === 1 && info.strideWidth === 1 && top === 0 && left === 0;
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
  const pt = kh - 1 - top, pl = kw - 1 - left;
  const pb = inputShape[1] - info.outHeight + kh - 1 - pt;
  const pr = inputShape[2] - info.outWidth + kw - 1 - pl;
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || pt < 0 || pl < 0 || pb < 0 || pr < 0) {
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return shippedBackpropInput!(args);
    return conv2DBackpropInputCol2Im(args, info);
  }
  const rev = kernel('Reverse')({ inputs: { x: filter }, backend, attrs: { dims: [0, 1] } });
  const wT = kernel('Transpose')({ inputs: { x: rev }, backend, attrs: { perm: [0, 1, 3, 2] } });
  backend.disposeData(rev.dataId);
  const dx = kernel('Conv2D')({
    inputs: { x: dy, filter: wT }, backend,
    attrs: { strides: [1, 1], dilations: [1, 1], pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]], dataFormat: 'NHWC' },
  });
  backend.disposeData(wT.dataId);
  return dx;
}

/**
 * Strided input gradient as one matmul and a scatter-add (col2im):
 *   cols[n*Ho*Wo, kh*kw*ci] = dy[n*Ho*Wo, co] x W^T[co, kh*kw*ci]
 *   dx[n, y*s+ky-top, x*s+kx-left, c] += cols[(n,y,x), (ky,kx,c)]
 * (sketchnet conv1, 5x5 stride 2: ~47 ms with the shipped kernel, ~5 ms here).
 */
function conv2DBackpropInputCol2Im(args: KernelArgs, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const { inputs, backend } = args;
  const { dy, filter } = inputs;
  const [kh, kw, ci, co] = filter.shape;
  const { batchSize: N, inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  const reshape = kernel('Reshape');
  const K = kh * kw * ci;
  const a = reshape({ inputs: { x: dy }, backend, attrs: { shape: [1, N * Ho * Wo, co] } });
  const w2 = reshape({ inputs: { x: filter }, backend, attrs: { shape: [K, co] } });
  const wT = kernel('Transpose')({ inputs: { x: w2 }, backend, attrs: { perm: [1, 0] } });
  const b = reshape({ inputs: { x: wT }, backend, attrs: { shape: [1, co, K] } });
  const cols = kernel('BatchMatMul')({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } });
  for (const t of [a, w2, wT, b]) backend.disposeData(t.dataId);
  const out = backend.makeOutput([N, H, W, ci], 'float32');
  const dx = heap(backend, out), cv = heap(backend, cols);
  dx.fill(0);
  for (let n = 0; n < N; n++) {
    for (let y = 0; y < Ho; y++) {
      for (let x = 0; x < Wo; x++) {
        let src = ((n * Ho + y) * Wo + x) * K;
        for (let ky = 0; ky < kh; ky++) {
          const iy = y * sh + ky - top;
          if (iy < 0 || iy >= H) { src += kw * ci; continue; }
          for (let kx = 0; kx < kw; kx++) {
            const ix = x * sw + kx - left;
            if (ix < 0 || ix >= W) { src += ci; continue; }
            const dst = ((n * H + iy) * W + ix) * ci;
            for (let c = 0; c < ci; c++) dx[dst + c] += cv[src + c];
            src += ci;
          }
        }
      }
    }
  }
  backend.disposeData(cols.dataId);
  return out;
}

/** A Float32Array view of a tensor in the wasm heap (take views after every allocation). */
function heap(backend: WasmBackend, t: TensorInfo): Float32Array {
  return (backend as unknown as { typedArrayFromHeap(t: TensorInfo): Float32Array }).typedArrayFromHeap(t);
}

/**
 * MaxPoolGrad in JS: the shipped wasm kernel takes ~47 ms for sketchnet's
 * [128,14,14,64] pool; this takes a few. Same tie rule as tfjs-backend-cpu
 * (the first maximum in window scan order gets the gradient).
 */
function maxPoolGradJS(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number, 1, attrs.pad as 'same' | 'valid' | number, attrs.dimRoundingMode as 'floor' | undefined);
  const { batchSize: N, inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo, inChannels: C,
    filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  const out = backend.makeOutput(input.shape, 'float32');
  const dx = heap(backend, out), x = heap(backend, input), g = heap(backend, dy);
  dx.fill(0);
  const best = new Float32Array(C), pos = new Int32Array(C);
  for (let n = 0; n < N; n++) {
    for (let y = 0; y < Ho; y++) {
      for (let xo = 0; xo < Wo; xo++) {
        best.fill(-Infinity); pos.fill(-1);
        for (let ky = 0; ky < fh; ky++) {
          const iy = y * sh + ky - top;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < fw; kx++) {
            const ix = xo * sw + kx - left;
            if (ix < 0 || ix >= W) continue;
            const base = ((n * H + iy) * W + ix) * C;
            for (let c = 0; c < C; c++) {
              const v = x[base + c];
              if (v > best[c]) { best[c] = v; pos[c] = base + c; }
            }
          }
        }
        const gb = ((n * Ho + y) * Wo + xo) * C;
        for (let c = 0; c < C; c++) if (pos[c] >= 0) dx[pos[c]] += g[gb + c];
      }
    }
  }
  return out;
}

let registered = false;

/** Registers (or replaces) the wasm kernels training needs. Idempotent. */
export function registerWasmTrainingKernels(): string[] {
  if (registered) return [];
  registered = true;
  const done: string[] = [];
  const bpi = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (bpi) {
    shippedBackpropInput = bpi.kernelFunc as unknown as KFunc;
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    // setupFunc of the shipped kernel already ran at backend init (fallback path).
    tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', setupFunc: bpi.setupFunc, kernelFunc: conv2DBackpropInputWasm as unknown as tf.KernelFunc });
    done.push('Conv2DBackpropInput (XNNPACK conv; stride>1 matmul + col2im)');
  }
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilterWasm as unknown as tf.KernelFunc });
  done.push('Conv2DBackpropFilter (transposes + XNNPACK conv)');
  const replace = (name: string, f: (shipped: KFunc) => KFunc, label: string) => {
    const k = tf.getKernel(name, 'wasm');
    if (!k) return;
    const shipped = k.kernelFunc as unknown as KFunc;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', setupFunc: k.setupFunc, kernelFunc: f(shipped) as unknown as tf.KernelFunc });
    if (label) done.push(label);
  };
  replace('MaxPoolGrad', () => maxPoolGradJS, 'MaxPoolGrad (JS)');
  return done;
}
