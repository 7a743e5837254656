/** Typed errors. `code` values are stable API; messages say what and where. */

/** Every BxnFormatError code (FORMAT.md §11 says which check gives which). */
export const FORMAT_ERROR_CODES = [
  'truncated',             // the file ends before a structure it declares
  'trailing_bytes',        // bytes after the declared end of the file
  'bad_magic',
  'unsupported_version',
  'bad_header',            // a header field is out of range or a reserved field is set
  'checksum_mismatch',     // header, section table or section CRC32 differs
  'bad_section_table',     // type, flags, alignment, reserved bytes or duplicates in the section table
  'section_out_of_bounds',
  'section_overlap',
  'section_order',
  'section_gap',           // a section not at the next 16-byte boundary, or non-zero padding
  'missing_section',
  'unsupported_section',   // an unknown section marked required
  'bad_metadata',
  'bad_tensor',
  'bad_layer',
  'shape_mismatch',        // layer attributes or tensors inconsistent with the layer chain
  'dimension_overflow',    // a size does not fit in 2^31 bytes
  'non_finite',            // NaN or infinity in a float tensor
  'nonzero_padding',       // padding bits or words that must be zero are not
  'limit_exceeded',        // a cap from the load options is exceeded
  'bad_expander',          // an XGRF record out of range or unused (a graph that does not fit its layer is shape_mismatch)
  'unsupported_expander',  // an XGRF record of a graph generator this reader does not know
  'bad_wiring',            // a WIRE record reading a value not yet computed, a second input where the op has none (or none where it needs one), an unused value
] as const;
export type BxnFormatErrorCode = (typeof FORMAT_ERROR_CODES)[number];

/** An Error with a stable machine-readable `code` (the message is for people). */
/** Base of every bexnet error (instanceof BxnError: a typed error with a stable code). */
export abstract class BxnError<C extends string = string> extends Error {
  constructor(readonly code: C, message: string) {
    super(message);
  }
}

export class BxnFormatError extends BxnError<BxnFormatErrorCode> {
  readonly name = 'BxnFormatError';
}

export type BxnInputErrorCode = 'wrong_type' | 'wrong_length' | 'non_finite' | 'bad_argument';

export class BxnInputError extends BxnError<BxnInputErrorCode> {
  readonly name = 'BxnInputError';
}

export type BxnRuntimeErrorCode =
  | 'no_wasm'            // options.wasm lacks the build the backend choice needs
  | 'wasm_not_found'     // no kernel option, and the packaged kernels could not be located or read
  | 'simd_unsupported'   // backend 'simd' requested on an engine without wasm SIMD
  | 'bad_wasm'           // the kernel module lacks an export or has an unexpected shape
  | 'fetch_failed'
  | 'bad_source'
  | 'kernel_abort'       // the kernel module called abort (debug build assertion)
  | 'out_of_memory'      // memory.grow failed
  | 'kernel_trap'        // a kernel trapped inside run() (e.g. memory access out of bounds): a bug, please report
  | 'non_finite_output'  // classify(): the model produced NaN on this input (f32 overflow)
  | 'disposed';

export class BxnRuntimeError extends BxnError<BxnRuntimeErrorCode> {
  readonly name = 'BxnRuntimeError';
}
