/**
 * The single-file build's kernels (`bexnet/inline`): both complete wasm builds inlined as bytes
 * (a core build beside them would only add bytes to this file, so every set is the complete one),
 * for runtimes with neither fetch nor a file system, and bundlers that copy no assets.
 * tools/build.mjs puts this module in place of default-kernels.ts.
 */
import simd from '../build/bexnet.simd.wasm';
import scalar from '../build/bexnet.scalar.wasm';
import type { Backend, KernelSet } from './wasm.js';

export function defaultKernelSource(backend: Backend, _set: KernelSet): Uint8Array {
  return backend === 'simd' ? simd : scalar;
}
