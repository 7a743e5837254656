// Tensor layouts shared by the exporter, the runtime and the tests: TF padding
// geometry and the packings the kernels read (ARCHITECTURE.md, assembly/EXPORTS.md).

export type Padding = 'same' | 'valid';

export interface ConvGeometry {
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/** TensorFlow's output size and padding for one spatial axis. */
function axisGeometry(size: number, k: number, stride: number, padding: Padding): [number, number, number] {
  if (padding === 'valid') return [Math.floor((size - k) / stride) + 1, 0, 0];
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  const before = Math.floor(total / 2);
  return [out, before, total - before];
}

export function convGeometry(h: number, w: number, kh: number, kw: number, stride: number, padding: Padding): ConvGeometry {
  const [outH, padTop, padBottom] = axisGeometry(h, kh, stride, padding);
  const [outW, padLeft, padRight] = axisGeometry(w, kw, stride, padding);
  return { outH, outW, padTop, padLeft, padBottom, padRight };
}

export const wordsFor = (bits: number): number => (bits + 31) >>> 5;
export const roundUp = (x: number, m: number): number => Math.ceil(x / m) * m;
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
