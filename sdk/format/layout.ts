/**
 * Shapes, padding geometry and packing helpers shared by the writer, the reader,
 * the runtime and the exporter. Conventions: ARCHITECTURE.md (bit = 1 means −1,
 * channel c is bit c % 32 of word c >> 5, padding bits 0, TF padding geometry).
 */
import { packBinaryFilters, packBinaryWeightsByOutput, packFloatFilters, packSigns, patchWords, roundUp, wordsFor, type Padding } from '../layout.js';

// The kernel-facing packers live in ../layout.ts (shared with the kernel tests and
// benchmarks); re-exported here so format users have one import.
export { packBinaryFilters, packBinaryWeightsByOutput, packFloatFilters, packSigns, roundUp };

export const words = wordsFor;
export const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** Words in one binary conv filter: kh·kw·Cw rounded up to one v128 (4 words). */
export const bconvKpad = (kh: number, kw: number, channels: number): number => patchWords(channels, kh, kw);

export interface Geometry { out: number; padBefore: number }

/** TensorFlow padding along one axis; null when the window does not fit ('valid' with k > in). */
export function axisGeometry(inSize: number, k: number, stride: number, padding: Padding): Geometry | null {
  if (padding === 'valid') {
    if (k > inSize) return null;
    return { out: Math.floor((inSize - k) / stride) + 1, padBefore: 0 };
  }
  const out = Math.ceil(inSize / stride);
  const padTotal = Math.max((out - 1) * stride + k - inSize, 0);
  return { out, padBefore: Math.floor(padTotal / 2) };
}

/** Unpack words to ±1 floats. */
export function unpackSignsF32(bits: Uint32Array, pixels: number, channels: number): Float32Array {
  const cw = words(channels);
  const out = new Float32Array(pixels * channels);
  for (let p = 0; p < pixels; p++)
    for (let c = 0; c < channels; c++) out[p * channels + c] = (bits[p * cw + (c >>> 5)] >>> (c & 31)) & 1 ? -1 : 1;
  return out;
}

/** Output channels per panel of float conv / dense weights. */
export const PANEL = 8;

/** Index of a panel-layout element given its output channel and row (ky, kx, c flattened). */
export const panelIndex = (o: number, row: number, rows: number): number => (Math.floor(o / PANEL) * rows + row) * PANEL + (o % PANEL);

/**
 * Which int8 scale element i uses. lanes = 0: channels innermost (i % channels).
 * lanes > 0: panels [channels/lanes, rows, lanes], rows = count / channels.
 */
export function int8ScaleIndex(i: number, count: number, channels: number, lanes: number): number {
  if (lanes === 0) return i % channels;
  const rows = count / channels;
  return Math.floor(i / (rows * lanes)) * lanes + (i % lanes);
}

// ---- half floats (IEEE 754 binary16), round to nearest even ----

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

export function f32ToF16(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // may carry into the exponent: still correct
  return sign | half;
}

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Symmetric int8 per channel: value = q · scale[int8ScaleIndex(i)]. */
export function quantizeInt8(values: ArrayLike<number>, channels: number, lanes = 0): { q: Int8Array; scales: Float32Array } {
  const n = values.length;
  const scales = new Float32Array(channels);
  for (let i = 0; i < n; i++) {
    const c = int8ScaleIndex(i, n, channels, lanes);
    scales[c] = Math.max(scales[c], Math.abs(values[i]));
  }
  for (let c = 0; c < channels; c++) scales[c] = scales[c] > 0 ? scales[c] / 127 : 1;
  const q = new Int8Array(n);
  for (let i = 0; i < n; i++) q[i] = Math.max(-127, Math.min(127, Math.round(values[i] / scales[int8ScaleIndex(i, n, channels, lanes)])));
  return { q, scales };
}
