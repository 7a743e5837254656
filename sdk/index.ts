/**
 * bexnet runtime: load a .bxn model, plan one arena, run it on the kernels.
 * Per inference the work in TypeScript is: normalise the input into the arena,
 * call the planned kernel steps, copy the logits out. Nothing is allocated.
 * What each op does at load and run time comes from its descriptor (ops.ts).
 */
import { BxnError, BxnFormatError, BxnInputError, BxnRuntimeError } from './errors.js';
import { copyTensorInto, decodeTensorInto } from './format/decode.js';
import { resolveLimits, type BxnLayer, type BxnLimits, type BxnModel, type Shape } from './format/model.js';
import { privateCopy, readTrustedCopy } from './format/reader.js';
import type { TensorRole } from './format/spec.js';
import { align16, wordsFor } from './layout.js';
import { layerGroupTable } from './expander.js';
import { CORE_KERNELS, graphTableBytes, kernelsNeeded, opOf, repackOf, slotOf, staysInt8, type Kernel, type OpName } from './ops.js';
import { planArena, type BufferRequest } from './plan.js';
import {
  checkKernels, checkProvider, loadKernels, namesKernels, sourceBytes, type Backend, type BxnKernels, type KernelMemory, type KernelOptions,
  type KernelProvider,
} from './wasm.js';

export * from './errors.js';
export { readBxn } from './format/reader.js';
export { writeBxn } from './format/writer.js';
export { OPS, type OpDescriptor, type OpName } from './ops.js';
export {
  kernelsFromModule, kernelsFromProvider, loadKernels, simdSupported, type Backend, type BackendChoice, type BxnKernels, type KernelSet,
  type KernelMemory, type KernelOptions, type KernelProvider, type WasmSource,
} from './wasm.js';
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
  /** X-layers: D / C_in, the fraction of input channels each output reads; 1 for every other op. */
  density: number;
  /** The MACs of the dense op of the same shape: macs / density (macs saved = denseMacs − macs). */
  denseMacs: number;
  /** X-layers: bytes of the graph's index table built at load (shared by layers on one graph); 0 otherwise. */
  graphBytes: number;
  /** Logical parameters of the layer (the op descriptor's count). */
  params: number;
  /** Bytes of the tensors this layer reads, as they sit in wasm memory (int8 stays int8 where its kernel reads it). */
  weightBytes: number;
  /** Bytes of the layer's output activation. */
  outputBytes: number;
  /** Kernel scratch bytes, planned in the arena. */
  scratchBytes: number;
  /** The values the layer reads: 0 the model input, v the output of layer v − 1 (two for `add`). */
  inputs: number[];
  /** Where the planner put the layer's (first) input, output and scratch (byte addresses in wasm memory). */
  inputOffset: number;
  outputOffset: number;
  scratchOffset: number;
}

export interface ModelInfo {
  name: string;
  producer: string;
  backend: Backend;
  /** Why this build runs and where its kernels came from, e.g. "simd: WebAssembly SIMD detected; kernels file:///…/bexnet.simd-core.wasm". */
  backendReason: string;
  formatVersion: string;
  inputShape: [number, number, number];
  outputLength: number;
  labels: readonly string[];
  /** Logical parameters (weights, biases, α/β/thresholds, scales), without layout padding. */
  params: number;
  /** The weights region in wasm memory: tensors decoded, binary filters in this build's layout, graph index tables. */
  weightBytes: number;
  /** The X-layers' graph index tables built at load from their XGRF records (part of weightBytes). */
  graphBytes: number;
  /** The planned activation + scratch arena. */
  arenaBytes: number;
  /** run()'s logits and classify()'s probabilities (JS memory, counted against maxArenaBytes). */
  outputArrayBytes: number;
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

const PAGE = 65536;
const now: () => number =
  typeof performance !== 'undefined' && typeof performance.now === 'function' ? () => performance.now() : () => Date.now();

const isArrayBuffer = (v: unknown): v is ArrayBuffer =>
  ['[object ArrayBuffer]', '[object SharedArrayBuffer]'].includes(Object.prototype.toString.call(v));

const bytesOf = (s: Shape) => s.h * s.w * (s.dtype === 'bits' ? wordsFor(s.c) : s.c) * 4;

/** Load a model: bytes, or a URL/Response where fetch exists. */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<BexnetModel> {
  if (options === null || typeof options !== 'object')
    throw new BxnInputError('bad_argument', `options must be an object like { kernels } or { wasm: { simd, scalar } }, got ${options === null ? 'null' : typeof options}`);
  const limits = resolveLimits(options);
  // Kernels the options name load beside the model; with none, the model says which packaged
  // build it needs (the core one unless it has X-Net layers), so they load after it.
  const kernelsPromise = options.kernels !== undefined ? Promise.resolve(checkKernels(options.kernels)) : namesKernels(options) ? loadKernels(options) : undefined;
  // Bytes are copied before the first await; fetched bytes are private already.
  const local = ArrayBuffer.isView(source) || isArrayBuffer(source) ? privateCopy(source as ArrayBuffer | ArrayBufferView) : null;
  const [bytes, namedKernels] = await Promise.all([local ?? sourceBytes(source, 'the model', limits.maxFileBytes), kernelsPromise]);
  // Everything below reads the private copy: the caller's buffer may change during the await.
  const parsed = readTrustedCopy(bytes, limits);
  const kernels = namedKernels ?? await loadKernels(options, [...kernelsNeeded(parsed)].every((k) => CORE_KERNELS.has(k)) ? 'core' : 'all');
  const provider = checkProvider(await kernels.instantiate());
  return new BexnetModel(parsed, kernels, provider, limits);
}

/**
 * Synchronous load from bytes with already prepared kernels (loadKernels()). For engines that
 * allow synchronous instantiation (Node, Deno, workers); browsers' main threads may not.
 */
export function loadModelSync(bytes: ArrayBuffer | ArrayBufferView, kernels: BxnKernels, limits?: BxnLimits): BexnetModel {
  const k = checkKernels(kernels);
  const caps = resolveLimits(limits);
  const parsed = readTrustedCopy(privateCopy(bytes), caps);
  const instance = k.instantiateSync ? k.instantiateSync() : k.instantiate();
  if (instance instanceof Promise || typeof (instance as { then?: unknown }).then === 'function')
    throw new BxnInputError('bad_argument', 'these kernels instantiate asynchronously only; use loadModel(bytes, { kernels })');
  return new BexnetModel(parsed, k, checkProvider(instance), caps);
}

/** The weights region: where each tensor (decoded) and each repacked binary filter lives. */
interface WeightsLayout {
  /** Address of tensor i in file layout (decoded to f32 or bits), when some layer reads it so. */
  tensorAt: number[];
  rawUse: boolean[];
  /** Address of int8 tensor i as stored (scales, then q), when some layer's int8 kernel reads it. */
  int8At: number[];
  int8Use: boolean[];
  /** Repacked filters, keyed by tensor and filter geometry (a shared tensor is packed once). */
  packings: Map<string, { tensor: number; c: number; kh: number; kw: number; cout: number; bytes: number; at: number; pack: string }>;
  /** Per layer: its packing key for the repacked role. */
  layerPacking: (string | undefined)[];
  /** Address of XGRF record i's group table (sdk/expander.ts layerGroupTable, i32). */
  graphAt: number[];
  graphBytes: number;
  weightBytes: number;
  /** File-layout filters wait in the arena while they are packed. */
  stagingBytes: number;
}

/** The arena plan: buffer b of the plan at bufferAt(b). */
interface BufferPlan {
  /** value 0 is the input; layer i reads value i and writes value i + 1. */
  valueBuffer: number[];
  scratchBuffer: number[];
  stagingBuffer: number;
  offsets: number[];
  arenaBytes: number;
}

/** Names the kernels export beyond the ops': the heap base and packing (bad_wasm when missing). */
function kernelResolver(exports: Readonly<Record<string, unknown>>): (name: string) => Kernel {
  return (name) => {
    const f = exports[name];
    if (typeof f !== 'function') {
      const hint = CORE_KERNELS.has(name) || name === 'heapBase' ? '' : ' (an X-Net kernel: the core build bexnet.*-core.wasm has none; pass the complete bexnet.{simd,scalar}.wasm or loadKernels(options, \'all\'))';
      throw new BxnRuntimeError('bad_wasm', `the kernel module has no export '${name}'${hint}`);
    }
    return f as Kernel;
  };
}

function layoutWeights(model: BxnModel, kernel: (name: string) => Kernel, heapBase: number): WeightsLayout {
  const rawUse = model.tensors.map(() => false);
  const int8Use = model.tensors.map(() => false);
  const packings: WeightsLayout['packings'] = new Map();
  const layerPacking: (string | undefined)[] = [];
  for (const layer of model.layers) {
    for (const [role, index] of Object.entries(layer.tensors) as [TensorRole, number][]) {
      const repack = repackOf(layer, role);
      if (!repack) {
        if (staysInt8(model.tensors[index], slotOf(layer, role))) int8Use[index] = true;
        else rawUse[index] = true;
        continue;
      }
      const { c, kh, kw, cout } = repack.geometry(layer);
      const key = `${index}:${c}:${kh}:${kw}:${cout}`;
      layerPacking[layer.index] = key;
      if (packings.has(key)) continue;
      const bytes = kernel(repack.packedBytes)(c, kh, kw, cout);
      if (!Number.isInteger(bytes) || bytes < 0 || bytes > 0x7fffffff)
        throw new BxnRuntimeError('bad_wasm', `layer ${layer.index}: ${repack.packedBytes} returned ${bytes}`);
      packings.set(key, { tensor: index, c, kh, kw, cout, bytes, at: 0, pack: repack.pack });
    }
  }
  const tensorAt: number[] = [], int8At: number[] = [];
  let weightBytes = 0;
  for (const t of model.tensors) {
    tensorAt.push(heapBase + weightBytes);
    if (rawUse[t.index]) weightBytes += align16(t.count * 4);
    int8At.push(heapBase + weightBytes);
    if (int8Use[t.index]) weightBytes += align16(t.byteLength);
  }
  // Graph index tables: the reader checked that every record is used and counted them in its cap.
  const graphAt: number[] = [];
  let graphBytes = 0;
  for (const g of model.expanders) {
    graphAt.push(heapBase + weightBytes);
    graphBytes += align16(graphTableBytes(g));
    weightBytes += align16(graphTableBytes(g));
  }
  let stagingBytes = 0;
  for (const p of packings.values()) {
    p.at = heapBase + weightBytes;
    weightBytes += align16(p.bytes);
    stagingBytes = Math.max(stagingBytes, model.tensors[p.tensor].count * 4);
  }
  return { tensorAt, rawUse, int8At, int8Use, packings, layerPacking, graphAt, graphBytes, weightBytes, stagingBytes };
}

/** Activations, scratch and the load-time staging buffer with their lifetimes, planned into one arena. */
function planBuffers(layers: BxnLayer[], stagingBytes: number): BufferPlan {
  // Step i is layer i; the input is written at step 0, the output read after the last step.
  // Value v (0 the input, v the output of layer v − 1) lives until its last reader's step.
  const L = layers.length;
  const lastRead = new Array<number>(L + 1).fill(0);
  for (const [i, layer] of layers.entries()) for (const v of layer.inputs) lastRead[v] = Math.max(lastRead[v], i);
  lastRead[L] = L; // the model output lives past the last step
  const valueBuffer: number[] = [0];
  const requests: BufferRequest[] = [{ bytes: bytesOf(layers[0].input), firstStep: 0, lastStep: lastRead[0] }];
  const scratchBuffer: number[] = [];
  for (const [i, layer] of layers.entries()) {
    // In place only over a buffer no later layer reads (a residual branch keeps its value, and so
    // does every value aliased to the same bytes: a buffer's lastStep covers them all); an alias always.
    const { inPlace } = opOf(layer);
    const over = inPlace === 'alias' ? layer.inputs[0] : inPlace ? layer.inputs.find((v) => requests[valueBuffer[v]].lastStep <= i) : undefined;
    if (over !== undefined) {
      valueBuffer.push(valueBuffer[over]); // same bytes; extend its life
      requests[valueBuffer[over]].lastStep = Math.max(requests[valueBuffer[over]].lastStep, lastRead[i + 1]);
    } else {
      valueBuffer.push(requests.length);
      requests.push({ bytes: bytesOf(layer.output), firstStep: i, lastStep: Math.max(i, lastRead[i + 1]) });
    }
    scratchBuffer.push(requests.length);
    requests.push({ bytes: layer.scratchBytes, firstStep: i, lastStep: i });
  }
  // The staging buffer lives only at load time (step −1), so it shares bytes with activations.
  const stagingBuffer = requests.length;
  requests.push({ bytes: stagingBytes, firstStep: -1, lastStep: -1 });
  const { offsets, arenaBytes } = planArena(requests);
  return { valueBuffer, scratchBuffer, stagingBuffer, offsets, arenaBytes };
}

/** Grow memory once, to exactly what the plan needs. */
function growMemory(memory: KernelMemory, needed: number): void {
  const pages = Math.ceil(needed / PAGE) - memory.buffer.byteLength / PAGE;
  if (pages <= 0) return;
  try { memory.grow(pages); } catch {
    throw new BxnRuntimeError('out_of_memory', `cannot grow wasm memory to ${needed} bytes`);
  }
  if (memory.buffer.byteLength < needed) throw new BxnRuntimeError('out_of_memory', `wasm memory did not grow to ${needed} bytes`);
}

/** Decode tensors into the weights region; repack binary filters through the staging buffer. */
function fillWeights(model: BxnModel, w: WeightsLayout, buffer: ArrayBuffer, staging: number, kernel: (name: string) => Kernel): void {
  model.tensors.forEach((t, i) => {
    if (w.rawUse[i]) decodeTensorInto(model.bytes, t, buffer, w.tensorAt[i]);
    if (w.int8Use[i]) copyTensorInto(model.bytes, t, buffer, w.int8At[i]);
  });
  model.expanders.forEach((g, i) => new Int32Array(buffer, w.graphAt[i], graphTableBytes(g) / 4).set(layerGroupTable(g)));
  for (const p of w.packings.values()) {
    decodeTensorInto(model.bytes, model.tensors[p.tensor], buffer, staging);
    kernel(p.pack)(staging, p.c, p.kh, p.kw, p.cout, p.at);
  }
}

/** Normalisation as x' = (x·mul + add) / div per channel, so both forms are exact as written. */
interface Normalisation { mul: Float64Array; add: Float64Array; div: Float64Array; identity: boolean }
function normalisation(model: BxnModel): Normalisation {
  const C = model.metadata.inputShape[2];
  const norm = model.metadata.normalization;
  const perChannel = (v: number[], c: number) => (v.length === 1 ? v[0] : v[c]);
  const mul = new Float64Array(C).fill(1), add = new Float64Array(C), div = new Float64Array(C).fill(1);
  for (let c = 0; c < C; c++) {
    if (norm && 'mean' in norm) { add[c] = -perChannel(norm.mean, c); div[c] = perChannel(norm.std, c); }
    if (norm && 'scale' in norm) { mul[c] = perChannel(norm.scale, c); add[c] = perChannel(norm.offset, c); }
  }
  const identity = mul.every((m, c) => m === 1 && add[c] === 0 && div[c] === 1);
  return { mul, add, div, identity };
}

/** Release an ArrayBuffer's bytes now where the engine can (transfer detaches it). */
function release(a: Float32Array): void {
  if (typeof structuredClone !== 'function' || a.buffer.byteLength === 0) return;
  try { structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] }); } catch { /* not transferable here: left to the GC */ }
}

export class BexnetModel {
  readonly metadata: BxnModel['metadata'];
  readonly backend: Backend;
  private readonly backendReason: string;
  private memory: KernelMemory | null;
  private readonly layers: BxnLayer[];
  private readonly steps: (() => void)[];
  private readonly layerInfo: LayerInfo[];
  private inputView: Float32Array;
  private outputView: Float32Array;
  private logits: Float32Array;
  private probabilities: Float32Array;
  private readonly norm: Normalisation;
  private readonly endsInSoftmax: boolean;
  private readonly sizes: { staticBytes: number; weightBytes: number; graphBytes: number; arenaBytes: number; params: number; macs: number; version: string };

  /** Use loadModel(); the constructor expects a validated model (readBxn) and resolved caps. */
  constructor(model: BxnModel, kernels: Pick<BxnKernels, 'backend' | 'reason'>, provider: KernelProvider, limits?: BxnLimits) {
    const caps = resolveLimits(limits);
    this.metadata = model.metadata;
    this.backend = kernels.backend;
    this.backendReason = typeof kernels.reason === 'string' ? kernels.reason : `${kernels.backend}: kernels passed in`;
    this.layers = model.layers;
    const { memory } = checkProvider(provider);
    const kernel = kernelResolver(provider.exports);
    for (const name of kernelsNeeded(model)) kernel(name);
    const heapBase = kernel('heapBase')();
    if (!Number.isInteger(heapBase) || heapBase < 0 || heapBase % 16 !== 0 || heapBase > memory.buffer.byteLength)
      throw new BxnRuntimeError('bad_wasm', `heapBase() returned ${heapBase}`);

    const weights = layoutWeights(model, kernel, heapBase);
    if (weights.weightBytes > caps.maxWeightBytes)
      throw new BxnFormatError('limit_exceeded', `the weights need ${weights.weightBytes} bytes in this kernel build's layout, over the ${caps.maxWeightBytes}-byte cap (maxWeightBytes)`);
    const plan = planBuffers(model.layers, weights.stagingBytes);
    const L = model.layers.length;
    const inShape = model.layers[0].input;
    const outLength = bytesOf(model.layers[L - 1].output) / 4; // f32 output
    const outputArrayBytes = 2 * outLength * 4;
    if (plan.arenaBytes + outputArrayBytes > caps.maxArenaBytes)
      throw new BxnFormatError('limit_exceeded', `the planned arena (activations + kernel scratch, ${plan.arenaBytes} bytes) and the output arrays (${outputArrayBytes} bytes) need ${plan.arenaBytes + outputArrayBytes} bytes, over the ${caps.maxArenaBytes}-byte cap (maxArenaBytes)`);
    const arenaBase = heapBase + weights.weightBytes;
    const bufferAt = (b: number) => arenaBase + plan.offsets[b];

    growMemory(memory, arenaBase + plan.arenaBytes);
    this.memory = memory;
    const buffer = memory.buffer;
    fillWeights(model, weights, buffer, bufferAt(plan.stagingBuffer), kernel);
    this.steps = this.buildSteps(model, weights, plan, bufferAt, kernel, new Float32Array(buffer));

    this.inputView = new Float32Array(buffer, bufferAt(0), inShape.h * inShape.w * inShape.c);
    this.outputView = new Float32Array(buffer, bufferAt(plan.valueBuffer[L]), outLength);
    this.logits = new Float32Array(outLength);
    this.probabilities = new Float32Array(outLength);
    this.endsInSoftmax = model.layers[L - 1].op === 'softmax';
    this.norm = normalisation(model);

    this.layerInfo = model.layers.map((layer, i) => {
      const density = layer.graph ? layer.graph.degree / layer.graph.inChannels : 1;
      return {
      index: i, kind: layer.op, input: layer.input, output: layer.output, macs: layer.macs,
      density, denseMacs: layer.graph ? (layer.macs / layer.graph.degree) * layer.graph.inChannels : layer.macs,
      graphBytes: layer.graph ? align16(graphTableBytes(layer.graph)) : 0, params: opOf(layer).params(layer),
      weightBytes: layer.weightBytes, outputBytes: bytesOf(layer.output), scratchBytes: layer.scratchBytes,
      inputs: layer.inputs.slice(), inputOffset: bufferAt(plan.valueBuffer[layer.inputs[0]]), outputOffset: bufferAt(plan.valueBuffer[i + 1]), scratchOffset: bufferAt(plan.scratchBuffer[i]),
      };
    });
    this.sizes = {
      staticBytes: heapBase, weightBytes: weights.weightBytes, graphBytes: weights.graphBytes, arenaBytes: plan.arenaBytes,
      params: this.layerInfo.reduce((n, l) => n + l.params, 0),
      macs: model.layers.reduce((n, l) => n + l.macs, 0),
      version: `${model.version.major}.${model.version.minor}`,
    };
  }

  /** One closure per layer from its descriptor, every argument fixed now. */
  private buildSteps(
    model: BxnModel, w: WeightsLayout, plan: BufferPlan, bufferAt: (b: number) => number, kernel: (name: string) => Kernel, f32: Float32Array,
  ): (() => void)[] {
    return model.layers.map((layer, i) => {
      const op = opOf(layer);
      const packing = w.layerPacking[i];
      const tensor = (role: TensorRole) =>
        repackOf(layer, role) ? w.packings.get(packing!)!.at : w.tensorAt[layer.tensors[role]!];
      const int8 = (role: TensorRole) => {
        const index = layer.tensors[role];
        if (index === undefined || !staysInt8(model.tensors[index], slotOf(layer, role))) return null;
        return { scales: w.int8At[index], values: w.int8At[index] + model.tensors[index].channels * 4 };
      };
      return op.step(layer, {
        kernel, tensor, f32, int8, graph: layer.graph ? w.graphAt[layer.graph.index] : 0,
        input: bufferAt(plan.valueBuffer[layer.inputs[0]]), input2: layer.inputs.length > 1 ? bufferAt(plan.valueBuffer[layer.inputs[1]]) : 0,
        output: bufferAt(plan.valueBuffer[i + 1]), scratch: bufferAt(plan.scratchBuffer[i]),
      });
    });
  }

  private live(): KernelMemory {
    if (!this.memory) throw new BxnRuntimeError('disposed', 'this model was disposed');
    return this.memory;
  }

  /** Normalise and copy `input` into the arena, rejecting wrong types, lengths and values not finite as f32. */
  private writeInput(input: ModelInput): void {
    this.live();
    if (input === null || typeof input !== 'object' || typeof (input as ArrayLike<number>).length !== 'number')
      throw new BxnInputError('wrong_type', 'input must be a typed array of numbers or an array of numbers');
    const dst = this.inputView;
    if (input.length !== dst.length) {
      const [h, w, c] = this.metadata.inputShape;
      throw new BxnInputError('wrong_length', `input has ${input.length} values; the model takes [${h}, ${w}, ${c}] = ${dst.length}`);
    }
    const { mul, add, div, identity } = this.norm;
    const C = mul.length;
    // Float32Array with no normalisation: already the kernels' f32, only non-finite values to reject
    // (the checked loop below cost 6% of the sketch net's whole inference).
    let i = 0;
    if (identity && Object.prototype.toString.call(input) === '[object Float32Array]') {
      dst.set(input as Float32Array);
      while (i < dst.length && Number.isFinite(dst[i])) i++;
      if (i === dst.length) return;
    }
    for (let c = i % C; i < dst.length; i++) {
      const raw = input[i];
      // typeof first: BigInt arrays and strings must not reach the arithmetic.
      if (typeof raw !== 'number') throw new BxnInputError('wrong_type', `input[${i}] is a ${typeof raw}; inputs must be numbers`);
      // The kernels see f32: 1e39 is finite as a double but infinite once stored.
      const v = Math.fround((raw * mul[c] + add[c]) / div[c]);
      if (!Number.isFinite(v)) {
        const why = Number.isFinite(raw) ? `${raw} (not finite as f32${C && (mul[c] !== 1 || add[c] !== 0 || div[c] !== 1) ? ' after normalisation' : ''})` : `${raw}`;
        throw new BxnInputError('non_finite', `input[${i}] is ${why}; inputs must be finite f32 numbers`);
      }
      dst[i] = v;
      if (++c === C) c = 0;
    }
  }

  /** Run the steps; a trap inside a kernel becomes a BxnRuntimeError naming the layer. */
  private runSteps(profile?: LayerProfile[]): void {
    const steps = this.steps;
    let i = 0;
    try {
      if (profile) {
        for (; i < steps.length; i++) {
          const t0 = now();
          steps[i]();
          profile.push({ index: i, kind: this.layers[i].op, ms: now() - t0 });
        }
      } else {
        for (; i < steps.length; i++) steps[i]();
      }
    } catch (e) {
      if (e instanceof BxnError) throw e;
      throw new BxnRuntimeError('kernel_trap', `layer ${i} (${this.layers[i]?.op}): the kernel trapped: ${(e as Error)?.message ?? e}`);
    }
  }

  /**
   * Run one inference. Returns the model's output (logits, or probabilities if the
   * model ends in softmax) in an array owned by the model and overwritten by the next
   * call; pass `out` (a Float32Array of outputLength) to receive a copy instead.
   */
  run(input: ModelInput, out?: Float32Array): Float32Array {
    if (out !== undefined && (Object.prototype.toString.call(out) !== '[object Float32Array]' || out.length !== this.logits.length))
      throw new BxnInputError('bad_argument', `out must be a Float32Array of ${this.logits.length} elements (the model's outputs), got ${describeArray(out)}`);
    this.writeInput(input);
    this.runSteps();
    const target = out ?? this.logits;
    target.set(this.outputView);
    return target;
  }

  /** Top-k predictions by score (softmax probability), best first. Never NaN. */
  classify(input: ModelInput, k = 5): Prediction[] {
    if (!Number.isInteger(k) || k < 1) throw new BxnInputError('bad_argument', `k must be a positive integer, got ${k}`);
    const logits = this.run(input);
    for (let i = 0; i < logits.length; i++)
      if (Number.isNaN(logits[i])) throw new BxnRuntimeError('non_finite_output', `output[${i}] is NaN: the model's arithmetic overflowed f32 on this input`);
    const p = this.probabilities;
    if (this.endsInSoftmax) p.set(logits);
    else softmaxInto(logits, p);
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
    this.runSteps(layers);
    const totalMs = now() - start;
    this.logits.set(this.outputView);
    return { totalMs, layers };
  }

  info(): ModelInfo {
    const memory = this.live();
    const { staticBytes, weightBytes, graphBytes, arenaBytes, params, macs, version } = this.sizes;
    const wasmMemoryBytes = memory.buffer.byteLength;
    return {
      name: this.metadata.name, producer: this.metadata.producer, backend: this.backend, backendReason: this.backendReason, formatVersion: version,
      inputShape: [...this.metadata.inputShape], outputLength: this.logits.length, labels: this.metadata.labels,
      params, weightBytes, graphBytes, arenaBytes, outputArrayBytes: 2 * this.logits.byteLength, wasmMemoryBytes,
      fixedOverheadBytes: wasmMemoryBytes - weightBytes - arenaBytes, staticBytes,
      macs, layers: this.layerInfo.map((l) => ({ ...l })),
    };
  }

  /** Drop the kernel instance, its memory and the output arrays; later calls throw BxnRuntimeError('disposed'). */
  dispose(): void {
    // Drop every reference into the wasm memory so it can be collected.
    this.memory = null;
    this.steps.length = 0;
    this.inputView = this.outputView = new Float32Array(0);
    release(this.logits);
    release(this.probabilities);
    this.logits = this.probabilities = new Float32Array(0);
  }
}

/**
 * Softmax in f64 into p. +Inf logits share all the probability (exp(Inf − Inf) would be
 * NaN); all −Inf is uniform.
 */
function softmaxInto(logits: Float32Array, p: Float32Array): void {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  if (max === Infinity || max === -Infinity) {
    let n = 0;
    for (let i = 0; i < logits.length; i++) if (logits[i] === max) n++;
    for (let i = 0; i < logits.length; i++) p[i] = logits[i] === max ? 1 / n : 0;
    return;
  }
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += p[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < logits.length; i++) p[i] /= sum;
}

function describeArray(v: unknown): string {
  const tag = Object.prototype.toString.call(v).slice(8, -1);
  const n = (v as { length?: unknown } | null)?.length;
  return typeof n === 'number' && tag !== 'String' ? `a ${tag} of ${n}` : typeof v;
}
