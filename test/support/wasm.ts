// Loads a kernel build and hands out guarded buffers in its memory: each buffer
// is surrounded by guard bytes that `checkGuards` verifies after every call.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Build = 'simd' | 'scalar' | 'simd-full' | 'scalar-full' | 'debug' | 'train';
const GUARD = 64;
const GUARD_BYTE = 0xa5;

export interface Buffer {
  ptr: number;
  bytes: number;
}

export class KernelHarness {
  readonly exports: Record<string, any>;
  readonly memory: WebAssembly.Memory;
  private top: number;
  private readonly base: number;
  private buffers: Buffer[] = [];

  constructor(readonly build: Build) {
    const url = new URL(`../../build/bexnet.${build}.wasm`, import.meta.url);
    const module = new WebAssembly.Module(readFileSync(fileURLToPath(url)));
    const abort = (msg: number, file: number, line: number, col: number): never => {
      throw new Error(`wasm abort: ${readString(this.memory, msg)} (${readString(this.memory, file)}:${line}:${col})`);
    };
    const instance = new WebAssembly.Instance(module, { env: { abort } });
    this.exports = instance.exports as Record<string, any>;
    this.memory = this.exports.memory as WebAssembly.Memory;
    this.base = this.top = this.exports.heapBase();
  }

  /** Frees every buffer (bump allocator reset). */
  reset(): void {
    this.top = this.base;
    this.buffers = [];
  }

  alloc(bytes: number): number {
    const start = this.top + GUARD;
    const end = start + bytes;
    const need = end + GUARD + 16;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / 65536));
    const u8 = new Uint8Array(this.memory.buffer);
    u8.fill(GUARD_BYTE, this.top, start);
    u8.fill(GUARD_BYTE, end, end + GUARD);
    this.top = (end + GUARD + 15) & ~15;
    this.buffers.push({ ptr: start, bytes });
    return start;
  }

  /** Allocates and fills a buffer from a typed array. */
  put(data: Float32Array | Uint32Array | Int32Array | Int8Array): number {
    const ptr = this.alloc(data.byteLength);
    new Uint8Array(this.memory.buffer, ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return ptr;
  }

  /** An output buffer pre-filled with a non-zero pattern, so unwritten cells show. */
  output(bytes: number): number {
    const ptr = this.alloc(bytes);
    new Uint8Array(this.memory.buffer, ptr, bytes).fill(0x5a);
    return ptr;
  }

  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n).slice();
  }

  u32(ptr: number, n: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, ptr, n).slice();
  }

  /** Throws if any guard byte around any live buffer changed. */
  checkGuards(): void {
    const u8 = new Uint8Array(this.memory.buffer);
    for (const b of this.buffers) {
      for (let i = b.ptr - GUARD; i < b.ptr; i++) if (u8[i] !== GUARD_BYTE) throw new Error(`guard before buffer @${b.ptr} overwritten at -${b.ptr - i}`);
      for (let i = b.ptr + b.bytes; i < b.ptr + b.bytes + GUARD; i++) {
        if (u8[i] !== GUARD_BYTE) throw new Error(`guard after buffer @${b.ptr} (${b.bytes} bytes) overwritten at +${i - b.ptr - b.bytes}`);
      }
    }
  }
}

/** An AssemblyScript string: UTF-16 code units, byte length stored just before. */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return '';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}
