// Pooling, channels-last. Padded cells are ignored (TensorFlow semantics): max
// over the real cells, average divided by the count of real cells.
// Bit-packed max pool: max of ±1 values is +1 unless every cell is −1, and
// −1 is bit 1, so it is the AND of the words (padding bits stay 0); the flip
// variant pools chosen channels by OR (min of ±1).
import { wordsFor } from "./common";

/** Debug-build checks: every window must hold at least one real cell. */
// @ts-ignore: decorator
@inline function assertPoolArgs(h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32): void {
  assert(h > 0 && w > 0 && c > 0 && kh > 0 && kw > 0 && stride > 0 && outH > 0 && outW > 0, "pool: sizes");
  assert(padTop >= 0 && padTop < kh && padLeft >= 0 && padLeft < kw, "pool: padding");
  assert((outH - 1) * stride - padTop < h && (outW - 1) * stride - padLeft < w, "pool: window past the input");
}

// @ts-ignore: decorator
@inline function clampLo(v: i32): i32 { return v < 0 ? 0 : v; }

export function maxPool2dReference(input: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, output: usize): void {
  for (let oy = 0; oy < outH; oy++) {
    const y0 = clampLo(oy * stride - padTop), y1 = min(h, oy * stride - padTop + kh);
    for (let ox = 0; ox < outW; ox++) {
      const x0 = clampLo(ox * stride - padLeft), x1 = min(w, ox * stride - padLeft + kw);
      for (let ch = 0; ch < c; ch++) {
        let m: f32 = -Infinity;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) m = max<f32>(m, load<f32>(input + ((<usize>(iy * w + ix) * c + ch) << 2)));
        }
        store<f32>(output + ((<usize>(oy * outW + ox) * c + ch) << 2), m);
      }
    }
  }
}

export function maxPool2d(input: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, output: usize): void {
  assertPoolArgs(h, w, c, kh, kw, stride, padTop, padLeft, outH, outW);
  if (!ASC_FEATURE_SIMD) { maxPool2dReference(input, h, w, c, kh, kw, stride, padTop, padLeft, outH, outW, output); return; }
  for (let oy = 0; oy < outH; oy++) {
    const y0 = clampLo(oy * stride - padTop), y1 = min(h, oy * stride - padTop + kh);
    for (let ox = 0; ox < outW; ox++) {
      const x0 = clampLo(ox * stride - padLeft), x1 = min(w, ox * stride - padLeft + kw);
      const out = output + (<usize>(oy * outW + ox) * c << 2);
      let ch = 0;
      for (; ch + 4 <= c; ch += 4) {
        let m = f32x4.splat(-Infinity);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) m = f32x4.max(m, v128.load(input + ((<usize>(iy * w + ix) * c + ch) << 2)));
        }
        v128.store(out + (<usize>ch << 2), m);
      }
      for (; ch < c; ch++) {
        let m: f32 = -Infinity;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) m = max<f32>(m, load<f32>(input + ((<usize>(iy * w + ix) * c + ch) << 2)));
        }
        store<f32>(out + (<usize>ch << 2), m);
      }
    }
  }
}

export function maxPool2dBitsReference(input: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, output: usize): void {
  maxPoolBitsDirect(input, h, w, c, kh, kw, stride, padTop, padLeft, outH, outW, 0, output);
}

export function maxPool2dBits(input: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, output: usize): void {
  assertPoolArgs(h, w, c, kh, kw, stride, padTop, padLeft, outH, outW);
  if (!ASC_FEATURE_SIMD) { maxPoolBitsDirect(input, h, w, c, kh, kw, stride, padTop, padLeft, outH, outW, 0, output); return; }
  maxPoolBitsVectors(input, h, w, c, kh, kw, stride, padTop, padLeft, outH, outW, 0, output);
}

// Bit-packed max pool with a per-channel flip, for bits that are the signs of a
// decreasing function of the pooled value (a batch norm with a negative scale after
// the pool, folded into the conv before it): sign(s·max y + t) with s < 0 is the min
// of the signs, so those channels pool by OR. flip: [ceil(C/32)] words, bit 1 = OR;
// out = AND(x ^ flip) ^ flip, which is AND where flip is 0 and OR where it is 1.
export function maxPool2dBitsFlipReference(input: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, flip: usize, output: usize): void {
  maxPoolBitsDirect(input, h, w, c, kh, kw, stride, padTop, padLeft, outH, outW, flip, output);
}

export function maxPool2dBitsFlip(input: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, flip: usize, output: usize): void {
  assertPoolArgs(h, w, c, kh, kw, stride, padTop, padLeft, outH, outW);
  assert(flip != 0, "maxPool2dBitsFlip: flip");
  if (!ASC_FEATURE_SIMD) { maxPoolBitsDirect(input, h, w, c, kh, kw, stride, padTop, padLeft, outH, outW, flip, output); return; }
  maxPoolBitsVectors(input, h, w, c, kh, kw, stride, padTop, padLeft, outH, outW, flip, output);
}

/** The plain loops; flip = 0: no flip (maxPool2dBits). One function both pools call, not inlined twice. */
function maxPoolBitsDirect(input: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, flip: usize, output: usize): void {
  const cw = wordsFor(c);
  for (let oy = 0; oy < outH; oy++) {
    const y0 = clampLo(oy * stride - padTop), y1 = min(h, oy * stride - padTop + kh);
    for (let ox = 0; ox < outW; ox++) {
      const x0 = clampLo(ox * stride - padLeft), x1 = min(w, ox * stride - padLeft + kw);
      for (let j = 0; j < cw; j++) {
        const f: u32 = flip ? load<u32>(flip + (<usize>j << 2)) : 0;
        let m: u32 = 0xffffffff;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) m &= load<u32>(input + ((<usize>(iy * w + ix) * cw + j) << 2)) ^ f;
        }
        store<u32>(output + ((<usize>(oy * outW + ox) * cw + j) << 2), m ^ f);
      }
    }
  }
}

/** Four words at a time, the rest one by one; flip = 0: no flip. One function both pools call. */
function maxPoolBitsVectors(input: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, flip: usize, output: usize): void {
  const cw = wordsFor(c);
  for (let oy = 0; oy < outH; oy++) {
    const y0 = clampLo(oy * stride - padTop), y1 = min(h, oy * stride - padTop + kh);
    for (let ox = 0; ox < outW; ox++) {
      const x0 = clampLo(ox * stride - padLeft), x1 = min(w, ox * stride - padLeft + kw);
      const out = output + (<usize>(oy * outW + ox) * cw << 2);
      let j = 0;
      for (; j + 4 <= cw; j += 4) {
        const f = flip ? v128.load(flip + (<usize>j << 2)) : i32x4.splat(0);
        let m = i32x4.splat(-1);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) m = v128.and(m, v128.xor(v128.load(input + ((<usize>(iy * w + ix) * cw + j) << 2)), f));
        }
        v128.store(out + (<usize>j << 2), v128.xor(m, f));
      }
      for (; j < cw; j++) {
        const f: u32 = flip ? load<u32>(flip + (<usize>j << 2)) : 0;
        let m: u32 = 0xffffffff;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) m &= load<u32>(input + ((<usize>(iy * w + ix) * cw + j) << 2)) ^ f;
        }
        store<u32>(out + (<usize>j << 2), m ^ f);
      }
    }
  }
}

export function avgPool2dReference(input: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, output: usize): void {
  for (let oy = 0; oy < outH; oy++) {
    const y0 = clampLo(oy * stride - padTop), y1 = min(h, oy * stride - padTop + kh);
    for (let ox = 0; ox < outW; ox++) {
      const x0 = clampLo(ox * stride - padLeft), x1 = min(w, ox * stride - padLeft + kw);
      const count = <f32>((y1 - y0) * (x1 - x0));
      for (let ch = 0; ch < c; ch++) {
        let s: f32 = 0;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) s += load<f32>(input + ((<usize>(iy * w + ix) * c + ch) << 2));
        }
        store<f32>(output + ((<usize>(oy * outW + ox) * c + ch) << 2), s / count);
      }
    }
  }
}

export function avgPool2d(input: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, output: usize): void {
  assertPoolArgs(h, w, c, kh, kw, stride, padTop, padLeft, outH, outW);
  if (!ASC_FEATURE_SIMD) { avgPool2dReference(input, h, w, c, kh, kw, stride, padTop, padLeft, outH, outW, output); return; }
  for (let oy = 0; oy < outH; oy++) {
    const y0 = clampLo(oy * stride - padTop), y1 = min(h, oy * stride - padTop + kh);
    for (let ox = 0; ox < outW; ox++) {
      const x0 = clampLo(ox * stride - padLeft), x1 = min(w, ox * stride - padLeft + kw);
      const count = <f32>((y1 - y0) * (x1 - x0));
      const out = output + (<usize>(oy * outW + ox) * c << 2);
      let ch = 0;
      for (; ch + 4 <= c; ch += 4) {
        let s = f32x4.splat(0);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) s = f32x4.add(s, v128.load(input + ((<usize>(iy * w + ix) * c + ch) << 2)));
        }
        v128.store(out + (<usize>ch << 2), f32x4.div(s, f32x4.splat(count)));
      }
      for (; ch < c; ch++) {
        let s: f32 = 0;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) s += load<f32>(input + ((<usize>(iy * w + ix) * c + ch) << 2));
        }
        store<f32>(out + (<usize>ch << 2), s / count);
      }
    }
  }
}

/** Mean over all pixels per channel: [pixels, C] → [C]. */
export function globalAvgPool(input: usize, pixels: i32, c: i32, output: usize): void {
  avgPool2d(input, 1, pixels, c, 1, pixels, 1, 0, 0, 1, 1, output);
}

export function globalAvgPoolReference(input: usize, pixels: i32, c: i32, output: usize): void {
  avgPool2dReference(input, 1, pixels, c, 1, pixels, 1, 0, 0, 1, 1, output);
}
