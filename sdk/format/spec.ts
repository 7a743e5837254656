/**
 * Constants of the .bxn v1 format (the ops are in ../ops.ts).
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
export const WIRE_RECORD_BYTES = 16;
export const TABLE_PREFIX_BYTES = 16; // count + 3 reserved u32 before TENS, LAYR, WIRE and XGRF records
export const ALIGN = 16;
export const NO_TENSOR = -1;
export const NO_GRAPH = 0xffffffff;
export const NO_VALUE = 0xffffffff; // a WIRE record's second input where the op has one input
/** Minor version of a file with a WIRE section (format 1.1 added it; a 1.0 reader rejects the required section). */
export const VERSION_MINOR_WIRE = 1;

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

/** Section types in the order they must appear. */
export const SECTION_META = 'META';
export const SECTION_TENSORS = 'TENS';
export const SECTION_LAYERS = 'LAYR';
export const SECTION_DATA = 'DATA';
export const SECTION_EXPANDERS = 'XGRF';
export const SECTION_WIRING = 'WIRE';
export const KNOWN_SECTION_ORDER = [SECTION_META, SECTION_TENSORS, SECTION_LAYERS, SECTION_WIRING, SECTION_EXPANDERS, SECTION_DATA];

export type TensorEncoding = 'bits' | 'f32' | 'f16' | 'int8';
export const ENCODING_CODES: Record<TensorEncoding, number> = { bits: 1, f32: 2, f16: 3, int8: 4 };
export const ENCODING_BY_CODE: Record<number, TensorEncoding> = { 1: 'bits', 2: 'f32', 3: 'f16', 4: 'int8' };

export type DType = 'f32' | 'bits';
export type { Padding } from '../layout.js';

export const LAYER_FLAG_RELU = 1;
export const LAYER_FLAG_BITS_OUT = 2;

/** Which fields a layer record uses. Unused fields must be zero (tensor refs −1). */
export type TensorRole = 'weights' | 'bias' | 'transform' | 'scale' | 'shift' | 'flip';
export const FLOAT_ENCODINGS: TensorEncoding[] = ['f32', 'f16', 'int8'];

/** XGRF record flags (FORMAT.md §10). */
export const EXPANDER_FLAG_BALANCED = 1;
/** Generator 2 only: the grouped layer reads its input groups shuffled (FORMAT.md §10). */
export const EXPANDER_FLAG_SHUFFLED = 2;
/** Graph generators this reader can rebuild (sdk/expander.ts): 1 expander, 2 grouped; others are 'unsupported_expander'. */
export const KNOWN_GENERATORS: readonly number[] = [1, 2];
