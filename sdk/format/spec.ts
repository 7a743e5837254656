/**
 * Constants of the .bxn v1 format and the one list of layer ops.
 * FORMAT.md is the prose version of this file; keep them in step.
 */

export const MAGIC = new Uint8Array([0x89, 0x42, 0x58, 0x4e, 0x0d, 0x0a, 0x1a, 0x0a]); // "\x89BXN\r\n\x1a\n"
export const VERSION_MAJOR = 1;
export const VERSION_MINOR = 0;
export const HEADER_BYTES = 64;
export const SECTION_ENTRY_BYTES = 32;
export const MAX_SECTIONS = 64;
export const TENSOR_RECORD_BYTES = 32;
export const LAYER_RECORD_BYTES = 48;
export const EXPANDER_RECORD_BYTES = 32;
export const TABLE_PREFIX_BYTES = 16; // count + 3 reserved u32 before TENS, LAYR and XGRF records
export const ALIGN = 16;
export const NO_TENSOR = -1;
export const NO_GRAPH = 0xffffffff;

export const MAX_TENSORS = 65536;
export const MAX_LAYERS = 4096;
export const MAX_EXPANDERS = 4096;
export const MAX_DIM = 65536;        // H, W, C, C_out
export const MAX_KERNEL = 64;        // kh, kw
export const MAX_STRIDE = 16;
export const MAX_META_BYTES = 1 << 20;
export const MAX_NAME_CHARS = 256;
export const MAX_LABELS = 65536;
export const MAX_BYTES = 0x7fffffff; // every size must fit an i32 pointer offset

export const SECTION_FLAG_REQUIRED = 1;

/** Section types in the order they must appear. XGRF is recognised but not runnable in v1. */
export const SECTION_META = 'META';
export const SECTION_TENSORS = 'TENS';
export const SECTION_LAYERS = 'LAYR';
export const SECTION_DATA = 'DATA';
export const SECTION_EXPANDERS = 'XGRF';
export const KNOWN_SECTION_ORDER = [SECTION_META, SECTION_TENSORS, SECTION_LAYERS, SECTION_EXPANDERS, SECTION_DATA];

export type TensorEncoding = 'bits' | 'f32' | 'f16' | 'int8';
export const ENCODING_CODES: Record<TensorEncoding, number> = { bits: 1, f32: 2, f16: 3, int8: 4 };
export const ENCODING_BY_CODE: Record<number, TensorEncoding> = { 1: 'bits', 2: 'f32', 3: 'f16', 4: 'int8' };

export type DType = 'f32' | 'bits';
export type Padding = 'valid' | 'same';

export const LAYER_FLAG_RELU = 1;
export const LAYER_FLAG_BITS_OUT = 2;

/** Which fields a layer record uses. Unused fields must be zero (tensor refs −1). */
export type TensorRole = 'weights' | 'bias' | 'transform' | 'scale' | 'shift';
export const FLOAT_ENCODINGS: TensorEncoding[] = ['f32', 'f16', 'int8'];

export interface OpSpec {
  readonly name: OpName;
  readonly code: number;
  readonly input: DType;
  /** kh, kw, stride and padding are meaningful. */
  readonly window: boolean;
  /** outChannels is meaningful (must be ≥ 1). */
  readonly outChannels: boolean;
  readonly allowRelu: boolean;
  readonly allowBitsOut: boolean;
  /** Tensor slots in order; each with allowed encodings. */
  readonly tensors: ReadonlyArray<{ role: TensorRole; encodings: ReadonlyArray<TensorEncoding> }>;
}

export type OpName =
  | 'conv2d' | 'bconv2d' | 'bdense' | 'conv2dBinaryWeights' | 'depthwiseConv2d' | 'dense'
  | 'packSigns' | 'packSignsAffine' | 'unpackSigns'
  | 'maxPool2d' | 'maxPool2dBits' | 'avgPool2d' | 'globalAvgPool'
  | 'scaleShift' | 'relu' | 'softmax' | 'flatten';

const f32Only = ['f32'] as const;
const floats = FLOAT_ENCODINGS;
const bitsOnly = ['bits'] as const;

/** The one list of ops: reader, writer, planner, runtime and tests all read it. */
export const OPS: readonly OpSpec[] = [
  { name: 'conv2d', code: 1, input: 'f32', window: true, outChannels: true, allowRelu: true, allowBitsOut: false,
    tensors: [{ role: 'weights', encodings: floats }, { role: 'bias', encodings: floats }] },
  { name: 'bconv2d', code: 2, input: 'bits', window: true, outChannels: true, allowRelu: true, allowBitsOut: true,
    tensors: [{ role: 'weights', encodings: bitsOnly }, { role: 'transform', encodings: f32Only }] },
  { name: 'bdense', code: 3, input: 'bits', window: false, outChannels: true, allowRelu: true, allowBitsOut: true,
    tensors: [{ role: 'weights', encodings: bitsOnly }, { role: 'transform', encodings: f32Only }] },
  { name: 'conv2dBinaryWeights', code: 4, input: 'f32', window: true, outChannels: true, allowRelu: true, allowBitsOut: false,
    tensors: [{ role: 'weights', encodings: bitsOnly }, { role: 'transform', encodings: f32Only }] },
  { name: 'depthwiseConv2d', code: 5, input: 'f32', window: true, outChannels: true, allowRelu: true, allowBitsOut: false,
    tensors: [{ role: 'weights', encodings: floats }, { role: 'bias', encodings: floats }] },
  { name: 'dense', code: 6, input: 'f32', window: false, outChannels: true, allowRelu: true, allowBitsOut: false,
    tensors: [{ role: 'weights', encodings: floats }, { role: 'bias', encodings: floats }] },
  { name: 'packSigns', code: 7, input: 'f32', window: false, outChannels: false, allowRelu: false, allowBitsOut: false, tensors: [] },
  { name: 'packSignsAffine', code: 8, input: 'f32', window: false, outChannels: false, allowRelu: false, allowBitsOut: false,
    tensors: [{ role: 'scale', encodings: f32Only }, { role: 'shift', encodings: f32Only }] },
  { name: 'unpackSigns', code: 9, input: 'bits', window: false, outChannels: false, allowRelu: false, allowBitsOut: false, tensors: [] },
  { name: 'maxPool2d', code: 10, input: 'f32', window: true, outChannels: false, allowRelu: false, allowBitsOut: false, tensors: [] },
  { name: 'maxPool2dBits', code: 11, input: 'bits', window: true, outChannels: false, allowRelu: false, allowBitsOut: false, tensors: [] },
  { name: 'avgPool2d', code: 12, input: 'f32', window: true, outChannels: false, allowRelu: false, allowBitsOut: false, tensors: [] },
  { name: 'globalAvgPool', code: 13, input: 'f32', window: false, outChannels: false, allowRelu: false, allowBitsOut: false, tensors: [] },
  { name: 'scaleShift', code: 14, input: 'f32', window: false, outChannels: false, allowRelu: true, allowBitsOut: false,
    tensors: [{ role: 'scale', encodings: floats }, { role: 'shift', encodings: floats }] },
  { name: 'relu', code: 15, input: 'f32', window: false, outChannels: false, allowRelu: false, allowBitsOut: false, tensors: [] },
  { name: 'softmax', code: 16, input: 'f32', window: false, outChannels: false, allowRelu: false, allowBitsOut: false, tensors: [] },
  { name: 'flatten', code: 17, input: 'f32', window: false, outChannels: false, allowRelu: false, allowBitsOut: false, tensors: [] },
];
// flatten accepts bits as well (see reader); its `input` entry is the common case.

/** Op codes reserved for expander-graph (X-Net) layers; rejected with 'unsupported_expander' in v1. */
export const EXPANDER_OP_CODES: Record<number, string> = { 64: 'xconv2d', 65: 'xdense', 66: 'xbconv2d' };

export const OP_BY_NAME = new Map(OPS.map((op) => [op.name, op]));
export const OP_BY_CODE = new Map(OPS.map((op) => [op.code, op]));
