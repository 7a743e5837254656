export { readBxn, privateCopy } from './reader.js';
export { writeBxn, sealBxn, type BxnModelInput, type LayerInput, type TensorInput, type ExtraSection } from './writer.js';
export * from '../layout.js';
export * from './model.js';
export { OPS, OP_BY_NAME, OP_BY_CODE, opOf, scratchBytesOf, type OpName, type OpDescriptor } from '../ops.js';
export type { DType, TensorEncoding, TensorRole } from './spec.js';
export { crc32 } from './crc32.js';
export { decodeTensor, decodeTensorInto } from './decode.js';
