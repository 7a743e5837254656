/**
 * The single-file build's kernels (`bexnet/inline`): both wasm builds inlined as bytes,
 * for runtimes with neither fetch nor a file system, and bundlers that copy no assets.
 * tools/build.mjs puts this module in place of default-kernels.ts.
 */
import simd from '../build/bexnet.simd.wasm';
import scalar from '../build/bexnet.scalar.wasm';
import type { Backend } from './wasm.js';

export function defaultKernelSource(backend: Backend): Uint8Array {
  return backend === 'simd' ? simd : scalar;
}
