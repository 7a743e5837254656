// Float activations ⇄ sign bits, channels-last.
// Bit order: channel c of a pixel is bit (c & 31) of word (c >> 5), LSB first.
// bit = 1 ⇔ x < 0 ⇔ value −1; bit = 0 ⇔ value +1 (so sign(0) = +1, NaN → +1).
// Padding bits above C in the last word are always written as 0.
import { wordsFor } from "./common";

/** Reference: one channel at a time. */
export function packSignsReference(src: usize, dst: usize, pixels: i32, c: i32): void {
  const cw = wordsFor(c);
  for (let p = 0; p < pixels; p++) {
    for (let w = 0; w < cw; w++) {
      let word: u32 = 0;
      for (let j = 0; j < 32; j++) {
        const ch = (w << 5) + j;
        if (ch < c && load<f32>(src + ((<usize>p * c + ch) << 2)) < 0) word |= <u32>1 << j;
      }
      store<u32>(dst + ((<usize>p * cw + w) << 2), word);
    }
  }
}

/** bit = (x·scale[c] + shift[c]) < 0 — a batch norm (or any affine map) folded into the sign. */
export function packSignsAffineReference(src: usize, dst: usize, pixels: i32, c: i32, scale: usize, shift: usize): void {
  const cw = wordsFor(c);
  for (let p = 0; p < pixels; p++) {
    for (let w = 0; w < cw; w++) {
      let word: u32 = 0;
      for (let j = 0; j < 32; j++) {
        const ch = (w << 5) + j;
        if (ch >= c) break;
        const x = load<f32>(src + ((<usize>p * c + ch) << 2));
        if (x * load<f32>(scale + (<usize>ch << 2)) + load<f32>(shift + (<usize>ch << 2)) < 0) word |= <u32>1 << j;
      }
      store<u32>(dst + ((<usize>p * cw + w) << 2), word);
    }
  }
}

export function unpackSigns(src: usize, dst: usize, pixels: i32, c: i32): void {
  const cw = wordsFor(c);
  for (let p = 0; p < pixels; p++) {
    for (let ch = 0; ch < c; ch++) {
      const word = load<u32>(src + ((<usize>p * cw + (ch >> 5)) << 2));
      store<f32>(dst + ((<usize>p * c + ch) << 2), (word >> (ch & 31)) & 1 ? -1.0 : 1.0);
    }
  }
}

// Four channels per step: the sign bits of an f32x4 are exactly the packed bits
// (x < 0 compare, then bitmask), so a word takes eight compares.
export function packSigns(src: usize, dst: usize, pixels: i32, c: i32): void {
  if (!ASC_FEATURE_SIMD) { packSignsReference(src, dst, pixels, c); return; }
  const cw = wordsFor(c);
  const zero = f32x4.splat(0);
  for (let p = 0; p < pixels; p++) {
    const row = src + (<usize>p * c << 2);
    const out = dst + (<usize>p * cw << 2);
    let ch = 0;
    for (let w = 0; w < cw; w++) {
      let word: u32 = 0;
      let j = 0;
      for (; j < 32 && ch + 4 <= c; j += 4, ch += 4) {
        word |= <u32>i32x4.bitmask(f32x4.lt(v128.load(row + (<usize>ch << 2)), zero)) << j;
      }
      for (; j < 32 && ch < c; j++, ch++) {
        if (load<f32>(row + (<usize>ch << 2)) < 0) word |= <u32>1 << j;
      }
      store<u32>(out + (<usize>w << 2), word);
    }
  }
}

export function packSignsAffine(src: usize, dst: usize, pixels: i32, c: i32, scale: usize, shift: usize): void {
  if (!ASC_FEATURE_SIMD) { packSignsAffineReference(src, dst, pixels, c, scale, shift); return; }
  const cw = wordsFor(c);
  const zero = f32x4.splat(0);
  for (let p = 0; p < pixels; p++) {
    const row = src + (<usize>p * c << 2);
    const out = dst + (<usize>p * cw << 2);
    let ch = 0;
    for (let w = 0; w < cw; w++) {
      let word: u32 = 0;
      let j = 0;
      for (; j < 32 && ch + 4 <= c; j += 4, ch += 4) {
        const o = <usize>ch << 2;
        const y = f32x4.add(f32x4.mul(v128.load(row + o), v128.load(scale + o)), v128.load(shift + o));
        word |= <u32>i32x4.bitmask(f32x4.lt(y, zero)) << j;
      }
      for (; j < 32 && ch < c; j++, ch++) {
        const o = <usize>ch << 2;
        if (load<f32>(row + o) * load<f32>(scale + o) + load<f32>(shift + o) < 0) word |= <u32>1 << j;
      }
      store<u32>(out + (<usize>w << 2), word);
    }
  }
}
