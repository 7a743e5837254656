// Shared benchmark plumbing: round-robin timing, the --json result file, kernel builds and a bump arena.
import { writeFileSync } from 'node:fs';
import { buildFile } from '../node-kernels.js';

export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

/**
 * Times several implementations of the same work round-robin: each round runs
 * every one once, so background load on this shared machine hits all of them
 * alike and their ratios stay fair. At least `minRounds`, about `budgetMs` in all.
 */
export function timeInterleaved(fns: (() => void)[], { minRounds = 9, budgetMs = 3000, warmup = 2 } = {}): Timing[] {
  for (let i = 0; i < warmup; i++) fns.forEach((f) => f());
  const samples: number[][] = fns.map(() => []);
  const start = performance.now();
  for (let round = 0; round < minRounds || (performance.now() - start < budgetMs && round < 500); round++) {
    fns.forEach((f, i) => {
      const t0 = performance.now();
      f();
      samples[i].push(performance.now() - t0);
    });
  }
  return samples.map((s) => {
    s.sort((a, b) => a - b);
    return { medianMs: s[s.length >> 1], minMs: s[0], maxMs: s[s.length - 1], runs: s.length };
  });
}

export function writeRows(file: string | undefined, rows: object[], extra: object = {}): void {
  if (!file) return;
  writeFileSync(file, JSON.stringify({ ...extra, rows }, null, 1) + '\n');
  console.log(`wrote ${rows.length} rows to ${file}`);
}

/** A kernel build's exports, loaded from build/ (Node only: tools, not the sdk). */
export function loadBuild(name: 'simd' | 'scalar'): Record<string, any> {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(buildFile(`bexnet.${name}.wasm`)), {
    env: { abort: () => { throw new Error('wasm abort'); } },
  });
  return inst.exports as Record<string, any>;
}

/** A bump allocator over a build's memory, for benchmarks. */
export class Arena {
  private top: number;
  constructor(readonly k: Record<string, any>) {
    this.top = k.heapBase();
  }
  alloc(bytes: number): number {
    const ptr = this.top;
    this.top = (ptr + bytes + 15) & ~15;
    const mem = this.k.memory as WebAssembly.Memory;
    if (this.top > mem.buffer.byteLength) mem.grow(Math.ceil((this.top - mem.buffer.byteLength) / 65536));
    return ptr;
  }
  put(data: Float32Array | Uint32Array): number {
    const ptr = this.alloc(data.byteLength);
    new Uint8Array((this.k.memory as WebAssembly.Memory).buffer, ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return ptr;
  }
}
