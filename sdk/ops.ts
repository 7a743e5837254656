/**
 * The op registry: one descriptor per layer op, read by the reader, writer, planner,
 * runtime, info(), `bexnet inspect`, the fuzz generator and the tests' reference
 * executor (shaped like tfjs-backend-wasm's kernel configs). A new op is one entry
 * here, its kernel in assembly/, the kernel list in assembly/index.ts, and its tests.
 */
import type { BxnLayer, ExpanderRecord, Shape } from './format/model.js';
import { FLOAT_ENCODINGS, type DType, type TensorEncoding, type TensorRole } from './format/spec.js';
import { patchWords, roundUp, wordsFor, xbconvFilterBytes } from './layout.js';

export type OpName =
  | 'conv2d' | 'bconv2d' | 'bdense' | 'conv2dBinaryWeights' | 'depthwiseConv2d' | 'dense'
  | 'packSigns' | 'packSignsAffine' | 'unpackSigns'
  | 'maxPool2d' | 'maxPool2dBits' | 'maxPool2dBitsFlip' | 'avgPool2d' | 'globalAvgPool'
  | 'scaleShift' | 'relu' | 'softmax' | 'flatten' | 'add'
  | 'xconv2d' | 'xdense' | 'xbconv2d' | 'xconv2dBinaryWeights';

/**
 * Which per-channel axis an int8 tensor in this slot is quantized along: 'panels' =
 * the [ceil(N/8), rows, 8] float filter panels (channels roundUp(N, 8), lanes 8);
 * 'outChannels' = N channels innermost; 'elements' = one scale per element.
 */
export type Int8Axis = 'panels' | 'outChannels' | 'elements';

export interface TensorSlot {
  readonly role: TensorRole;
  readonly encodings: ReadonlyArray<TensorEncoding>;
  readonly int8Axis: Int8Axis;
  /** The op's int8 kernel reads an int8 tensor here as stored (scales, then q); otherwise it is widened to f32 at load. */
  readonly int8Resident: boolean;
}

/** The window geometry of a window op (null for the others). */
export interface WindowGeometry { outH: number; outW: number; padTop: number; padLeft: number }

/** The layer attributes shape inference sees (validated ranges; window geometry already computed). */
export interface LayerAttributes {
  kh: number; kw: number; stride: number; outChannels: number; relu: boolean; bitsOut: boolean;
  window: WindowGeometry | null;
  /** X-layers: the layer's XGRF record (validated on its own; infer checks it against the layer). */
  graph: (ExpanderRecord & { index: number }) | null;
}

/** What shape inference gives: the output, the MACs and each tensor's expected element count. */
export interface Inferred { output: Shape; macs: number; tensors: Partial<Record<TensorRole, number>> }

/** The kernel functions the sdk calls (assembly/EXPORTS.md). All arguments are i32. */
export type Kernel = (...args: number[]) => number;

/** Everything a step needs, fixed at load: byte addresses in wasm memory. */
export interface StepArgs {
  kernel: (name: string) => Kernel;
  input: number;
  /** Ops with two inputs (`add`): address of the second; 0 otherwise. */
  input2: number;
  output: number;
  scratch: number;
  /** Address of the layer's tensor in `role` (binary filters: the repacked copy). */
  tensor: (role: TensorRole) => number;
  /** A view of wasm memory after growth (steps may read decoded tensors, e.g. transforms). */
  f32: Float32Array;
  /** An int8-resident tensor's q and scales addresses; null when the tensor in `role` sits as f32. */
  int8: (role: TensorRole) => { values: number; scales: number } | null;
  /** X-layers: address of the graph's group table (i32 [ceil(C_out/outGroup), D/inGroup], built at load); 0 otherwise. */
  graph: number;
}

/** Scratch arguments in the order the kernels' *ScratchBytes exports take them. */
export type ScratchArgs = [c: number, kh: number, kw: number, stride: number, outH: number, outW: number, cout: number];

export interface OpDescriptor {
  readonly name: OpName;
  readonly code: number;
  /** The activation dtype the op reads ('any': both). */
  readonly input: DType | 'any';
  /** 2: the op reads a second value of the same shape and dtype (FORMAT.md §8 WIRE); absent: one input. */
  readonly inputs?: 2;
  /** Which record fields are meaningful: window = kh, kw, stride, padding; outChannels ≥ 1; flags allowed; graph = an XGRF record. */
  readonly attributes: { readonly window: boolean; readonly outChannels: boolean; readonly relu: boolean; readonly bitsOut: boolean; readonly graph?: boolean };
  /** Tensor slots of the record, in order. */
  readonly tensors: ReadonlyArray<TensorSlot>;
  /** Output shape, MACs and expected tensor element counts; `mismatch` throws shape_mismatch with the message. */
  infer(x: Shape, a: LayerAttributes, mismatch: (what: string) => never): Inferred;
  /** Logical parameters (weights, biases, α/β/thresholds, scales), no layout padding. */
  params(l: BxnLayer): number;
  /**
   * Kernel scratch: `bytes` reproduces the kernel export `export` exactly, in doubles (so it
   * cannot wrap); callers reject results over 2^31. null: the kernel takes no scratch.
   */
  readonly scratch: { readonly export: string; args(l: BxnLayer): ScratchArgs; bytes(...a: ScratchArgs): number } | null;
  /** Every kernel export the step calls (checked at load). */
  readonly kernels: ReadonlyArray<string>;
  /**
   * true: the kernel may write its output over its input (EXPORTS.md); the planner shares the
   * buffer when no later layer reads that input. 'alias': the output is the input's bytes under
   * another shape (no kernel writes), always shared.
   */
  readonly inPlace: boolean | 'alias';
  /**
   * Binary filters converted at load to the build's layout by these kernels (filter geometry
   * from the layer); `applies`: only for the layers it accepts (the others read the file layout).
   */
  readonly repack: {
    readonly role: TensorRole; readonly packedBytes: string; readonly pack: string;
    geometry(l: BxnLayer): { c: number; kh: number; kw: number; cout: number };
    applies?(l: BxnLayer): boolean;
  } | null;
  /**
   * Content rule of a binary tensor beyond finiteness: padding bits and words zero. `key`
   * names the layout the rule depends on, so a tensor is checked once per (tensor, key).
   */
  readonly contents: {
    readonly role: TensorRole; key(l: BxnLayer): string;
    check(word: (i: number) => number, l: BxnLayer): string | null;
  } | null;
  /** The closure run() calls, every argument fixed now. */
  step(l: BxnLayer, a: StepArgs): () => void;
}

// ---- shared pieces ----

const floats = FLOAT_ENCODINGS;
const f32Only = ['f32'] as const;
const bitsOnly = ['bits'] as const;
const slot = (role: TensorRole, encodings: ReadonlyArray<TensorEncoding>, int8Axis: Int8Axis = 'elements', int8Resident = false): TensorSlot =>
  ({ role, encodings, int8Axis, int8Resident });
const floatFilters = [slot('weights', floats, 'panels', true), slot('bias', floats)];
const binaryFilters = [slot('weights', bitsOnly), slot('transform', f32Only)];
const affine = (encodings: ReadonlyArray<TensorEncoding>) => [slot('scale', encodings), slot('shift', encodings)];

const noAttributes = { window: false, outChannels: false, relu: false, bitsOut: false } as const;
const pixels = (s: Shape) => s.h * s.w;
const elements = (s: Shape) => s.h * s.w * s.c;
const windowed = (x: Shape, a: LayerAttributes, c: number, dtype: DType): Shape =>
  ({ h: a.window!.outH, w: a.window!.outW, c, dtype });
const windowArgs = (l: BxnLayer): ScratchArgs => [l.input.c, l.kh, l.kw, l.stride, l.output.h, l.output.w, l.outChannels];

/** Rows (or columns) of input a float conv reads, padding included (assembly/conv.ts windowRows). */
const windowRows = (k: number, stride: number, out: number) => (out - 1) * stride + k;
/** assembly/conv.ts paddedWindowBytes. */
const paddedWindowBytes = (c: number, kh: number, kw: number, stride: number, outH: number, outW: number) =>
  windowRows(kh, stride, outH) * windowRows(kw, stride, outW) * c * 4;
/** The float × binary-weight kernels' scratch before their last part: the padded window, Σx of every window, a zero bias. */
const windowSumsBiasBytes = (c: number, kh: number, kw: number, stride: number, outH: number, outW: number, cout: number) =>
  paddedWindowBytes(c, kh, kw, stride, outH, outW) + roundUp(outH * outW, 4) * 4 + roundUp(cout, 8) * 4;
/** xconv2dBinaryWeights over the gathered window (C = D): then one decoded panel [kh·kw·C, 8] f32 (assembly/xconv.ts). */
const binaryWeightsScratchBytes = (c: number, kh: number, kw: number, stride: number, outH: number, outW: number, cout: number) =>
  windowSumsBiasBytes(c, kh, kw, stride, outH, outW, cout) + kh * kw * c * 32;
/** assembly/conv.ts LUT_GROUPS: subset-sum tables (1 KiB each) live at once. */
const LUT_GROUPS = 16;
/** assembly/conv.ts conv2dBinaryWeightsScratchBytes: as above, but one output pixel takes its inputs in a row and LUT_GROUPS tables. */
const conv2dBinaryWeightsScratchBytes = (c: number, kh: number, kw: number, stride: number, outH: number, outW: number, cout: number) => {
  const k = kh * kw * c;
  return windowSumsBiasBytes(c, kh, kw, stride, outH, outW, cout) + (outH * outW === 1 ? roundUp(k, 8) * 4 + Math.min(Math.ceil(k / 8), LUT_GROUPS) * 1024 : k * 32);
};
/** assembly/bconv.ts bconv2dScratchBytes: the gathered patch, then up to 16 i32 counts. */
const bconvScratchBytes = (c: number, kh: number, kw: number) => patchWords(c, kh, kw) * 4 + 64;

/** Flag 4 only when some A[o] ≠ 0: XNOR layers skip the Σx popcount. */
function sumXFlag(a: StepArgs, n: number): number {
  const at = a.tensor('transform') / 4;
  for (let o = 0; o < n; o++) if (a.f32[at + o] !== 0) return 4;
  return 0;
}

/** Padding bits of the last channel word are zero in every (filter, tap), pad words too. */
function checkBconvFilters(word: (i: number) => number, c: number, taps: number, kpad: number, cout: number): string | null {
  const cw = wordsFor(c);
  for (let o = 0; o < cout; o++) {
    for (let k = taps * cw; k < kpad; k++) if (word(o * kpad + k) !== 0) return `filter ${o} padding word ${k} is not zero`;
    if (c % 32 === 0) continue;
    for (let tap = 0; tap < taps; tap++) {
      const at = o * kpad + tap * cw + cw - 1;
      if (word(at) >>> (c % 32) !== 0) return `padding bits set in word ${at}`;
    }
  }
  return null;
}

/** bconv2d and bdense share a kernel: bdense is a window the size of its input. */
function binaryConv(name: 'bconv2d' | 'bdense', code: number): OpDescriptor {
  const dense = name === 'bdense';
  const taps = (l: BxnLayer) => (dense ? [l.input.h, l.input.w] : [l.kh, l.kw]);
  return {
    name, code, input: 'bits',
    attributes: { window: !dense, outChannels: true, relu: true, bitsOut: true },
    tensors: binaryFilters,
    infer(x, a) {
      const N = a.outChannels;
      const [kh, kw] = dense ? [x.h, x.w] : [a.kh, a.kw];
      const output = dense ? { h: 1, w: 1, c: N, dtype: a.bitsOut ? 'bits' as const : 'f32' as const }
        : windowed(x, a, N, a.bitsOut ? 'bits' : 'f32');
      return { output, macs: pixels(output) * N * kh * kw * x.c, tensors: { weights: N * patchWords(x.c, kh, kw), transform: 3 * N } };
    },
    params: (l) => { const [kh, kw] = taps(l); return kh * kw * l.input.c * l.outChannels + 3 * l.outChannels; },
    scratch: {
      export: 'bconv2dScratchBytes',
      args: (l) => (dense ? [l.input.c, l.input.h, l.input.w, 1, 1, 1, l.outChannels] : windowArgs(l)),
      bytes: (c, kh, kw) => bconvScratchBytes(c, kh, kw),
    },
    kernels: ['bconv2d', 'bconv2dScratchBytes', 'bconv2dPackedBytes', 'bconv2dPackWeights'],
    inPlace: false,
    repack: {
      role: 'weights', packedBytes: 'bconv2dPackedBytes', pack: 'bconv2dPackWeights',
      geometry: (l) => { const [kh, kw] = taps(l); return { c: l.input.c, kh, kw, cout: l.outChannels }; },
    },
    contents: {
      role: 'weights',
      key: (l) => `${l.input.c}:${taps(l).join('x')}:${l.outChannels}`,
      check: (word, l) => { const [kh, kw] = taps(l); return checkBconvFilters(word, l.input.c, kh * kw, patchWords(l.input.c, kh, kw), l.outChannels); },
    },
    step(l, a) {
      const { input: x, output: y, outChannels: N } = l;
      const f = a.kernel('bconv2d'), w = a.tensor('weights'), tr = a.tensor('transform');
      const flags = (l.relu ? 1 : 0) | (l.bitsOut ? 2 : 0) | sumXFlag(a, N);
      const { input, output, scratch } = a;
      if (dense) return () => f(input, x.h, x.w, x.c, w, N, x.h, x.w, 1, 0, 0, 1, 1, tr, flags, output, scratch);
      const { kh, kw, stride, padTop, padLeft } = l;
      return () => f(input, x.h, x.w, x.c, w, N, kh, kw, stride, padTop, padLeft, y.h, y.w, tr, flags, output, scratch);
    },
  };
}

/** maxPool2d, maxPool2dBits and avgPool2d: same record, same kernel signature. */
function pool(name: 'maxPool2d' | 'maxPool2dBits' | 'avgPool2d', code: number, input: DType): OpDescriptor {
  return {
    name, code, input, attributes: { ...noAttributes, window: true }, tensors: [],
    infer: (x, a) => { const output = windowed(x, a, x.c, x.dtype); return { output, macs: elements(output) * a.kh * a.kw, tensors: {} }; },
    params: () => 0,
    scratch: null, kernels: [name], inPlace: false, repack: null, contents: null,
    step(l, a) {
      const { input: x, output: y, kh, kw, stride, padTop, padLeft } = l;
      const f = a.kernel(name), { input, output } = a;
      return () => f(input, x.h, x.w, x.c, kh, kw, stride, padTop, padLeft, y.h, y.w, output);
    },
  };
}

/** relu and softmax: n floats in, n out, in place allowed. */
function elementwise(name: 'relu' | 'softmax', code: number): OpDescriptor {
  return {
    name, code, input: 'f32', attributes: noAttributes, tensors: [],
    infer: (x) => ({ output: { ...x }, macs: elements(x), tensors: {} }),
    params: () => 0,
    scratch: null, kernels: [name], inPlace: true, repack: null, contents: null,
    step(l, a) { const f = a.kernel(name), n = elements(l.input), { input, output } = a; return () => f(input, n, output); },
  };
}

/** packSigns and packSignsAffine: f32 → sign bits, the affine one through x·scale + shift first. */
function packSigns(name: 'packSigns' | 'packSignsAffine', code: number): OpDescriptor {
  const withAffine = name === 'packSignsAffine';
  return {
    name, code, input: 'f32', attributes: noAttributes, tensors: withAffine ? affine(f32Only) : [],
    infer: (x) => ({ output: { ...x, dtype: 'bits' }, macs: elements(x), tensors: withAffine ? { scale: x.c, shift: x.c } : {} }),
    params: (l) => (withAffine ? 2 * l.input.c : 0),
    scratch: null, kernels: [name], inPlace: false, repack: null, contents: null,
    step(l, a) {
      const f = a.kernel(name), n = pixels(l.input), c = l.input.c, { input, output } = a;
      if (!withAffine) return () => f(input, output, n, c);
      const s = a.tensor('scale'), sh = a.tensor('shift');
      return () => f(input, output, n, c, s, sh);
    },
  };
}

/** Bytes of a graph's group table in wasm memory: ceil(C_out/outGroup) rows of D/inGroup i32 group indices. */
export const graphTableBytes = (g: ExpanderRecord): number => Math.ceil(g.outChannels / g.outGroup) * (g.degree / g.inGroup) * 4;

/** Output channels per graph node the X kernels take (assembly/xconv.ts BLOCK). */
const X_BLOCK = 8;

/** A layer's graph against its input, N and the kernel's grouping (the record itself was validated on its own). */
function checkGraph(x: Shape, a: LayerAttributes, mismatch: (what: string) => never, cin: number, bytesOfBits: boolean): ExpanderRecord {
  const g = a.graph!;
  const name = `graph ${g.index}`;
  if (g.inChannels !== cin) mismatch(`${name} has C_in ${g.inChannels} but the input has ${cin} channels`);
  if (g.outChannels !== a.outChannels) mismatch(`${name} has C_out ${g.outChannels} but the layer has ${a.outChannels} outputs`);
  if (g.outGroup !== X_BLOCK) mismatch(`${name} has outGroup ${g.outGroup}; the X kernels run blocks of ${X_BLOCK} outputs`);
  if (bytesOfBits && g.inGroup % 8 !== 0) mismatch(`${name} has inGroup ${g.inGroup}; binary X-convs gather whole bytes (a multiple of 8 channels)`);
  return g;
}

/**
 * xconv2d and xdense (FORMAT.md §10): conv2d's and dense's panels over each output
 * block's D gathered channels. int8 weights are widened to f32 at load (no int8 X kernel).
 */
function floatX(name: 'xconv2d' | 'xdense', code: number): OpDescriptor {
  const dense = name === 'xdense';
  const taps = (l: BxnLayer) => (dense ? 1 : l.kh * l.kw);
  return {
    name, code, input: 'f32',
    attributes: { window: !dense, outChannels: true, relu: true, bitsOut: !dense, graph: true },
    tensors: [slot('weights', floats, 'panels'), slot('bias', floats)],
    infer(x, a, mismatch) {
      if (dense && (x.h !== 1 || x.w !== 1)) mismatch(`needs a [1, 1, K] input (add flatten) but gets [${x.h}, ${x.w}, ${x.c}]`);
      const D = checkGraph(x, a, mismatch, x.c, false).degree, N = a.outChannels;
      const output = dense ? { h: 1, w: 1, c: N, dtype: 'f32' as const } : windowed(x, a, N, a.bitsOut ? 'bits' : 'f32');
      const t = dense ? 1 : a.kh * a.kw;
      return { output, macs: pixels(output) * N * t * D, tensors: { weights: t * D * roundUp(N, 8), bias: N } };
    },
    params: (l) => taps(l) * l.graph!.degree * l.outChannels + l.outChannels,
    scratch: {
      export: 'xconv2dScratchBytes',
      args: (l) => (dense ? [l.graph!.degree, 1, 1, 1, 1, 1, l.outChannels] : [l.graph!.degree, l.kh, l.kw, l.stride, l.output.h, l.output.w, l.outChannels]),
      bytes: paddedWindowBytes, // the gathered window [Hp, Wp, D]
    },
    kernels: [name, 'xconv2dScratchBytes'],
    inPlace: false, repack: null, contents: null,
    step(l, a) {
      const { input: x, output: y, outChannels: N } = l, { inGroup, degree: D } = l.graph!;
      const f = a.kernel(name), w = a.tensor('weights'), b = a.tensor('bias'), groups = a.graph, { input, output, scratch } = a;
      if (dense) { const relu = l.relu ? 1 : 0; return () => f(input, x.c, groups, inGroup, D, w, b, N, relu, output, scratch); }
      const { kh, kw, stride, padTop, padLeft } = l, flags = (l.relu ? 1 : 0) | (l.bitsOut ? 2 : 0);
      return () => f(input, x.h, x.w, x.c, groups, inGroup, D, w, b, N, kh, kw, stride, padTop, padLeft, y.h, y.w, flags, output, scratch);
    },
  };
}

/** assembly/xconv.ts xbconv2dScratchBytes: the pair image (+16), its pixels' bit counts, one pair patch (+48), 2·D/8 i32 byte sources, 32 spill bytes, swizzle indexes. */
const xbconvScratchBytes = (d: number, kh: number, kw: number, stride: number, outH: number, outW: number) => {
  const pixels = windowRows(kh, stride, outH) * windowRows(kw, stride, outW);
  return roundUp(pixels * (d / 4) + 16, 16) + pixels * 8 + roundUp(2 * roundUp(kh * kw * (d / 8), 4) + 48, 16) + roundUp(d, 16) + 32 + Math.ceil(d / 64) * 256;
};

const xbconv2d: OpDescriptor = {
  name: 'xbconv2d', code: 66, input: 'bits',
  attributes: { window: true, outChannels: true, relu: true, bitsOut: true, graph: true },
  tensors: binaryFilters,
  infer(x, a, mismatch) {
    const D = checkGraph(x, a, mismatch, x.c, true).degree, N = a.outChannels;
    const output = windowed(x, a, N, a.bitsOut ? 'bits' : 'f32');
    return { output, macs: pixels(output) * N * a.kh * a.kw * D, tensors: { weights: N * xbconvFilterBytes(D, a.kh, a.kw) / 4, transform: 3 * N } };
  },
  params: (l) => l.kh * l.kw * l.graph!.degree * l.outChannels + 3 * l.outChannels,
  scratch: {
    export: 'xbconv2dScratchBytes',
    args: (l) => [l.graph!.degree, l.kh, l.kw, l.stride, l.output.h, l.output.w, l.outChannels],
    bytes: xbconvScratchBytes,
  },
  kernels: ['xbconv2d', 'xbconv2dScratchBytes', 'xbconv2dPackedBytes', 'xbconv2dPackWeights'],
  inPlace: false,
  // The SIMD kernel reads two output blocks' filters interleaved in byte lanes.
  repack: {
    role: 'weights', packedBytes: 'xbconv2dPackedBytes', pack: 'xbconv2dPackWeights',
    geometry: (l) => ({ c: l.graph!.degree, kh: l.kh, kw: l.kw, cout: l.outChannels }),
  },
  contents: {
    role: 'weights',
    key: (l) => `${l.graph!.degree}:${l.kh}x${l.kw}:${l.outChannels}`,
    check(word, l) {
      // Each filter is kh·kw·D/8 bytes of taps, then zero bytes to Kx.
      const used = l.kh * l.kw * (l.graph!.degree / 8), kx = xbconvFilterBytes(l.graph!.degree, l.kh, l.kw);
      for (let o = 0; o < l.outChannels; o++) {
        for (let b = used; b < kx; b++) {
          const at = o * kx + b;
          if ((word(at >>> 2) >>> (8 * (at & 3))) & 0xff) return `filter ${o} padding byte ${b} is not zero`;
        }
      }
      return null;
    },
  },
  step(l, a) {
    const { input: x, output: y, kh, kw, stride, padTop, padLeft, outChannels: N } = l, { inGroup, degree: D } = l.graph!;
    const f = a.kernel('xbconv2d'), w = a.tensor('weights'), tr = a.tensor('transform'), groups = a.graph;
    const flags = (l.relu ? 1 : 0) | (l.bitsOut ? 2 : 0) | sumXFlag(a, N), { input, output, scratch } = a;
    return () => f(input, x.h, x.w, x.c, groups, inGroup, D, w, N, kh, kw, stride, padTop, padLeft, y.h, y.w, tr, flags, output, scratch);
  },
};

/**
 * xconv2dBinaryWeights: conv2dBinaryWeights on an X graph (float inputs, α/β binary
 * weights), e.g. a binary-weight X head on float features. Weights are bytes
 * [ceil(N/8), kh, kw, D]: one byte per row of each block of 8 outputs.
 */
const xconv2dBinaryWeights: OpDescriptor = {
  name: 'xconv2dBinaryWeights', code: 67, input: 'f32',
  attributes: { window: true, outChannels: true, relu: true, bitsOut: false, graph: true },
  tensors: binaryFilters,
  infer(x, a, mismatch) {
    const D = checkGraph(x, a, mismatch, x.c, false).degree, N = a.outChannels;
    const output = windowed(x, a, N, 'f32');
    return { output, macs: pixels(output) * N * a.kh * a.kw * D, tensors: { weights: Math.ceil(Math.ceil(N / 8) * a.kh * a.kw * D / 4), transform: 3 * N } };
  },
  params: (l) => l.kh * l.kw * l.graph!.degree * l.outChannels + 3 * l.outChannels,
  scratch: {
    export: 'xconv2dBinaryWeightsScratchBytes',
    args: (l) => [l.graph!.degree, l.kh, l.kw, l.stride, l.output.h, l.output.w, l.outChannels],
    bytes: binaryWeightsScratchBytes, // over the gathered window of D channels
  },
  kernels: ['xconv2dBinaryWeights', 'xconv2dBinaryWeightsScratchBytes'],
  inPlace: false, repack: null,
  contents: {
    role: 'weights',
    key: (l) => `${l.graph!.degree}:${l.kh}x${l.kw}:${l.outChannels}`,
    check(word, l) {
      // Bits of outputs past N in the last block, and the bytes after the last block, are zero.
      const rows = l.kh * l.kw * l.graph!.degree, blocks = Math.ceil(l.outChannels / 8), used = l.outChannels % 8;
      const byte = (i: number) => (word(i >>> 2) >>> (8 * (i & 3))) & 0xff;
      if (used) for (let r = 0; r < rows; r++) if (byte((blocks - 1) * rows + r) >>> used) return `row ${r} of the last block sets bits of outputs past ${l.outChannels}`;
      for (let i = blocks * rows; i < roundUp(blocks * rows, 4); i++) if (byte(i)) return `padding byte ${i} is not zero`;
      return null;
    },
  },
  step(l, a) {
    const { input: x, output: y, kh, kw, stride, padTop, padLeft, outChannels: N } = l, { inGroup, degree: D } = l.graph!;
    const f = a.kernel('xconv2dBinaryWeights'), w = a.tensor('weights'), tr = a.tensor('transform'), groups = a.graph;
    const flags = l.relu ? 1 : 0, { input, output, scratch } = a;
    return () => f(input, x.h, x.w, x.c, groups, inGroup, D, w, N, kh, kw, stride, padTop, padLeft, y.h, y.w, tr, flags, output, scratch);
  },
};

// ---- the registry ----

/** Every op, in code order. */
export const OPS: readonly OpDescriptor[] = [
  {
    name: 'conv2d', code: 1, input: 'f32',
    // bitsOut: the first layer feeding a sign writes its bits (bit = y < 0) directly.
    attributes: { window: true, outChannels: true, relu: true, bitsOut: true },
    tensors: floatFilters,
    infer(x, a) {
      const N = a.outChannels, output = windowed(x, a, N, a.bitsOut ? 'bits' : 'f32');
      return { output, macs: pixels(output) * N * a.kh * a.kw * x.c, tensors: { weights: a.kh * a.kw * x.c * roundUp(N, 8), bias: N } };
    },
    params: (l) => l.kh * l.kw * l.input.c * l.outChannels + l.outChannels,
    scratch: { export: 'conv2dScratchBytes', args: windowArgs, bytes: paddedWindowBytes },
    kernels: ['conv2d', 'conv2dInt8', 'conv2dScratchBytes'],
    inPlace: false, repack: null, contents: null,
    step(l, a) {
      const { input: x, output: y, kh, kw, stride, padTop, padLeft, outChannels: N } = l;
      const b = a.tensor('bias'), flags = (l.relu ? 1 : 0) | (l.bitsOut ? 2 : 0), q = a.int8('weights'), { input, output, scratch } = a;
      if (q) {
        const f = a.kernel('conv2dInt8');
        return () => f(input, x.h, x.w, x.c, q.values, q.scales, b, N, kh, kw, stride, padTop, padLeft, y.h, y.w, flags, output, scratch);
      }
      const f = a.kernel('conv2d'), w = a.tensor('weights');
      return () => f(input, x.h, x.w, x.c, w, b, N, kh, kw, stride, padTop, padLeft, y.h, y.w, flags, output, scratch);
    },
  },
  binaryConv('bconv2d', 2),
  binaryConv('bdense', 3),
  {
    name: 'conv2dBinaryWeights', code: 4, input: 'f32',
    attributes: { window: true, outChannels: true, relu: true, bitsOut: false },
    tensors: binaryFilters,
    infer(x, a) {
      const N = a.outChannels, output = windowed(x, a, N, 'f32');
      return { output, macs: pixels(output) * N * a.kh * a.kw * x.c, tensors: { weights: a.kh * a.kw * x.c * wordsFor(N), transform: 3 * N } };
    },
    params: (l) => l.kh * l.kw * l.input.c * l.outChannels + 3 * l.outChannels,
    scratch: {
      export: 'conv2dBinaryWeightsScratchBytes', args: windowArgs,
      bytes: conv2dBinaryWeightsScratchBytes,
    },
    kernels: ['conv2dBinaryWeights', 'conv2dBinaryWeightsScratchBytes', 'conv2dBinaryWeightsPackedBytes', 'conv2dBinaryWeightsPackWeights'],
    inPlace: false,
    // One output pixel (a matrix–vector product): per-output weight bytes for the subset-sum lookup.
    repack: {
      role: 'weights', packedBytes: 'conv2dBinaryWeightsPackedBytes', pack: 'conv2dBinaryWeightsPackWeights',
      geometry: (l) => ({ c: l.input.c, kh: l.kh, kw: l.kw, cout: l.outChannels }),
      applies: (l) => pixels(l.output) === 1,
    },
    contents: {
      role: 'weights',
      key: (l) => `${l.outChannels}`,
      check(word, l) {
        const ow = wordsFor(l.outChannels), used = l.outChannels % 32;
        if (used === 0) return null;
        const rows = l.kh * l.kw * l.input.c;
        for (let r = 0; r < rows; r++) if (word(r * ow + ow - 1) >>> used !== 0) return `padding bits set in word ${r * ow + ow - 1}`;
        return null;
      },
    },
    step(l, a) {
      const { input: x, output: y, kh, kw, stride, padTop, padLeft, outChannels: N } = l;
      const f = a.kernel('conv2dBinaryWeights'), w = a.tensor('weights'), tr = a.tensor('transform');
      const flags = (l.relu ? 1 : 0) | sumXFlag(a, N), { input, output, scratch } = a;
      return () => f(input, x.h, x.w, x.c, w, N, kh, kw, stride, padTop, padLeft, y.h, y.w, tr, flags, output, scratch);
    },
  },
  {
    name: 'depthwiseConv2d', code: 5, input: 'f32',
    attributes: { window: true, outChannels: true, relu: true, bitsOut: false },
    tensors: [slot('weights', floats, 'outChannels', true), slot('bias', floats)],
    infer(x, a, mismatch) {
      if (a.outChannels !== x.c) mismatch(`outChannels ${a.outChannels} must equal the input channels ${x.c}`);
      const output = windowed(x, a, x.c, 'f32');
      return { output, macs: elements(output) * a.kh * a.kw, tensors: { weights: a.kh * a.kw * x.c, bias: x.c } };
    },
    params: (l) => l.kh * l.kw * l.input.c + l.input.c,
    scratch: { export: 'depthwiseConv2dScratchBytes', args: windowArgs, bytes: paddedWindowBytes },
    kernels: ['depthwiseConv2d', 'depthwiseConv2dInt8', 'depthwiseConv2dScratchBytes'],
    inPlace: false, repack: null, contents: null,
    step(l, a) {
      const { input: x, output: y, kh, kw, stride, padTop, padLeft } = l;
      const b = a.tensor('bias'), relu = l.relu ? 1 : 0, q = a.int8('weights'), { input, output, scratch } = a;
      if (q) {
        const f = a.kernel('depthwiseConv2dInt8');
        return () => f(input, x.h, x.w, x.c, q.values, q.scales, b, kh, kw, stride, padTop, padLeft, y.h, y.w, relu, output, scratch);
      }
      const f = a.kernel('depthwiseConv2d'), w = a.tensor('weights');
      return () => f(input, x.h, x.w, x.c, w, b, kh, kw, stride, padTop, padLeft, y.h, y.w, relu, output, scratch);
    },
  },
  {
    name: 'dense', code: 6, input: 'f32',
    attributes: { window: false, outChannels: true, relu: true, bitsOut: false },
    tensors: floatFilters,
    infer(x, a, mismatch) {
      if (x.h !== 1 || x.w !== 1) mismatch(`needs a [1, 1, K] input (add flatten) but gets [${x.h}, ${x.w}, ${x.c}]`);
      const N = a.outChannels;
      return { output: { h: 1, w: 1, c: N, dtype: 'f32' }, macs: x.c * N, tensors: { weights: x.c * roundUp(N, 8), bias: N } };
    },
    params: (l) => l.input.c * l.outChannels + l.outChannels,
    scratch: null, kernels: ['dense', 'denseInt8'], inPlace: false, repack: null, contents: null,
    step(l, a) {
      const b = a.tensor('bias'), relu = l.relu ? 1 : 0, q = a.int8('weights');
      const K = l.input.c, N = l.outChannels, { input, output } = a;
      if (q) { const f = a.kernel('denseInt8'); return () => f(input, K, q.values, q.scales, b, N, relu, output); }
      const f = a.kernel('dense'), w = a.tensor('weights');
      return () => f(input, K, w, b, N, relu, output);
    },
  },
  packSigns('packSigns', 7),
  packSigns('packSignsAffine', 8),
  {
    name: 'unpackSigns', code: 9, input: 'bits', attributes: noAttributes, tensors: [],
    infer: (x) => ({ output: { ...x, dtype: 'f32' }, macs: elements(x), tensors: {} }),
    params: () => 0,
    scratch: null, kernels: ['unpackSigns'], inPlace: false, repack: null, contents: null,
    step(l, a) { const f = a.kernel('unpackSigns'), n = pixels(l.input), c = l.input.c, { input, output } = a; return () => f(input, output, n, c); },
  },
  pool('maxPool2d', 10, 'f32'),
  pool('maxPool2dBits', 11, 'bits'),
  pool('avgPool2d', 12, 'f32'),
  {
    name: 'globalAvgPool', code: 13, input: 'f32', attributes: noAttributes, tensors: [],
    infer: (x) => ({ output: { h: 1, w: 1, c: x.c, dtype: 'f32' }, macs: elements(x), tensors: {} }),
    params: () => 0,
    scratch: null, kernels: ['globalAvgPool'], inPlace: false, repack: null, contents: null,
    step(l, a) { const f = a.kernel('globalAvgPool'), n = pixels(l.input), c = l.input.c, { input, output } = a; return () => f(input, n, c, output); },
  },
  {
    name: 'scaleShift', code: 14, input: 'f32',
    attributes: { ...noAttributes, relu: true }, tensors: affine(floats),
    infer: (x) => ({ output: { ...x }, macs: elements(x), tensors: { scale: x.c, shift: x.c } }),
    params: (l) => 2 * l.input.c,
    scratch: null, kernels: ['scaleShift'], inPlace: true, repack: null, contents: null,
    step(l, a) {
      const f = a.kernel('scaleShift'), s = a.tensor('scale'), sh = a.tensor('shift'), relu = l.relu ? 1 : 0;
      const n = pixels(l.input), c = l.input.c, { input, output } = a;
      return () => f(input, n, c, s, sh, relu, output);
    },
  },
  elementwise('relu', 15),
  elementwise('softmax', 16),
  {
    name: 'flatten', code: 17, input: 'any', attributes: noAttributes, tensors: [],
    infer(x, _a, mismatch) {
      if (x.dtype === 'bits' && x.c % 32 !== 0 && x.h * x.w !== 1)
        mismatch(`flattening bits [${x.h}, ${x.w}, ${x.c}] is not a no-op (C must be a multiple of 32); binary dense reads [H, W, C] directly`);
      return { output: { h: 1, w: 1, c: elements(x), dtype: x.dtype }, macs: elements(x), tensors: {} };
    },
    params: () => 0,
    // The same bytes under another shape: no kernel.
    scratch: null, kernels: [], inPlace: 'alias', repack: null, contents: null,
    step: () => () => {},
  },
  {
    // A bit max pool whose `flip` channels pool by OR: the exporter's bits-through-pool
    // for conv -> maxpool -> BN -> sign where some BN scales are negative (tools/export).
    name: 'maxPool2dBitsFlip', code: 18, input: 'bits', attributes: { ...noAttributes, window: true },
    tensors: [slot('flip', bitsOnly)],
    infer: (x, a) => { const output = windowed(x, a, x.c, 'bits'); return { output, macs: elements(output) * a.kh * a.kw, tensors: { flip: wordsFor(x.c) } }; },
    params: (l) => l.input.c,
    scratch: null, kernels: ['maxPool2dBitsFlip'], inPlace: false, repack: null,
    contents: {
      role: 'flip', key: (l) => String(l.input.c),
      check: (word, l) => (l.input.c % 32 !== 0 && word(wordsFor(l.input.c) - 1) >>> (l.input.c % 32) !== 0 ? 'padding bits set in the last flip word' : null),
    },
    step(l, a) {
      const { input: x, output: y, kh, kw, stride, padTop, padLeft } = l;
      const f = a.kernel('maxPool2dBitsFlip'), flip = a.tensor('flip'), { input, output } = a;
      return () => f(input, x.h, x.w, x.c, kh, kw, stride, padTop, padLeft, y.h, y.w, flip, output);
    },
  },
  {
    // The residual add (FORMAT.md §8): two f32 values of one shape; in place over either.
    name: 'add', code: 19, input: 'f32', inputs: 2,
    attributes: { window: false, outChannels: false, relu: true, bitsOut: false },
    tensors: [],
    infer: (x) => ({ output: { ...x }, macs: 0, tensors: {} }),
    params: () => 0,
    scratch: null, kernels: ['add'], inPlace: true, repack: null, contents: null,
    step(l, a) {
      const f = a.kernel('add'), n = elements(l.input), flags = l.relu ? 1 : 0, { input, input2, output } = a;
      return () => f(input, input2, n, flags, output);
    },
  },
  floatX('xconv2d', 64),
  floatX('xdense', 65),
  xbconv2d,
  xconv2dBinaryWeights,
];

export const OP_BY_NAME: ReadonlyMap<OpName, OpDescriptor> = new Map(OPS.map((op) => [op.name, op]));
export const OP_BY_CODE: ReadonlyMap<number, OpDescriptor> = new Map(OPS.map((op) => [op.code, op]));

/**
 * What the core kernel build (assembly/core.ts, bexnet.{simd,scalar}-core.wasm) exports besides
 * heapBase: the kernels of every op but the X-Net ones (those with a graph). A model without
 * X-Net layers loads that smaller build when the caller passes no kernels.
 */
export const CORE_KERNELS: ReadonlySet<string> = new Set(OPS.filter((op) => !op.attributes.graph).flatMap((op) => op.kernels));

/** The kernel exports a model's layers call. */
export const kernelsNeeded = (model: { layers: ReadonlyArray<{ op: OpName }> }): Set<string> => new Set(model.layers.flatMap((l) => opOf(l).kernels));

/** The descriptor of a layer's op. */
export const opOf = (l: { op: OpName }): OpDescriptor => OP_BY_NAME.get(l.op)!;

/** A layer's kernel scratch in bytes, exact (0 when its op takes none); may exceed 2^31. */
export const scratchBytesOf = (l: BxnLayer): number => {
  const s = opOf(l).scratch;
  return s ? s.bytes(...s.args(l)) : 0;
};

/** The repack a layer's tensor in `role` goes through at load; null: it is read in the file layout. */
export function repackOf(l: BxnLayer, role: TensorRole): NonNullable<OpDescriptor['repack']> | null {
  const r = opOf(l).repack;
  return r && r.role === role && (!r.applies || r.applies(l)) ? r : null;
}

/** The slot a layer's tensor in `role` fills. */
export const slotOf = (l: { op: OpName }, role: TensorRole): TensorSlot => opOf(l).tensors.find((s) => s.role === role)!;

/** True when a tensor read through `slot` stays as stored (int8 into the op's int8 kernel), not widened to f32. */
export const staysInt8 = (t: { encoding: TensorEncoding }, slot: TensorSlot): boolean => t.encoding === 'int8' && slot.int8Resident;

/** Bytes a tensor occupies in wasm memory when read through `slot`: int8 as stored where the kernel reads it, else f32 (or bits) words. */
export function residentBytes(t: { encoding: TensorEncoding; count: number; channels: number }, slot: TensorSlot): number {
  return staysInt8(t, slot) ? t.channels * 4 + t.count : t.count * 4;
}

/** int8 scale axis of a tensor in a slot: { channels, lanes } as the TENS record holds them. */
export function int8AxisOf(axis: Int8Axis, count: number, outChannels: number): { channels: number; lanes: number } {
  if (axis === 'panels') return { channels: roundUp(outChannels, 8), lanes: 8 };
  if (axis === 'outChannels') return { channels: outChannels, lanes: 0 };
  return { channels: count, lanes: 0 };
}

/** Names of the fields every descriptor must define (the registry test checks each). */
export const DESCRIPTOR_FIELDS = [
  'name', 'code', 'input', 'attributes', 'tensors', 'infer', 'params', 'scratch', 'kernels', 'inPlace', 'repack', 'contents', 'step',
] as const satisfies ReadonlyArray<keyof OpDescriptor>;
