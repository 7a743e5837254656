/**
 * Tensor layouts shared by the reader, writer, runtime, exporter and tests: TF padding
 * geometry, the packings the kernels read, half floats and int8 (ARCHITECTURE.md,
 * assembly/EXPORTS.md). Bit = 1 means −1, channel c is bit c % 32 of word c >> 5, padding bits 0.
 */

export type Padding = 'same' | 'valid';

export interface AxisGeometry { out: number; padBefore: number; padAfter: number }

export interface ConvGeometry {
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/** TensorFlow padding along one axis; null when the window does not fit ('valid' with k > size). */
export function axisGeometry(size: number, k: number, stride: number, padding: Padding): AxisGeometry | null {
  if (padding === 'valid') {
    if (k > size) return null;
    return { out: Math.floor((size - k) / stride) + 1, padBefore: 0, padAfter: 0 };
  }
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  const padBefore = Math.floor(total / 2);
  return { out, padBefore, padAfter: total - padBefore };
}

/** Both axes; throws RangeError when a 'valid' window does not fit (callers with untrusted sizes use axisGeometry). */
export function convGeometry(h: number, w: number, kh: number, kw: number, stride: number, padding: Padding): ConvGeometry {
  const y = axisGeometry(h, kh, stride, padding), x = axisGeometry(w, kw, stride, padding);
  if (!y || !x) throw new RangeError(`a ${kh}×${kw} valid window does not fit a ${h}×${w} input`);
  return { outH: y.out, outW: x.out, padTop: y.padBefore, padLeft: x.padBefore, padBottom: y.padAfter, padRight: x.padAfter };
}

export const wordsFor = (bits: number): number => (bits + 31) >>> 5;
export const roundUp = (x: number, m: number): number => Math.ceil(x / m) * m;
export const align16 = (n: number): number => Math.ceil(n / 16) * 16;
/** Words in one binary filter: kh·kw·Cw rounded up to a v128 (4 words). */
export const patchWords = (c: number, kh: number, kw: number): number => roundUp(kh * kw * wordsFor(c), 4);

/** Float activations [pixels, C] → sign bits [pixels, Cw] (bit = 1 ⇔ x < 0). */
export function packSigns(x: ArrayLike<number>, pixels: number, c: number): Uint32Array {
  const cw = wordsFor(c);
  const out = new Uint32Array(pixels * cw);
  for (let p = 0; p < pixels; p++) {
    for (let ch = 0; ch < c; ch++) {
      if (x[p * c + ch] < 0) out[p * cw + (ch >>> 5)] |= 1 << (ch & 31);
    }
  }
  return out;
}

/**
 * Binary filters for bconv2d. `w` is in tfjs order [kh, kw, C, Cout]; a weight
 * is −1 (bit 1) where `w < 0` — pass a DABN mask as ±1 values. Result: [Cout, Kpad] words.
 */
export function packBinaryFilters(w: ArrayLike<number>, kh: number, kw: number, c: number, cout: number): Uint32Array {
  const cw = wordsFor(c);
  const kpad = patchWords(c, kh, kw);
  const out = new Uint32Array(cout * kpad);
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      for (let ch = 0; ch < c; ch++) {
        const word = (ky * kw + kx) * cw + (ch >>> 5);
        for (let o = 0; o < cout; o++) {
          if (w[((ky * kw + kx) * c + ch) * cout + o] < 0) out[o * kpad + word] |= 1 << (ch & 31);
        }
      }
    }
  }
  return out;
}

/** Bytes of one xbconv2d filter: kh·kw taps of D/8 bytes, rounded up to a v128 (FORMAT.md §10). */
export const xbconvFilterBytes = (d: number, kh: number, kw: number): number => roundUp(kh * kw * (d >>> 3), 16);

/**
 * Binary filters for xbconv2d from compact weights in tfjs order [kh, kw, D, Cout]
 * (input k of each output = the k-th channel of its block, FORMAT.md §10): filter o is
 * its taps' D/8 bytes, bit k & 7 of byte k >> 3 set where the weight is −1 (w < 0).
 * Result: [Cout, Kx] bytes, zero padding.
 */
export function packXBinaryFilters(w: ArrayLike<number>, kh: number, kw: number, d: number, cout: number): Uint8Array {
  if (d % 8 !== 0) throw new RangeError(`packXBinaryFilters: D ${d} is not a multiple of 8`);
  const kx = xbconvFilterBytes(d, kh, kw);
  const out = new Uint8Array(cout * kx);
  for (let t = 0; t < kh * kw; t++) {
    for (let k = 0; k < d; k++) {
      const bit = t * d + k;
      for (let o = 0; o < cout; o++) if (w[bit * cout + o] < 0) out[o * kx + (bit >>> 3)] |= 1 << (bit & 7);
    }
  }
  return out;
}

/**
 * Binary weights for float inputs on an X graph (xconv2dBinaryWeights): `w` compact
 * [kh, kw, D, Cout] → bytes [ceil(Cout/8), kh·kw·D] (one byte per row of a block of 8
 * outputs, bit o & 7 set where output o's weight is the lower level, w < 0), zero to a whole word.
 */
export function packXBinaryWeightsByBlock(w: ArrayLike<number>, kh: number, kw: number, d: number, cout: number): Uint8Array {
  const rows = kh * kw * d;
  const out = new Uint8Array(roundUp(Math.ceil(cout / 8) * rows, 4));
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < cout; o++) if (w[r * cout + o] < 0) out[(o >>> 3) * rows + r] |= 1 << (o & 7);
  }
  return out;
}

/**
 * Binary weights for float inputs (conv2dBinaryWeights): [kh, kw, C, ceil(Cout/32)]
 * words, bit o set where the weight of output o is the lower level (w < 0).
 */
export function packBinaryWeightsByOutput(w: ArrayLike<number>, kh: number, kw: number, c: number, cout: number): Uint32Array {
  const ow = wordsFor(cout);
  const k = kh * kw * c;
  const out = new Uint32Array(k * ow);
  for (let i = 0; i < k; i++) {
    for (let o = 0; o < cout; o++) if (w[i * cout + o] < 0) out[i * ow + (o >>> 5)] |= 1 << (o & 31);
  }
  return out;
}

/**
 * Float filters for conv2d / dense: `w` in tfjs order [rows, Cout] (rows = kh·kw·C,
 * or K for dense) → panels of 8 output channels [ceil(Cout/8), rows, 8], zero-padded.
 */
export function packFloatFilters(w: ArrayLike<number>, rows: number, cout: number): Float32Array {
  const out = new Float32Array(roundUp(cout, 8) * rows);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < cout; o++) out[((o >>> 3) * rows + r) * 8 + (o & 7)] = w[r * cout + o];
  }
  return out;
}

/** Unpack words to ±1 floats. */
export function unpackSignsF32(bits: Uint32Array, pixels: number, channels: number): Float32Array {
  const cw = wordsFor(channels);
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
