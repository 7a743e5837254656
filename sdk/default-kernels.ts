/**
 * Where the packaged kernels are when the caller passes none: beside the module, as
 * `../build/bexnet.{simd,scalar}[-core].wasm` (from `sdk/` in the sources and from `dist/` in the
 * package). The literal `new URL('…', import.meta.url)` form is what Vite, webpack 5,
 * Parcel and Rollup's asset plugin recognise and copy. The single-file build swaps this
 * module for `default-kernels.inline.ts` (tools/build.mjs).
 */
import type { Backend, KernelSet } from './wasm.js';

export function defaultKernelSource(backend: Backend, set: KernelSet): URL | Uint8Array | undefined {
  // import.meta.url is undefined where a bundler or CJS build dropped it.
  if (typeof import.meta.url !== 'string') return undefined;
  if (set === 'core') return backend === 'simd' ? new URL('../build/bexnet.simd-core.wasm', import.meta.url) : new URL('../build/bexnet.scalar-core.wasm', import.meta.url);
  return backend === 'simd' ? new URL('../build/bexnet.simd.wasm', import.meta.url) : new URL('../build/bexnet.scalar.wasm', import.meta.url);
}
