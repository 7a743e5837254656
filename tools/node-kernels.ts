// Node-side kernel wasm for tools and tests, loaded one way: bytes from build/
// (located by tools/entries.mjs the same way from sources and bundles), either as sdk KernelOptions or as a raw instance of a build
// for code that calls kernels directly (the training kernels, the kernel
// benchmark), with a bump allocator over its memory.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KernelOptions } from '../sdk/index.js';
import { buildUrl } from './entries.mjs';

export type KernelBuild = 'simd' | 'scalar' | 'simd-full' | 'scalar-full' | 'debug' | 'train';

export function kernelBytes(build: KernelBuild): Uint8Array<ArrayBuffer> {
  const url = buildUrl(`bexnet.${build}.wasm`);
  if (!existsSync(url)) throw new Error(`${fileURLToPath(url)} not found: run \`npm run build\` first`);
  return new Uint8Array(readFileSync(url));
}

export function nodeKernelOptions(): KernelOptions {
  return { wasm: { simd: kernelBytes('simd'), scalar: kernelBytes('scalar') } };
}

/** A fresh instance of a kernel build; its exports include `memory` and `heapBase()`. */
export function instantiateKernels<T = Record<string, any>>(build: KernelBuild): T {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(kernelBytes(build)), {
    env: { abort: () => { throw new Error(`bexnet.${build}.wasm aborted`); } },
  });
  return inst.exports as T;
}

/** Where the next allocation of an instance's memory starts, shared by all its arenas. */
const memoryTops = new WeakMap<object, number>();

/**
 * A bump allocator over a kernel instance's memory from heapBase(); grows the memory as
 * needed. Every arena of one instance allocates after the previous ones (each used to
 * start at heapBase, so a second arena overwrote the first one's inputs: the kernel
 * benchmark timed float convs on bit patterns, denormals included).
 */
export class Arena {
  constructor(readonly k: { memory: WebAssembly.Memory; heapBase(): number } | Record<string, any>) {
    if (!memoryTops.has(k.memory)) memoryTops.set(k.memory, k.heapBase());
  }
  /** Frees every arena of the instance: the next allocation starts at heapBase again. */
  static reset(k: { memory: WebAssembly.Memory; heapBase(): number } | Record<string, any>): void {
    memoryTops.set(k.memory, k.heapBase());
  }
  alloc(bytes: number): number {
    const ptr = memoryTops.get(this.k.memory)!;
    const top = (ptr + bytes + 15) & ~15;
    memoryTops.set(this.k.memory, top);
    const mem = this.k.memory as WebAssembly.Memory;
    if (top > mem.buffer.byteLength) mem.grow(Math.ceil((top - mem.buffer.byteLength) / 65536));
    return ptr;
  }
  put(data: Float32Array | Uint32Array | Int32Array | Int8Array): number {
    const ptr = this.alloc(data.byteLength);
    new Uint8Array((this.k.memory as WebAssembly.Memory).buffer, ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return ptr;
  }
}
