/** Byte- and structure-level mutation of valid .bxn files, and the one-mutant harness (tools/fuzz.ts, test/sdk.fuzz.test.ts). */
import { BxnFormatError, BxnInputError, BxnRuntimeError } from '../../sdk/errors.js';
import { crc32 } from '../../sdk/format/crc32.js';
import type { BxnModelInput } from '../../sdk/format/writer.js';
import type { BxnKernels, loadModelSync } from '../../sdk/index.js';
import type { RandomSource as Rng } from '../../sdk/prng.js';
import { ALL_OPS } from './models.js';

// ---- mutation fuzzing ----
const INTERESTING = [0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 255, 256, 4095, 65535, 65536, 65537,
  0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff];

/**
 * One mutant of a valid file. Most strategies re-seal the CRCs afterwards so the
 * mutant reaches the structural and semantic validators instead of stopping at a checksum.
 */
export function mutate(rng: Rng, file: Uint8Array, seal: (b: Uint8Array) => Uint8Array): Uint8Array {
  const b = file.slice();
  const view = new DataView(b.buffer);
  const strategy = rng.int(0, 9);
  switch (strategy) {
    case 0: // raw bit flips, checksums untouched
      for (let k = rng.int(1, 4); k > 0; k--) b[rng.int(0, b.length - 1)] ^= 1 << rng.int(0, 7);
      return b;
    case 1: // truncation (sometimes re-sealed, which fixes nothing for most lengths)
      return rng() < 0.5 ? b.subarray(0, rng.int(0, b.length - 1)) : seal(b.slice(0, rng.int(0, b.length - 1)));
    case 2: { // random bytes anywhere, re-sealed
      for (let k = rng.int(1, 8); k > 0; k--) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
      return seal(b);
    }
    case 3: case 4: case 5: { // an interesting u32 at a 4-aligned offset in the first (structural) part of the file
      const limit = Math.min(b.length - 4, 64 + 32 * 8 + 2048);
      const at = rng.int(0, limit >> 2) << 2;
      view.setUint32(at, rng() < 0.7 ? rng.pick(INTERESTING) : (view.getUint32(at, true) + rng.int(-3, 3)) >>> 0, true);
      return seal(b);
    }
    case 6: { // a u16 or byte field nudged (kh, kw, stride, op, flags, encodings)
      const at = rng.int(64, Math.min(b.length - 2, 2048));
      if (rng() < 0.5) view.setUint16(at, rng.pick([0, 1, 2, 3, 16, 17, 64, 65, 65535]), true);
      else b[at] = rng.pick([0, 1, 2, 3, 4, 7, 16, 17, 18, 64, 65, 255]);
      return seal(b);
    }
    case 7: { // digits in the META JSON changed (shapes, normalisation)
      for (let k = rng.int(1, 3); k > 0; k--) {
        const at = rng.int(0, Math.min(b.length - 1, 1024));
        if (b[at] >= 0x30 && b[at] <= 0x39) b[at] = rng.pick([0x30, 0x31, 0x39, 0x2d, 0x2e, 0x65]);
      }
      return seal(b);
    }
    case 8: { // a chunk duplicated over another place
      const len = rng.int(1, 64);
      const from = rng.int(0, Math.max(0, b.length - len));
      const to = rng.int(0, Math.max(0, b.length - len));
      b.copyWithin(to, from, from + len);
      return seal(b);
    }
    default: { // bytes inserted or removed in the middle
      const at = rng.int(0, b.length);
      const grown = new Uint8Array(b.length + 16);
      grown.set(b.subarray(0, at));
      grown.set(b.subarray(at), at + 16);
      return seal(rng() < 0.5 ? grown : b.slice(0, at).length + 16 <= b.length ? Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 16)]) : grown);
    }
  }
}

export interface FuzzCaps { maxWeightBytes: number; maxArenaBytes: number; maxMacs: number }
export interface FuzzOutcome {
  kind: 'loaded' | 'typed' | 'other' | 'trap';
  code?: string;
  ms: number;
  memoryBytes: number;
  /** Set when a loaded model misbehaves: output not finite where it must be, memory over the cap. */
  problem?: string;
  error?: unknown;
}

/**
 * Load one mutant under caps and, if it loads, run it once. Typed errors (BxnFormatError)
 * are the only acceptable failures; a WebAssembly.RuntimeError is a trap.
 */
export function tryMutant(
  mutant: Uint8Array, kernels: BxnKernels, caps: FuzzCaps, rng: Rng,
  load: typeof loadModelSync,
): FuzzOutcome {
  const t0 = performance.now();
  let memoryBytes = 0;
  try {
    const model = load(mutant, kernels, caps);
    const info = model.info();
    memoryBytes = info.wasmMemoryBytes;
    const input = new Float32Array(info.inputShape[0] * info.inputShape[1] * info.inputShape[2]).map(() => rng() * 4 - 2);
    // Kernels must never write below the arena: static data and weights are checked around the run.
    const memory = (model as unknown as { memory: WebAssembly.Memory }).memory;
    const frozen = () => crc32(new Uint8Array(memory.buffer), 0, info.staticBytes + info.weightBytes);
    const before = frozen();
    const out = model.run(input);
    let problem: string | undefined;
    if (out.length !== info.outputLength) problem = `output length ${out.length} != ${info.outputLength}`;
    // Memory may exceed the caps only by the kernels' static data and page rounding.
    const bound = caps.maxWeightBytes + caps.maxArenaBytes + 65536 + 4096;
    if (info.wasmMemoryBytes > bound) problem = `wasm memory ${info.wasmMemoryBytes} over ${bound}`;
    if (info.weightBytes + info.arenaBytes + 65536 + 4096 < info.wasmMemoryBytes) problem = `memory accounting off: ${JSON.stringify(info)}`;
    if (frozen() !== before) problem = 'a kernel wrote into the static data or weights region';
    model.dispose();
    return { kind: 'loaded', ms: performance.now() - t0, memoryBytes, problem };
  } catch (e) {
    const ms = performance.now() - t0;
    // Format errors at load; input errors when a loaded model's normalisation makes the test input non-finite.
    if (e instanceof BxnFormatError || e instanceof BxnInputError) return { kind: 'typed', code: e.code, ms, memoryBytes };
    // A kernel trap is wrapped by run() (kernel_trap); a raw RuntimeError would be a runtime bug too.
    if (e instanceof WebAssembly.RuntimeError || (e instanceof BxnRuntimeError && e.code === 'kernel_trap'))
      return { kind: 'trap', ms, memoryBytes, error: e };
    return { kind: 'other', ms, memoryBytes, error: e };
  }
}

/**
 * A structure-aware mutant: one layer attribute or input dimension changed in the model
 * spec, then written with valid checksums. Stride, padding and H/W changes keep most
 * weight counts valid, so many of these load and drive the kernels through new geometry.
 */
export function mutateSpec(rng: Rng, spec: BxnModelInput): BxnModelInput {
  const layers = spec.layers.map((l) => ({ ...l }));
  const metadata = { ...spec.metadata, inputShape: [...spec.metadata.inputShape] as [number, number, number] };
  const pickValue = () => rng.pick([0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 33, 64, 65, 255, 1000, 65535, 65536]);
  if (rng() < 0.3) {
    metadata.inputShape[rng.int(0, 2)] = rng() < 0.7 ? rng.int(1, 40) : pickValue();
  } else {
    const layer = layers[rng.int(0, layers.length - 1)];
    switch (rng.int(0, 5)) {
      case 0: layer.stride = rng.int(0, 5); break;
      case 1: layer.padding = layer.padding === 'same' ? 'valid' : 'same'; break;
      case 2: layer.kh = pickValue(); break;
      case 3: layer.kw = pickValue(); break;
      case 4: layer.outChannels = rng() < 0.5 ? pickValue() : (layer.outChannels ?? 0) + rng.int(-2, 2); break;
      default: layer.op = rng.pick(ALL_OPS);
    }
  }
  return { ...spec, metadata, layers };
}
