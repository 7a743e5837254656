/** Types shared by the writer (what you give it) and the reader (what it returns). */
import type { DType, OpName, Padding, TensorEncoding, TensorRole } from './spec.js';

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
  input: Shape;
  output: Shape;
  macs: number;
  /** Decoded bytes of this layer's tensors (a shared tensor counts for each user). */
  weightBytes: number;
}

export interface ExpanderRecord {
  generator: number;
  balanced: boolean;
  /** 64-bit seed as two u32 halves. */
  seedLo: number;
  seedHi: number;
  inChannels: number;
  outChannels: number;
  degree: number;
}

export interface BxnSection { type: string; required: boolean; offset: number; length: number; crc: number }

export interface BxnModel {
  version: { major: number; minor: number };
  metadata: BxnMetadata;
  sections: BxnSection[];
  tensors: BxnTensor[];
  layers: BxnLayer[];
  /** Sum of decoded tensor bytes (each tensor once, 16-byte aligned): the weights region. */
  weightBytes: number;
  /** The file bytes the records point into. */
  bytes: Uint8Array;
}

export interface BxnLimits {
  /** Cap on the decoded weights region (default 256 MiB). */
  maxWeightBytes?: number;
  /** Cap on the activation arena (default 256 MiB); the reader checks each activation against it. */
  maxArenaBytes?: number;
  /** Cap on the total multiply-accumulates of one inference (default 2^36). */
  maxMacs?: number;
}

export const DEFAULT_LIMITS: Required<BxnLimits> = {
  maxWeightBytes: 256 * 2 ** 20,
  maxArenaBytes: 256 * 2 ** 20,
  maxMacs: 2 ** 36,
};
