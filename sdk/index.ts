/**
 * bexnet runtime: load a .bxn model, plan one arena, run it on the wasm kernels.
 * Per inference the work in TypeScript is: normalise the input into the arena,
 * call the planned kernel steps, copy the logits out. Nothing is allocated.
 */
import { BxnFormatError, BxnInputError, BxnRuntimeError } from './errors.js';
import { decodeTensorInto } from './format/decode.js';
import { align16, words } from './format/layout.js';
import { DEFAULT_LIMITS, type BxnLayer, type BxnLimits, type BxnModel, type Shape } from './format/model.js';
import { readBxn } from './format/reader.js';
import type { OpName } from './format/spec.js';
import { planArena, type BufferRequest } from './plan.js';
import { kernelImports, loadKernels, sourceBytes, type Backend, type BxnKernels, type KernelOptions } from './wasm.js';

export * from './errors.js';
export { readBxn } from './format/reader.js';
export { writeBxn } from './format/writer.js';
export { loadKernels, simdSupported, type Backend, type BackendChoice, type BxnKernels, type KernelOptions, type WasmSource } from './wasm.js';
export type { BxnLimits, BxnMetadata, BxnModel, Shape } from './format/model.js';

export type ModelSource = ArrayBuffer | ArrayBufferView | URL | Response;

export interface LoadOptions extends KernelOptions, BxnLimits {
  /** Kernels from loadKernels(), shared by many models (skips compiling). */
  kernels?: BxnKernels;
}

/** Typed arrays of numbers (and plain arrays) are accepted as input. */
export type ModelInput =
  | Float32Array | Float64Array | Uint8Array | Uint8ClampedArray | Int8Array
  | Uint16Array | Int16Array | Uint32Array | Int32Array | ArrayLike<number>;

export interface Prediction { label: string; index: number; score: number }

export interface LayerInfo {
  index: number;
  kind: OpName;
  input: Shape;
  output: Shape;
  macs: number;
  /** Decoded weight bytes this layer reads. */
  weightBytes: number;
  /** Bytes of the layer's output activation. */
  outputBytes: number;
  /** Kernel scratch bytes, planned in the arena. */
  scratchBytes: number;
  /** Where the planner put the layer's input, output and scratch (byte addresses in wasm memory). */
  inputOffset: number;
  outputOffset: number;
  scratchOffset: number;
}

export interface ModelInfo {
  name: string;
  producer: string;
  backend: Backend;
  formatVersion: string;
  inputShape: [number, number, number];
  outputLength: number;
  labels: readonly string[];
  /** Logical parameters (weights, biases, α/β/thresholds, scales), without layout padding. */
  params: number;
  /** The weights region in wasm memory: tensors decoded, binary filters in this build's layout. */
  weightBytes: number;
  /** The planned activation + scratch arena. */
  arenaBytes: number;
  /** Total wasm linear memory. */
  wasmMemoryBytes: number;
  /** wasmMemoryBytes − weightBytes − arenaBytes: kernel static data plus page rounding. */
  fixedOverheadBytes: number;
  /** Kernel static data at the bottom of wasm memory (heapBase); the weights region starts here. */
  staticBytes: number;
  macs: number;
  layers: LayerInfo[];
}

export interface LayerProfile { index: number; kind: OpName; ms: number }
export interface Profile { totalMs: number; layers: LayerProfile[] }

/** The kernel functions the sdk calls (EXPORTS.md). All arguments are i32. */
type Kernel = (...args: number[]) => number;

const KERNELS_BY_OP: Record<OpName, string[]> = {
  conv2d: ['conv2d', 'conv2dScratchBytes'],
  bconv2d: ['bconv2d', 'bconv2dScratchBytes', 'bconv2dPackedBytes', 'bconv2dPackWeights'],
  bdense: ['bconv2d', 'bconv2dScratchBytes', 'bconv2dPackedBytes', 'bconv2dPackWeights'],
  conv2dBinaryWeights: ['conv2dBinaryWeights', 'conv2dBinaryWeightsScratchBytes'],
  depthwiseConv2d: ['depthwiseConv2d', 'depthwiseConv2dScratchBytes'],
  dense: ['dense'],
  packSigns: ['packSigns'],
  packSignsAffine: ['packSignsAffine'],
  unpackSigns: ['unpackSigns'],
  maxPool2d: ['maxPool2d'],
  maxPool2dBits: ['maxPool2dBits'],
  avgPool2d: ['avgPool2d'],
  globalAvgPool: ['globalAvgPool'],
  scaleShift: ['scaleShift'],
  relu: ['relu'],
  softmax: ['softmax'],
  flatten: [],
};

/** Ops whose kernel may write its output over its input (EXPORTS.md), plus the no-op flatten. */
const IN_PLACE = new Set<OpName>(['scaleShift', 'relu', 'softmax', 'flatten']);

const PAGE = 65536;
const now: () => number =
  typeof performance !== 'undefined' && typeof performance.now === 'function' ? () => performance.now() : () => Date.now();

const bytesOf = (s: Shape) => s.h * s.w * (s.dtype === 'bits' ? words(s.c) : s.c) * 4;

/** Load a model: bytes, or a URL/Response where fetch exists. */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<BexnetModel> {
  const [bytes, kernels] = await Promise.all([sourceBytes(source, 'the model'), options.kernels ?? loadKernels(options)]);
  const parsed = readBxn(bytes, options);
  const instance = await WebAssembly.instantiate(kernels.module, kernelImports(kernels.module));
  return new BexnetModel(parsed, kernels.backend, instance, options);
}

/**
 * Synchronous load from bytes with already compiled kernels. For engines that allow
 * synchronous instantiation (Node, Deno, workers); browsers' main threads may not.
 */
export function loadModelSync(bytes: ArrayBuffer | ArrayBufferView, kernels: BxnKernels, limits: BxnLimits = {}): BexnetModel {
  const parsed = readBxn(bytes, limits);
  const instance = new WebAssembly.Instance(kernels.module, kernelImports(kernels.module));
  return new BexnetModel(parsed, kernels.backend, instance, limits);
}

export class BexnetModel {
  readonly metadata: BxnModel['metadata'];
  readonly backend: Backend;
  private memory: WebAssembly.Memory | null;
  private readonly layers: BxnLayer[];
  private readonly steps: (() => void)[];
  private readonly layerInfo: LayerInfo[];
  private inputView: Float32Array;
  private outputView: Float32Array;
  private readonly logits: Float32Array;
  private readonly probabilities: Float32Array;
  private readonly normMul: Float64Array;
  private readonly normAdd: Float64Array;
  private readonly normDiv: Float64Array;
  private readonly endsInSoftmax: boolean;
  private readonly sizes: { staticBytes: number; weightBytes: number; arenaBytes: number; params: number; macs: number; version: string };

  /** Use loadModel(); the constructor expects a validated model. */
  constructor(model: BxnModel, backend: Backend, instance: WebAssembly.Instance, limits: BxnLimits = {}) {
    this.metadata = model.metadata;
    this.backend = backend;
    this.layers = model.layers;
    const exports = instance.exports as Record<string, unknown>;
    const memory = exports.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new BxnRuntimeError('bad_wasm', "the kernel module does not export 'memory'");
    const kernel = (name: string): Kernel => {
      const f = exports[name];
      if (typeof f !== 'function') throw new BxnRuntimeError('bad_wasm', `the kernel module has no export '${name}'`);
      return f as Kernel;
    };
    for (const layer of model.layers) for (const name of KERNELS_BY_OP[layer.op]) kernel(name);
    const heapBase = kernel('heapBase')();
    if (!Number.isInteger(heapBase) || heapBase < 0 || heapBase % 16 !== 0 || heapBase > memory.buffer.byteLength)
      throw new BxnRuntimeError('bad_wasm', `heapBase() returned ${heapBase}`);

    // Weights region, every slot 16-byte aligned: tensors in file layout (decoded), then
    // binary conv filters repacked by bconv2dPackWeights into the layout this build reads.
    // A packing is keyed by tensor and filter geometry, so shared tensors are packed once.
    const rawUse = model.tensors.map(() => false);
    const packings = new Map<string, { tensor: number; c: number; kh: number; kw: number; cout: number; bytes: number; at: number }>();
    const layerPacking: string[] = [];
    for (const layer of model.layers) {
      for (const [role, index] of Object.entries(layer.tensors) as [keyof BxnLayer['tensors'], number][]) {
        if (role !== 'weights' || (layer.op !== 'bconv2d' && layer.op !== 'bdense')) { rawUse[index] = true; continue; }
        const [kh, kw] = layer.op === 'bdense' ? [layer.input.h, layer.input.w] : [layer.kh, layer.kw];
        const key = `${index}:${layer.input.c}:${kh}:${kw}:${layer.outChannels}`;
        layerPacking[layer.index] = key;
        if (packings.has(key)) continue;
        const bytes = kernel('bconv2dPackedBytes')(layer.input.c, kh, kw, layer.outChannels);
        if (!Number.isInteger(bytes) || bytes < 0 || bytes > 0x7fffffff)
          throw new BxnRuntimeError('bad_wasm', `layer ${layer.index}: bconv2dPackedBytes returned ${bytes}`);
        packings.set(key, { tensor: index, c: layer.input.c, kh, kw, cout: layer.outChannels, bytes, at: 0 });
      }
    }
    const tensorAt: number[] = [];
    let weightBytes = 0;
    for (const t of model.tensors) {
      tensorAt.push(heapBase + weightBytes);
      if (rawUse[t.index]) weightBytes += align16(t.count * 4);
    }
    let stagingBytes = 0; // file-layout filters wait in the arena while they are packed
    for (const p of packings.values()) {
      p.at = heapBase + weightBytes;
      weightBytes += align16(p.bytes);
      stagingBytes = Math.max(stagingBytes, model.tensors[p.tensor].count * 4);
    }
    const maxWeights = limits.maxWeightBytes ?? DEFAULT_LIMITS.maxWeightBytes;
    if (weightBytes > maxWeights)
      throw new BxnFormatError('limit_exceeded', `the weights need ${weightBytes} bytes in this kernel build's layout, over the ${maxWeights}-byte cap (maxWeightBytes)`);
    const arenaBase = heapBase + weightBytes;

    // Buffers: value 0 is the input; layer i reads value i and writes value i + 1.
    // Step i is layer i; the input is written at step 0, the output read after the last step.
    const L = model.layers.length;
    const valueBuffer: number[] = [0];
    const requests: BufferRequest[] = [{ bytes: bytesOf(model.layers[0].input), firstStep: 0, lastStep: 0 }];
    const scratchBuffer: number[] = [];
    const scratchBytes: number[] = [];
    for (const [i, layer] of model.layers.entries()) {
      const inputBuffer = valueBuffer[i];
      if (IN_PLACE.has(layer.op)) {
        valueBuffer.push(inputBuffer); // same bytes; extend its life
      } else {
        valueBuffer.push(requests.length);
        requests.push({ bytes: bytesOf(layer.output), firstStep: i, lastStep: i });
      }
      const consumerStep = i + 1 < L ? i + 1 : L; // the last output lives past the last step
      requests[valueBuffer[i + 1]].lastStep = Math.max(requests[valueBuffer[i + 1]].lastStep, consumerStep);
      const scratch = this.scratchFor(layer, kernel);
      if (!Number.isInteger(scratch) || scratch < 0 || scratch > 0x7fffffff)
        throw new BxnRuntimeError('bad_wasm', `layer ${i} (${layer.op}): the kernel asked for ${scratch} scratch bytes`);
      scratchBytes.push(scratch);
      scratchBuffer.push(requests.length);
      requests.push({ bytes: scratch, firstStep: i, lastStep: i });
    }
    // The staging buffer lives only at load time (step −1), so it shares bytes with activations.
    const stagingBuffer = requests.length;
    requests.push({ bytes: stagingBytes, firstStep: -1, lastStep: -1 });
    const plan = planArena(requests);
    const maxArena = limits.maxArenaBytes ?? DEFAULT_LIMITS.maxArenaBytes;
    if (plan.arenaBytes > maxArena)
      throw new BxnFormatError('limit_exceeded', `the planned arena (activations + kernel scratch) needs ${plan.arenaBytes} bytes, over the ${maxArena}-byte cap (maxArenaBytes)`);
    const bufferAt = (b: number) => arenaBase + plan.offsets[b];

    // Grow memory once, to exactly what the plan needs.
    const needed = arenaBase + plan.arenaBytes;
    const pages = Math.ceil(needed / PAGE) - memory.buffer.byteLength / PAGE;
    if (pages > 0) {
      try { memory.grow(pages); } catch {
        throw new BxnRuntimeError('out_of_memory', `cannot grow wasm memory to ${needed} bytes`);
      }
    }
    this.memory = memory;
    const buffer = memory.buffer;
    model.tensors.forEach((t, i) => { if (rawUse[i]) decodeTensorInto(model.bytes, t, buffer, tensorAt[i]); });
    const staging = bufferAt(stagingBuffer);
    for (const p of packings.values()) {
      decodeTensorInto(model.bytes, model.tensors[p.tensor], buffer, staging);
      kernel('bconv2dPackWeights')(staging, p.c, p.kh, p.kw, p.cout, p.at);
    }
    const f32 = new Float32Array(buffer);

    // One closure per layer with every argument fixed now.
    this.steps = model.layers.map((layer, i) => {
      const input = bufferAt(valueBuffer[i]);
      const output = bufferAt(valueBuffer[i + 1]);
      const scratch = bufferAt(scratchBuffer[i]);
      const t = (role: keyof BxnLayer['tensors']) =>
        role === 'weights' && layerPacking[i] ? packings.get(layerPacking[i])!.at : tensorAt[layer.tensors[role]!];
      return this.stepFor(layer, kernel, { input, output, scratch, t, f32 });
    });

    const inShape = model.layers[0].input;
    const outShape = model.layers[L - 1].output;
    const outLength = outShape.h * outShape.w * outShape.c;
    this.inputView = new Float32Array(buffer, bufferAt(0), inShape.h * inShape.w * inShape.c);
    this.outputView = new Float32Array(buffer, bufferAt(valueBuffer[L]), outLength);
    this.logits = new Float32Array(outLength);
    this.probabilities = new Float32Array(outLength);
    this.endsInSoftmax = model.layers[L - 1].op === 'softmax';

    // Normalisation as x' = (x·mul + add) / div per channel, so both forms are exact as written.
    const C = inShape.c;
    const norm = model.metadata.normalization;
    const perChannel = (v: number[], c: number) => (v.length === 1 ? v[0] : v[c]);
    this.normMul = new Float64Array(C).fill(1);
    this.normAdd = new Float64Array(C);
    this.normDiv = new Float64Array(C).fill(1);
    for (let c = 0; c < C; c++) {
      if (norm && 'mean' in norm) { this.normAdd[c] = -perChannel(norm.mean, c); this.normDiv[c] = perChannel(norm.std, c); }
      if (norm && 'scale' in norm) { this.normMul[c] = perChannel(norm.scale, c); this.normAdd[c] = perChannel(norm.offset, c); }
    }

    this.layerInfo = model.layers.map((layer, i) => ({
      index: i, kind: layer.op, input: layer.input, output: layer.output, macs: layer.macs,
      weightBytes: layer.weightBytes, outputBytes: bytesOf(layer.output), scratchBytes: scratchBytes[i],
      inputOffset: bufferAt(valueBuffer[i]), outputOffset: bufferAt(valueBuffer[i + 1]), scratchOffset: bufferAt(scratchBuffer[i]),
    }));
    this.sizes = {
      staticBytes: heapBase, weightBytes, arenaBytes: plan.arenaBytes,
      params: model.layers.reduce((n, l) => n + paramsOf(l), 0),
      macs: model.layers.reduce((n, l) => n + l.macs, 0),
      version: `${model.version.major}.${model.version.minor}`,
    };
  }

  private scratchFor(layer: BxnLayer, kernel: (name: string) => Kernel): number {
    const { input: x, output: y, kh, kw, stride, outChannels } = layer;
    switch (layer.op) {
      case 'conv2d': return kernel('conv2dScratchBytes')(x.c, kh, kw, stride, y.h, y.w, outChannels);
      case 'bconv2d': return kernel('bconv2dScratchBytes')(x.c, kh, kw, stride, y.h, y.w, outChannels);
      case 'bdense': return kernel('bconv2dScratchBytes')(x.c, x.h, x.w, 1, 1, 1, outChannels);
      case 'conv2dBinaryWeights': return kernel('conv2dBinaryWeightsScratchBytes')(x.c, kh, kw, stride, y.h, y.w, outChannels);
      case 'depthwiseConv2d': return kernel('depthwiseConv2dScratchBytes')(x.c, kh, kw, stride, y.h, y.w, outChannels);
      default: return 0;
    }
  }

  private stepFor(
    layer: BxnLayer, kernel: (name: string) => Kernel,
    a: { input: number; output: number; scratch: number; t: (role: keyof BxnLayer['tensors']) => number; f32: Float32Array },
  ): () => void {
    const { input: x, output: y, kh, kw, stride, padTop, padLeft, outChannels: N } = layer;
    const { input, output, scratch, t } = a;
    const relu = layer.relu ? 1 : 0;
    // Flag 4 only when some A[o] != 0: XNOR layers skip the Σx popcount.
    const usesSumX = () => {
      const at = t('transform') / 4;
      for (let o = 0; o < N; o++) if (a.f32[at + o] !== 0) return 4;
      return 0;
    };
    const pixels = x.h * x.w;
    switch (layer.op) {
      case 'conv2d': {
        const f = kernel('conv2d'), w = t('weights'), b = t('bias');
        return () => f(input, x.h, x.w, x.c, w, b, N, kh, kw, stride, padTop, padLeft, y.h, y.w, relu, output, scratch);
      }
      case 'bconv2d': case 'bdense': {
        const f = kernel('bconv2d'), w = t('weights'), tr = t('transform');
        const flags = relu | (layer.bitsOut ? 2 : 0) | usesSumX();
        if (layer.op === 'bdense') return () => f(input, x.h, x.w, x.c, w, N, x.h, x.w, 1, 0, 0, 1, 1, tr, flags, output, scratch);
        return () => f(input, x.h, x.w, x.c, w, N, kh, kw, stride, padTop, padLeft, y.h, y.w, tr, flags, output, scratch);
      }
      case 'conv2dBinaryWeights': {
        const f = kernel('conv2dBinaryWeights'), w = t('weights'), tr = t('transform');
        const flags = relu | usesSumX();
        return () => f(input, x.h, x.w, x.c, w, N, kh, kw, stride, padTop, padLeft, y.h, y.w, tr, flags, output, scratch);
      }
      case 'depthwiseConv2d': {
        const f = kernel('depthwiseConv2d'), w = t('weights'), b = t('bias');
        return () => f(input, x.h, x.w, x.c, w, b, kh, kw, stride, padTop, padLeft, y.h, y.w, relu, output, scratch);
      }
      case 'dense': {
        const f = kernel('dense'), w = t('weights'), b = t('bias');
        return () => f(input, x.c, w, b, N, relu, output);
      }
      case 'packSigns': { const f = kernel('packSigns'); return () => f(input, output, pixels, x.c); }
      case 'packSignsAffine': {
        const f = kernel('packSignsAffine'), s = t('scale'), sh = t('shift');
        return () => f(input, output, pixels, x.c, s, sh);
      }
      case 'unpackSigns': { const f = kernel('unpackSigns'); return () => f(input, output, pixels, x.c); }
      case 'maxPool2d': case 'maxPool2dBits': case 'avgPool2d': {
        const f = kernel(layer.op);
        return () => f(input, x.h, x.w, x.c, kh, kw, stride, padTop, padLeft, y.h, y.w, output);
      }
      case 'globalAvgPool': { const f = kernel('globalAvgPool'); return () => f(input, pixels, x.c, output); }
      case 'scaleShift': {
        const f = kernel('scaleShift'), s = t('scale'), sh = t('shift');
        return () => f(input, pixels, x.c, s, sh, relu, output);
      }
      case 'relu': case 'softmax': { const f = kernel(layer.op), n = pixels * x.c; return () => f(input, n, output); }
      case 'flatten': return () => {};
    }
  }

  private live(): WebAssembly.Memory {
    if (!this.memory) throw new BxnRuntimeError('disposed', 'this model was disposed');
    return this.memory;
  }

  /** Normalise and copy `input` into the arena, rejecting wrong types, lengths and non-finite values. */
  private writeInput(input: ModelInput): void {
    this.live();
    if (input === null || typeof input !== 'object' || typeof (input as ArrayLike<number>).length !== 'number')
      throw new BxnInputError('wrong_type', 'input must be a typed array of numbers or an array of numbers');
    const dst = this.inputView;
    if (input.length !== dst.length) {
      const [h, w, c] = this.metadata.inputShape;
      throw new BxnInputError('wrong_length', `input has ${input.length} values; the model takes [${h}, ${w}, ${c}] = ${dst.length}`);
    }
    const C = this.normMul.length;
    for (let i = 0, c = 0; i < dst.length; i++) {
      const raw = input[i];
      // typeof first: BigInt arrays and strings must not reach the arithmetic.
      if (typeof raw !== 'number') throw new BxnInputError('wrong_type', `input[${i}] is a ${typeof raw}; inputs must be numbers`);
      const v = (raw * this.normMul[c] + this.normAdd[c]) / this.normDiv[c];
      if (!Number.isFinite(v)) {
        const why = Number.isFinite(raw) ? `${raw} (not finite after normalisation)` : `${raw}`;
        throw new BxnInputError('non_finite', `input[${i}] is ${why}; inputs must be finite numbers`);
      }
      dst[i] = v;
      if (++c === C) c = 0;
    }
  }

  /**
   * Run one inference. Returns the model's output (logits, or probabilities if the
   * model ends in softmax) in an array owned by the model and overwritten by the next
   * call; pass `out` to receive a copy instead.
   */
  run(input: ModelInput, out?: Float32Array): Float32Array {
    this.writeInput(input);
    const steps = this.steps;
    for (let i = 0; i < steps.length; i++) steps[i]();
    const target = out ?? this.logits;
    if (target.length !== this.logits.length)
      throw new BxnInputError('bad_argument', `out has ${target.length} elements; the model outputs ${this.logits.length}`);
    target.set(this.outputView);
    return target;
  }

  /** Top-k predictions by score (softmax probability), best first. */
  classify(input: ModelInput, k = 5): Prediction[] {
    if (!Number.isInteger(k) || k < 1) throw new BxnInputError('bad_argument', `k must be a positive integer, got ${k}`);
    const logits = this.run(input);
    const p = this.probabilities;
    if (this.endsInSoftmax) p.set(logits);
    else {
      let max = -Infinity;
      for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
      let sum = 0;
      for (let i = 0; i < logits.length; i++) sum += p[i] = Math.exp(logits[i] - max);
      for (let i = 0; i < logits.length; i++) p[i] /= sum;
    }
    const top: Prediction[] = [];
    for (let i = 0; i < p.length; i++) {
      if (top.length === k && p[i] <= top[k - 1].score) continue;
      const entry = { label: this.metadata.labels[i] ?? String(i), index: i, score: p[i] };
      let at = top.length < k ? top.length : k - 1;
      top[at] = entry;
      while (at > 0 && top[at - 1].score < entry.score) { top[at] = top[at - 1]; top[at - 1] = entry; at--; }
    }
    return top;
  }

  /** Per-layer wall time of one inference, in milliseconds. */
  profile(input: ModelInput): Profile {
    this.writeInput(input);
    const layers: LayerProfile[] = [];
    const start = now();
    for (let i = 0; i < this.steps.length; i++) {
      const t0 = now();
      this.steps[i]();
      layers.push({ index: i, kind: this.layers[i].op, ms: now() - t0 });
    }
    const totalMs = now() - start;
    this.logits.set(this.outputView);
    return { totalMs, layers };
  }

  info(): ModelInfo {
    const memory = this.live();
    const { staticBytes, weightBytes, arenaBytes, params, macs, version } = this.sizes;
    const wasmMemoryBytes = memory.buffer.byteLength;
    return {
      name: this.metadata.name, producer: this.metadata.producer, backend: this.backend, formatVersion: version,
      inputShape: [...this.metadata.inputShape], outputLength: this.logits.length, labels: this.metadata.labels,
      params, weightBytes, arenaBytes, wasmMemoryBytes, fixedOverheadBytes: wasmMemoryBytes - weightBytes - arenaBytes, staticBytes,
      macs, layers: this.layerInfo.map((l) => ({ ...l })),
    };
  }

  /** Drop the wasm instance and its memory; later calls throw BxnRuntimeError('disposed'). */
  dispose(): void {
    // Drop every reference into the wasm memory so it can be collected.
    this.memory = null;
    this.steps.length = 0;
    this.inputView = this.outputView = new Float32Array(0);
  }
}

/** Logical parameter count of a layer (no layout padding). */
function paramsOf(l: BxnLayer): number {
  const C = l.input.c, N = l.outChannels;
  switch (l.op) {
    case 'conv2d': return l.kh * l.kw * C * N + N;
    case 'bconv2d': case 'conv2dBinaryWeights': return l.kh * l.kw * C * N + 3 * N;
    case 'bdense': return l.input.h * l.input.w * C * N + 3 * N;
    case 'depthwiseConv2d': return l.kh * l.kw * C + C;
    case 'dense': return C * N + N;
    case 'packSignsAffine': case 'scaleShift': return 2 * C;
    default: return 0;
  }
}
