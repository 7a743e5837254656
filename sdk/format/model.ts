/** Types shared by the writer (what you give it) and the reader (what it returns). */
import { BxnInputError } from '../errors.js';
import type { Padding } from '../layout.js';
import type { OpName } from '../ops.js';
import type { DType, TensorEncoding, TensorRole } from './spec.js';

export type Normalization =
  | { mean: number[]; std: number[] }      // x' = (x − mean[c]) / std[c]
  | { scale: number[]; offset: number[] }; // x' = x · scale[c] + offset[c]

export interface BxnMetadata {
  name: string;
  producer: string;
  /** [H, W, C] of the f32 input. */
  inputShape: [number, number, number];
  /** Applied by the runtime to every input before layer 0; arrays of length 1 or C. */
  normalization: Normalization | null;
  /** Empty, or one label per output element. */
  labels: string[];
}

export interface Shape { h: number; w: number; c: number; dtype: DType }

/** A parsed tensor record. Offsets are absolute in the file. */
export interface BxnTensor {
  index: number;
  encoding: TensorEncoding;
  /** Elements after decoding: u32 words for 'bits', f32 values otherwise. */
  count: number;
  /** int8 only: number of per-channel scales. */
  channels: number;
  /** int8 only: 0 = channels innermost; 8 = panel layout [channels/8, rows, 8] (conv2d, dense). */
  lanes: number;
  byteOffset: number;
  byteLength: number;
}

export interface BxnLayer {
  index: number;
  op: OpName;
  kh: number;
  kw: number;
  stride: number;
  padding: Padding;
  padTop: number;
  padLeft: number;
  outChannels: number;
  relu: boolean;
  bitsOut: boolean;
  /** Tensor indexes by role. */
  tensors: Partial<Record<TensorRole, number>>;
  /** X-layers: the XGRF record the layer reads (index into BxnModel.expanders); null otherwise. */
  graph: (ExpanderRecord & { index: number }) | null;
  /** The values the layer reads: value 0 is the model input, value v the output of layer v − 1 (a chain: [index]; `add`: two). */
  inputs: number[];
  input: Shape;
  output: Shape;
  macs: number;
  /** Kernel scratch bytes (from the op descriptor, computed in JS; checked against maxArenaBytes). */
  scratchBytes: number;
  /** Bytes of this layer's tensors in wasm memory (int8 as stored where its kernel reads int8; a shared tensor counts for each user). */
  weightBytes: number;
}

/** An XGRF record (FORMAT.md §10): the parameters sdk/expander.ts rebuilds the graph from. */
export interface ExpanderRecord {
  /** 1 = expander (xoshiro128** + Fisher–Yates), 2 = grouped convolution. */
  generator: number;
  /** Flags bit 0 (generator 1). */
  balanced: boolean;
  /** Flags bit 1 (generator 2): the groups read their inputs shuffled. Absent = false; the reader sets it on generator-2 records. */
  shuffled?: boolean;
  /** 64-bit seed as two u32 halves. */
  seedLo: number;
  seedHi: number;
  inChannels: number;
  outChannels: number;
  /** Input channels per output channel. */
  degree: number;
  /** Input channels per graph node and output channels per node. */
  inGroup: number;
  outGroup: number;
}

export interface BxnSection { type: string; required: boolean; offset: number; length: number; crc: number }

export interface BxnModel {
  version: { major: number; minor: number };
  metadata: BxnMetadata;
  sections: BxnSection[];
  tensors: BxnTensor[];
  layers: BxnLayer[];
  /** XGRF records (empty when the file has no X-layers). */
  expanders: ExpanderRecord[];
  /** Bytes of the tensors in wasm memory (each tensor once per form its users read, 16-byte aligned) and of the used graphs' index tables, before binary filters are repacked. */
  weightBytes: number;
  /** The file bytes the records point into. */
  bytes: Uint8Array;
}

/**
 * Caps on what a file may ask for. The defaults suit an edge runtime: 2^30 MACs is about a
 * second of synchronous run() on one core; 128 MiB each for weights and the arena keep a
 * model inside a phone browser tab or a worker's memory limit. Raise them per load.
 */
export interface BxnLimits {
  /** Cap on the decoded weights region, in this kernel build's layout (default 128 MiB). */
  maxWeightBytes?: number;
  /** Cap on the activation + scratch arena plus the run() output arrays (default 128 MiB). */
  maxArenaBytes?: number;
  /** Cap on the total multiply-accumulates of one inference (default 2^30). */
  maxMacs?: number;
  /**
   * Cap on the .bxn file itself (default 128 MiB): a URL or Response is refused by its
   * Content-Length or, streamed, at the first chunk past the cap, never read whole first.
   */
  maxFileBytes?: number;
}

export const DEFAULT_LIMITS: Readonly<Required<BxnLimits>> = Object.freeze({
  maxWeightBytes: 128 * 2 ** 20,
  maxArenaBytes: 128 * 2 ** 20,
  maxMacs: 2 ** 30,
  maxFileBytes: 128 * 2 ** 20,
});

const LIMIT_KEYS = Object.keys(DEFAULT_LIMITS) as (keyof BxnLimits)[];

/**
 * The caps of one load, resolved once: a missing or undefined cap takes its default; any
 * other value that is not a positive finite number is a BxnInputError (a NaN cap would
 * switch the comparisons off).
 */
export function resolveLimits(limits: BxnLimits | undefined): Readonly<Required<BxnLimits>> {
  if (limits === undefined) return DEFAULT_LIMITS;
  if (limits === null || typeof limits !== 'object')
    throw new BxnInputError('bad_argument', `limits must be an object like { maxMacs: 2 ** 30 }, got ${limits === null ? 'null' : typeof limits}`);
  const resolved = { ...DEFAULT_LIMITS };
  for (const key of LIMIT_KEYS) {
    const v = (limits as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new BxnInputError('bad_argument', `${key} must be a positive finite number of ${key === 'maxMacs' ? 'multiply-accumulates' : 'bytes'} (default ${DEFAULT_LIMITS[key]}), got ${typeof v === 'number' ? v : JSON.stringify(v) ?? typeof v}`);
    resolved[key] = v;
  }
  return Object.freeze(resolved);
}
