// Float convolution (first layers, hybrid layers): NHWC input; weights packed
// in panels of 8 output channels, [ceil(Cout/8), kh, kw, C, 8] (zero columns
// above Cout), so a panel is contiguous and stays in cache while it sweeps
// every output pixel.
// Zero padding: the input is first copied into a padded window in scratch
// (skipped when no padding is needed), so the inner loops never bounds-check.
// For fixed (oy, ky) the kw·C inputs under a filter row are contiguous in that
// window, and so are the filter's weights: the kernel is a GEMM over them.
import { roundUp, storeF32Lanes, loadF32Lanes, wordsFor } from "./common";
import { transform1, transform4, relu1, relu4, FLAG_RELU, FLAG_BITS_OUT } from "./transform";

// ---------------------------------------------------------------------------
// Reference: direct loops with bounds checks.

export function conv2dReference(input: usize, h: i32, w: i32, c: i32, weights: usize, bias: usize, cout: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  flags: i32, output: usize, scratch: usize): void {
  conv2dDirect<f32>(input, h, w, c, weights, 0, bias, cout, kh, kw, stride, padTop, padLeft, outH, outW, flags, output);
}

/** The reference loops for f32 weights (W = f32) or int8 weights and scales (W = i8: y = bias + scale·Σ x·q). */
// @ts-ignore: decorator
@inline function conv2dDirect<W>(input: usize, h: i32, w: i32, c: i32, weights: usize, scales: usize, bias: usize, cout: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32, flags: i32, output: usize): void {
  const q = sizeof<W>() == 1;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let o = 0; o < cout; o++) {
        let acc: f32 = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * stride - padTop + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * stride - padLeft + kx;
            if (ix < 0 || ix >= w) continue;
            for (let ch = 0; ch < c; ch++) {
              const at = <usize>((o >> 3) * kh * kw * c + (ky * kw + kx) * c + ch) * 8 + <usize>(o & 7);
              acc += load<f32>(input + ((<usize>(iy * w + ix) * c + ch) << 2)) * (q ? <f32>load<i8>(weights + at) : load<f32>(weights + (at << 2)));
            }
          }
        }
        if (q) acc *= load<f32>(scales + (<usize>o << 2));
        acc += load<f32>(bias + (<usize>o << 2));
        if (flags & FLAG_BITS_OUT) {
          // bit = y < 0, channel o of the pixel's ceil(cout/32) words (zeroed at o % 32 == 0).
          const word = output + ((<usize>(oy * outW + ox) * wordsFor(cout) + (o >> 5)) << 2);
          const bits: u32 = (o & 31) == 0 ? 0 : load<u32>(word);
          store<u32>(word, acc < 0 ? bits | (<u32>1 << (o & 31)) : bits);
          continue;
        }
        store<f32>(output + ((<usize>(oy * outW + ox) * cout + o) << 2), flags & FLAG_RELU ? max<f32>(acc, 0) : acc);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Padded window shared by the float convolutions.

/** Rows and columns of input a conv reads, padding included. */
// @ts-ignore: decorator
@inline function windowRows(kh: i32, stride: i32, outH: i32): i32 { return (outH - 1) * stride + kh; }

/** True when the window reaches padding (or past the input), so the input must be copied into a zero-padded window first. */
// @ts-ignore: decorator
@inline export function needsPadding(h: i32, w: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32): bool {
  return padTop != 0 || padLeft != 0 || windowRows(kh, stride, outH) > h || windowRows(kw, stride, outW) > w;
}

export function paddedWindowBytes(c: i32, kh: i32, kw: i32, stride: i32, outH: i32, outW: i32): i32 {
  return windowRows(kh, stride, outH) * windowRows(kw, stride, outW) * c * 4;
}

/** Copies input into a zero-padded [Hp, Wp, C] window; returns its row stride in floats. */
export function padWindow(input: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, window: usize): i32 {
  const hp = windowRows(kh, stride, outH), wp = windowRows(kw, stride, outW);
  const rowBytes = <usize>wp * c << 2;
  for (let yy = 0; yy < hp; yy++) {
    const dst = window + <usize>yy * rowBytes;
    const iy = yy - padTop;
    if (iy < 0 || iy >= h) { memory.fill(dst, 0, rowBytes); continue; }
    const x0 = max(0, padLeft), x1 = min(wp, w + padLeft); // window columns with real input
    if (x0 > 0) memory.fill(dst, 0, <usize>x0 * c << 2);
    if (x1 > x0) memory.copy(dst + (<usize>x0 * c << 2), input + (<usize>(iy * w + x0 - padLeft) * c << 2), <usize>(x1 - x0) * c << 2);
    if (x1 < wp) memory.fill(dst + (<usize>max(x1, x0) * c << 2), 0, <usize>(wp - max(x1, x0)) * c << 2);
  }
  return wp * c;
}

export function conv2dScratchBytes(c: i32, kh: i32, kw: i32, stride: i32, outH: i32, outW: i32, cout: i32): i32 {
  return paddedWindowBytes(c, kh, kw, stride, outH, outW);
}

// ---------------------------------------------------------------------------
// Optimized: 4 output pixels × 8 output channels per tile (8 f32x4 accumulators).

// @ts-ignore: decorator
@inline function storeTile(out: usize, acc0: v128, acc1: v128, n: i32, relu: bool): void {
  if (relu) { acc0 = f32x4.max(acc0, f32x4.splat(0)); acc1 = f32x4.max(acc1, f32x4.splat(0)); }
  if (n >= 8) { v128.store(out, acc0); v128.store(out, acc1, 16); return; }
  if (n >= 4) { v128.store(out, acc0); if (n > 4) storeF32Lanes(out + 16, acc1, n - 4); return; }
  storeF32Lanes(out, acc0, n);
}

/** Pixels per block when every panel fits in L1. */
const PIXEL_BLOCK = 16;

/**
 * The sign bits (y < 0) of 8 channels as one byte, masked to the panel's real channels:
 * lanes past Cout may hold nonzero weights (FORMAT.md only asks them to be zero), and an
 * activation's padding bits must be 0.
 */
// @ts-ignore: decorator
@inline function signByte(acc0: v128, acc1: v128, mask: i32): u8 {
  const zero = f32x4.splat(0);
  return <u8>((i32x4.bitmask(f32x4.lt(acc0, zero)) | (i32x4.bitmask(f32x4.lt(acc1, zero)) << 4)) & mask);
}

export function conv2d(input: usize, h: i32, w: i32, c: i32, weights: usize, bias: usize, cout: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  flags: i32, output: usize, scratch: usize): void {
  assert(c > 0 && cout > 0 && kh > 0 && kw > 0 && stride > 0 && outH > 0 && outW > 0, "conv2d: sizes");
  if (!ASC_FEATURE_SIMD) { conv2dReference(input, h, w, c, weights, bias, cout, kh, kw, stride, padTop, padLeft, outH, outW, flags, output, scratch); return; }
  zeroBitPadding(output, cout, outH * outW, flags);
  conv2dPanelsF32(input, h, w, c, weights, bias, 0, cout, cout, kh, kw, stride, padTop, padLeft, outH, outW, flags, output, scratch);
}

/**
 * The f32 instance of conv2dPanels, not inlined: conv2d, conv2dBinaryWeights and xconv2d
 * share one copy of the tiled loop (each inlined copy cost ~1.8 KB of shipped wasm).
 */
export function conv2dPanelsF32(input: usize, h: i32, w: i32, c: i32, weights: usize, bias: usize,
  coBegin: i32, coEnd: i32, outC: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  flags: i32, output: usize, scratch: usize): void {
  conv2dPanels<f32>(input, h, w, c, weights, 0, bias, coBegin, coEnd, outC, kh, kw, stride, padTop, padLeft, outH, outW, flags, output, scratch);
}

/**
 * Bit outputs (flag 2): each panel of 8 channels writes one byte of the pixel's words;
 * the bytes past the last panel are padding and must be zero, so they are cleared first.
 */
// @ts-ignore: decorator
@inline export function zeroBitPadding(output: usize, cout: i32, pixels: i32, flags: i32): void {
  const pixelBytes: usize = <usize>wordsFor(cout) << 2;
  if ((flags & FLAG_BITS_OUT) != 0 && <usize>(roundUp(cout, 8) >> 3) < pixelBytes) memory.fill(output, 0, <usize>pixels * pixelBytes);
}

/**
 * The tiled conv over panels of 8 output channels, for f32 weights (W = f32) or int8
 * weights with per-channel scales (W = i8: each panel row of 8 bytes is widened to
 * two f32x4 in registers, y = bias + scale·Σx·q). One source, so both get the same tiling.
 * Computes output channels [coBegin, coEnd) (coBegin a multiple of 8) of an output with
 * `outC` channels per pixel, from the panels at `weights` (the first is channel coBegin's;
 * bias and scales are indexed by channel): X-convs run it once per output block on
 * gathered inputs, conv2dBinaryWeights once per decoded panel.
 * The caller zeroes bit-output padding (zeroBitPadding).
 */
// @ts-ignore: decorator
@inline export function conv2dPanels<W>(input: usize, h: i32, w: i32, c: i32, weights: usize, scales: usize, bias: usize,
  coBegin: i32, coEnd: i32, outC: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  flags: i32, output: usize, scratch: usize): void {
  const q = sizeof<W>() == 1;
  const rowBytes: usize = 8 * sizeof<W>(); // one panel row: 8 output channels' weights
  let win = input;
  let rowStride = w * c;
  if (needsPadding(h, w, kh, kw, stride, padTop, padLeft, outH, outW)) {
    rowStride = padWindow(input, h, w, c, kh, kw, stride, padTop, padLeft, outH, outW, scratch);
    win = scratch;
  }
  const rowK = kw * c;                  // contiguous k per filter row
  const panelBytes = <usize>(kh * rowK) * rowBytes; // one panel: kh·kw·C rows of 8 weights
  const relu = (flags & FLAG_RELU) != 0;
  // Bit outputs (flag 2): each panel of 8 channels is one byte of the pixel's words; the
  // bytes past the last panel are padding and stay zero.
  const bitsOut = (flags & FLAG_BITS_OUT) != 0;
  const pixelBytes: usize = <usize>wordsFor(outC) << 2;
  // Loop order by working set: when every panel fits in L1 together (few input channels:
  // first layers), a block of 16 pixels meets all panels while its input rows are in L1;
  // otherwise each panel sweeps all pixels once (a panel stays in cache, the input streams).
  const pixels = outH * outW;
  // One panel (an X-Conv block) gains nothing from blocks, and pays their setup.
  const panels = (coEnd - coBegin + 7) >> 3;
  const block = panels > 1 && <usize>panels * panelBytes <= 24576 ? PIXEL_BLOCK : pixels;
  // Window addresses advance pixel by pixel (a division per pixel and panel cost a third
  // of a first layer's time): `rowStep` moves from the last pixel of a row to the next row.
  const colStep = <usize>(stride * c) << 2;
  const rowStep = (<usize>(stride * rowStride) << 2) - <usize>(outW - 1) * colStep;
  for (let pb = 0; pb < pixels; pb += block) {
  const pEnd = min(pixels, pb + block);
  const blockX = pb % outW, blockAt = windowAt(win, rowStride, stride, c, outW, pb);
  for (let co = coBegin; co < coEnd; co += 8) {
    const panel = weights + <usize>((co - coBegin) >> 3) * panelBytes;
    const n = min(8, coEnd - co);
    const byteMask = (1 << n) - 1; // bit outputs: this panel's real channels
    const b0 = n >= 4 ? v128.load(bias + (<usize>co << 2)) : loadF32Lanes(bias + (<usize>co << 2), n);
    const b1 = n >= 8 ? v128.load(bias + (<usize>co << 2), 16) : (n > 4 ? loadF32Lanes(bias + (<usize>(co + 4) << 2), n - 4) : f32x4.splat(0));
    // int8: accumulate Σx·q from zero, then scale and add the bias (scales has a whole panel).
    const s0 = q ? v128.load(scales + (<usize>co << 2)) : f32x4.splat(1), s1 = q ? v128.load(scales + (<usize>co << 2), 16) : s0;
    const i0 = q ? f32x4.splat(0) : b0, i1 = q ? f32x4.splat(0) : b1;
    // Tiles run over the flattened output pixels, so a row's leftover pixels
    // join the next row's tile (7×7 outputs: twelve full tiles and one single).
    let p = pb, ox = blockX, xa = blockAt;
    for (; p + 4 <= pEnd; p += 4) {
      const x0 = xa;
      if (++ox == outW) { ox = 0; xa += rowStep; } else xa += colStep;
      const x1 = xa;
      if (++ox == outW) { ox = 0; xa += rowStep; } else xa += colStep;
      const x2 = xa;
      if (++ox == outW) { ox = 0; xa += rowStep; } else xa += colStep;
      const x3 = xa;
      if (++ox == outW) { ox = 0; xa += rowStep; } else xa += colStep;
      let a00 = i0, a01 = i1, a10 = i0, a11 = i1, a20 = i0, a21 = i1, a30 = i0, a31 = i1;
      for (let ky = 0; ky < kh; ky++) {
        // Pointers advance with j (loop-carried), so the optimizer cannot
        // rematerialize the pixel address arithmetic inside the hot loop.
        const rowOff = <usize>(ky * rowStride) << 2;
        let r0 = x0 + rowOff, r1 = x1 + rowOff, r2 = x2 + rowOff, r3 = x3 + rowOff;
        let wp = panel + <usize>(ky * rowK) * rowBytes;
        const wEnd = wp + <usize>rowK * rowBytes;
        for (; wp < wEnd; wp += rowBytes, r0 += 4, r1 += 4, r2 += 4, r3 += 4) {
          let w0: v128, w1: v128;
          if (q) {
            const q16 = v128.load8x8_s(wp);
            w0 = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(q16));
            w1 = f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(q16));
          } else {
            w0 = v128.load(wp); w1 = v128.load(wp, 16);
          }
          const v0 = v128.load32_splat(r0), v1 = v128.load32_splat(r1);
          const v2 = v128.load32_splat(r2), v3 = v128.load32_splat(r3);
          a00 = f32x4.add(a00, f32x4.mul(v0, w0)); a01 = f32x4.add(a01, f32x4.mul(v0, w1));
          a10 = f32x4.add(a10, f32x4.mul(v1, w0)); a11 = f32x4.add(a11, f32x4.mul(v1, w1));
          a20 = f32x4.add(a20, f32x4.mul(v2, w0)); a21 = f32x4.add(a21, f32x4.mul(v2, w1));
          a30 = f32x4.add(a30, f32x4.mul(v3, w0)); a31 = f32x4.add(a31, f32x4.mul(v3, w1));
        }
      }
      if (q) {
        a00 = f32x4.add(f32x4.mul(a00, s0), b0); a01 = f32x4.add(f32x4.mul(a01, s1), b1);
        a10 = f32x4.add(f32x4.mul(a10, s0), b0); a11 = f32x4.add(f32x4.mul(a11, s1), b1);
        a20 = f32x4.add(f32x4.mul(a20, s0), b0); a21 = f32x4.add(f32x4.mul(a21, s1), b1);
        a30 = f32x4.add(f32x4.mul(a30, s0), b0); a31 = f32x4.add(f32x4.mul(a31, s1), b1);
      }
      if (bitsOut) {
        const out = output + <usize>p * pixelBytes + <usize>(co >> 3);
        store<u8>(out, signByte(a00, a01, byteMask));
        store<u8>(out + pixelBytes, signByte(a10, a11, byteMask));
        store<u8>(out + 2 * pixelBytes, signByte(a20, a21, byteMask));
        store<u8>(out + 3 * pixelBytes, signByte(a30, a31, byteMask));
        continue;
      }
      const out = output + ((<usize>p * outC + co) << 2);
      const ostep = <usize>outC << 2;
      storeTile(out, a00, a01, n, relu);
      storeTile(out + ostep, a10, a11, n, relu);
      storeTile(out + 2 * ostep, a20, a21, n, relu);
      storeTile(out + 3 * ostep, a30, a31, n, relu);
    }
    for (; p < pEnd; p++) {
      const x0 = xa;
      if (++ox == outW) { ox = 0; xa += rowStep; } else xa += colStep;
      let a0 = i0, a1 = i1;
      for (let ky = 0; ky < kh; ky++) {
        let r0 = x0 + (<usize>(ky * rowStride) << 2);
        let wp = panel + <usize>(ky * rowK) * rowBytes;
        const wEnd = wp + <usize>rowK * rowBytes;
        for (; wp < wEnd; wp += rowBytes, r0 += 4) {
          let w0: v128, w1: v128;
          if (q) {
            const q16 = v128.load8x8_s(wp);
            w0 = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(q16));
            w1 = f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(q16));
          } else {
            w0 = v128.load(wp); w1 = v128.load(wp, 16);
          }
          const v = v128.load32_splat(r0);
          a0 = f32x4.add(a0, f32x4.mul(v, w0));
          a1 = f32x4.add(a1, f32x4.mul(v, w1));
        }
      }
      if (q) { a0 = f32x4.add(f32x4.mul(a0, s0), b0); a1 = f32x4.add(f32x4.mul(a1, s1), b1); }
      if (bitsOut) { store<u8>(output + <usize>p * pixelBytes + <usize>(co >> 3), signByte(a0, a1, byteMask)); continue; }
      storeTile(output + ((<usize>p * outC + co) << 2), a0, a1, n, relu);
    }
  }
  }
}

// ---------------------------------------------------------------------------
// int8 weights read as stored: the same panels [ceil(Cout/8), kh, kw, C, 8] of
// int8 q with one f32 scale per panel column (roundUp(Cout, 8) scales), so memory
// holds a quarter of the f32 bytes. y = bias + scale[o]·Σ x·q (f32 arithmetic).

export function conv2dInt8Reference(input: usize, h: i32, w: i32, c: i32, weights: usize, scales: usize, bias: usize, cout: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  flags: i32, output: usize, scratch: usize): void {
  conv2dDirect<i8>(input, h, w, c, weights, scales, bias, cout, kh, kw, stride, padTop, padLeft, outH, outW, flags, output);
}

export function conv2dInt8(input: usize, h: i32, w: i32, c: i32, weights: usize, scales: usize, bias: usize, cout: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  flags: i32, output: usize, scratch: usize): void {
  assert(c > 0 && cout > 0 && kh > 0 && kw > 0 && stride > 0 && outH > 0 && outW > 0, "conv2dInt8: sizes");
  if (!ASC_FEATURE_SIMD) { conv2dInt8Reference(input, h, w, c, weights, scales, bias, cout, kh, kw, stride, padTop, padLeft, outH, outW, flags, output, scratch); return; }
  zeroBitPadding(output, cout, outH * outW, flags);
  conv2dPanels<i8>(input, h, w, c, weights, scales, bias, 0, cout, cout, kh, kw, stride, padTop, padLeft, outH, outW, flags, output, scratch);
}

/** Address of the top-left input cell under output pixel p (flattened), in the (padded) window. */
// @ts-ignore: decorator
@inline function windowAt(win: usize, rowStride: i32, stride: i32, c: i32, outW: i32, p: i32): usize {
  const oy = p / outW, ox = p - oy * outW;
  return win + ((<usize>(oy * stride) * rowStride + <usize>(ox * stride * c)) << 2);
}

// ---------------------------------------------------------------------------
// Float inputs × binary (α/β) weights: HBN's float-input layers. Weights stay
// bit-packed and are decoded on the fly: with bit = 1 where a weight is the
// lower level, negSum = Σ x over those weights, dot = sumX − 2·negSum, and the
// shared transform gives y = A·sumX + B·dot + C = α·Σ_upper x + β·Σ_lower x.
// wbits: [kh, kw, C, ceil(Cout/32)] words. Zero padding (a zero adds nothing).

/** Reads the 8 weight bits of outputs co..co+7 at row `k` (co a multiple of 8). */
// @ts-ignore: decorator
@inline function weightByte(wbits: usize, ow: i32, k: i32, co: i32): u32 {
  return (load<u32>(wbits + (<usize>(k * ow + (co >> 5)) << 2)) >> (co & 31)) & 0xff;
}

export function conv2dBinaryWeightsReference(input: usize, h: i32, w: i32, c: i32, wbits: usize, cout: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  transform: usize, flags: i32, output: usize, scratch: usize): void {
  const ow = (cout + 31) >> 5;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let o = 0; o < cout; o++) {
        let sumX: f32 = 0, negSum: f32 = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * stride - padTop + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * stride - padLeft + kx;
            if (ix < 0 || ix >= w) continue;
            for (let ch = 0; ch < c; ch++) {
              const x = load<f32>(input + ((<usize>(iy * w + ix) * c + ch) << 2));
              const k = (ky * kw + kx) * c + ch;
              sumX += x;
              if ((load<u32>(wbits + (<usize>(k * ow + (o >> 5)) << 2)) >> (o & 31)) & 1) negSum += x;
            }
          }
        }
        const y = transform1(transform, cout, o, sumX, sumX - 2 * negSum);
        store<f32>(output + ((<usize>(oy * outW + ox) * cout + o) << 2), flags & FLAG_RELU ? relu1(y) : y);
      }
    }
  }
}

export function conv2dBinaryWeightsScratchBytes(c: i32, kh: i32, kw: i32, stride: i32, outH: i32, outW: i32, cout: i32): i32 {
  // The padded window, Σx of every window, a zero bias, then one decoded panel [kh·kw·C, 8]
  // f32, or for one output pixel the window's inputs in a row and LUT_GROUPS subset-sum tables.
  const k = kh * kw * c;
  const last = outH * outW == 1 ? roundUp(k, 8) * 4 + min((k + 7) >> 3, LUT_GROUPS) * 1024 : k * 32;
  return paddedWindowBytes(c, kh, kw, stride, outH, outW) + roundUp(outH * outW, 4) * 4 + roundUp(cout, 8) * 4 + last;
}

/**
 * Bytes of the weight layout conv2dBinaryWeights reads: for one output pixel on the SIMD
 * build, [Cout, ceil(K/8)] bytes (bit r of output o's row = input r, K = kh·kw·C), which
 * the subset-sum lookup reads one byte per 8 inputs; otherwise the file layout.
 */
export function conv2dBinaryWeightsPackedBytes(c: i32, kh: i32, kw: i32, cout: i32): i32 {
  const k = kh * kw * c;
  if (ASC_FEATURE_SIMD) return cout * ((k + 7) >> 3);
  return k * ((cout + 31) >> 5) * 4;
}

/** File layout [K, ceil(Cout/32)] words → the layout above (`dst` holds conv2dBinaryWeightsPackedBytes, apart from `wbits`). */
export function conv2dBinaryWeightsPackWeights(wbits: usize, c: i32, kh: i32, kw: i32, cout: i32, dst: usize): void {
  const k = kh * kw * c, ow = (cout + 31) >> 5;
  if (!ASC_FEATURE_SIMD) { memory.copy(dst, wbits, <usize>k * ow * 4); return; }
  const kb = (k + 7) >> 3;
  for (let o = 0; o < cout; o++) {
    const row = dst + <usize>o * kb;
    for (let b = 0; b < kb; b++) {
      let byte: u32 = 0;
      for (let j = 0; j < 8 && 8 * b + j < k; j++) byte |= ((load<u32>(wbits + (<usize>((8 * b + j) * ow + (o >> 5)) << 2)) >> (o & 31)) & 1) << j;
      store<u8>(row + <usize>b, <u8>byte);
    }
  }
}

/**
 * SIMD: each panel of 8 outputs is decoded once into 0/1 floats (1 where the weight is
 * the lower level), so negSum = Σ x·mask runs on conv2d's tiled panel loop (4 pixels × 8
 * channels per tile); then y = transform(sumX, sumX − 2·negSum) over the output in place.
 * (Decoding the bits at every pixel instead cost ~10 instructions per 8 MACs: 0.31× tfjs.)
 */
export function conv2dBinaryWeights(input: usize, h: i32, w: i32, c: i32, wbits: usize, cout: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  transform: usize, flags: i32, output: usize, scratch: usize): void {
  assert(c > 0 && cout > 0 && kh > 0 && kw > 0 && stride > 0 && outH > 0 && outW > 0, "conv2dBinaryWeights: sizes");
  if (!ASC_FEATURE_SIMD) {
    conv2dBinaryWeightsReference(input, h, w, c, wbits, cout, kh, kw, stride, padTop, padLeft, outH, outW, transform, flags, output, scratch);
    return;
  }
  let win = input, winH = h, winW = w;
  let rowStride = w * c;
  if (needsPadding(h, w, kh, kw, stride, padTop, padLeft, outH, outW)) {
    rowStride = padWindow(input, h, w, c, kh, kw, stride, padTop, padLeft, outH, outW, scratch);
    win = scratch; winH = windowRows(kh, stride, outH); winW = windowRows(kw, stride, outW);
  }
  const pixels = outH * outW;
  const sums = scratch + <usize>paddedWindowBytes(c, kh, kw, stride, outH, outW);
  const zeros = sums + (<usize>roundUp(pixels, 4) << 2);
  const panel = zeros + (<usize>roundUp(cout, 8) << 2);
  memory.fill(zeros, 0, <usize>roundUp(cout, 8) << 2);
  const k = kh * kw * c;
  const ow = (cout + 31) >> 5;
  const relu = (flags & FLAG_RELU) != 0;
  // Σx of every window, once: shared by all output channels.
  windowSums(win, rowStride, c, kh, kw, stride, outH, outW, sums);
  if (pixels == 1) {
    negSumSubsetTables(win, rowStride, kw * c, kh, wbits, cout, panel, output);
    binaryWeightsTransform(output, sums, transform, cout, 0, cout, 1, relu);
    return;
  }
  for (let co = 0; co < cout; co += 8) {
    // Outputs co..co+7 of row r are byte co/8 of the row's words (little-endian).
    decodeBitPanel(wbits + <usize>(co >> 3), ow << 2, k, panel);
    conv2dPanelsF32(win, winH, winW, c, panel, zeros, co, min(cout, co + 8), cout,
      kh, kw, stride, 0, 0, outH, outW, 0, output, 0);
  }
  binaryWeightsTransform(output, sums, transform, cout, 0, cout, pixels, relu);
}

/** Input groups of 8 whose subset-sum tables (256 f32, 1 KiB each) are live at once: 16 KiB, inside any L1. */
const LUT_GROUPS: i32 = 16;

/**
 * One output pixel (a late layer or a head, a matrix–vector product): negSum of every
 * output by subset-sum lookup. For each group of 8 inputs a table of its 256 subset sums
 * is built once (64 vector adds, from two 16-entry halves); then each output adds one
 * table entry per 8 inputs, indexed by its weight byte ([Cout, ceil(K/8)], from
 * conv2dBinaryWeightsPackWeights). ~3 scalar ops per 8 MACs where masking x by each
 * bit took ~10 (negSumOnePixel): the float-input layers a hybrid adds are mostly these.
 * The tables are built LUT_GROUPS at a time, partial sums kept in `output`.
 * `scratch`: roundUp(K, 8) floats, then LUT_GROUPS KiB.
 */
function negSumSubsetTables(win: usize, rowStride: i32, rowK: i32, kh: i32, wbytes: usize, cout: i32, scratch: usize, output: usize): void {
  const k = kh * rowK, kb = (k + 7) >> 3;
  // The window's inputs in a row, zero to a whole group (a zero adds nothing).
  const xs = scratch, tables = scratch + (<usize>roundUp(k, 8) << 2);
  for (let ky = 0; ky < kh; ky++) memory.copy(xs + (<usize>(ky * rowK) << 2), win + (<usize>(ky * rowStride) << 2), <usize>rowK << 2);
  memory.fill(xs + (<usize>k << 2), 0, <usize>(roundUp(k, 8) - k) << 2);
  memory.fill(output, 0, <usize>cout << 2);
  for (let g0 = 0; g0 < kb; g0 += LUT_GROUPS) {
    const groups = min(LUT_GROUPS, kb - g0);
    for (let g = 0; g < groups; g++) {
      const x = xs + (<usize>((g0 + g) * 8) << 2), t = tables + (<usize>g << 10);
      // Sums of the low four inputs' subsets (L, 16 entries) and the high four's (H); T[16h + l] = H[h] + L[l].
      const x0 = load<f32>(x), x1 = load<f32>(x, 4), x2 = load<f32>(x, 8), x3 = load<f32>(x, 12);
      const l0 = f32x4(0, x0, x1, x0 + x1), l1 = f32x4.add(l0, f32x4.splat(x2));
      const l2 = f32x4.add(l0, f32x4.splat(x3)), l3 = f32x4.add(l1, f32x4.splat(x3));
      const x4 = load<f32>(x, 16), x5 = load<f32>(x, 20), x6 = load<f32>(x, 24), x7 = load<f32>(x, 28);
      for (let hgh = 0; hgh < 16; hgh++) {
        const hv = f32x4.splat(<f32>((hgh & 1 ? x4 : 0) + (hgh & 2 ? x5 : 0)) + <f32>((hgh & 4 ? x6 : 0) + (hgh & 8 ? x7 : 0)));
        const row = t + (<usize>hgh << 6);
        v128.store(row, f32x4.add(hv, l0)); v128.store(row, f32x4.add(hv, l1), 16);
        v128.store(row, f32x4.add(hv, l2), 32); v128.store(row, f32x4.add(hv, l3), 48);
      }
    }
    // Four outputs at a time: four independent chains of loads and adds.
    let o = 0;
    for (; o + 4 <= cout; o += 4) {
      const w0 = wbytes + <usize>o * kb + <usize>g0, w1 = w0 + <usize>kb, w2 = w1 + <usize>kb, w3 = w2 + <usize>kb;
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      for (let g = 0; g < groups; g++) {
        const t = tables + (<usize>g << 10);
        s0 += load<f32>(t + (<usize>load<u8>(w0 + <usize>g) << 2));
        s1 += load<f32>(t + (<usize>load<u8>(w1 + <usize>g) << 2));
        s2 += load<f32>(t + (<usize>load<u8>(w2 + <usize>g) << 2));
        s3 += load<f32>(t + (<usize>load<u8>(w3 + <usize>g) << 2));
      }
      const out = output + (<usize>o << 2);
      store<f32>(out, load<f32>(out) + s0); store<f32>(out, load<f32>(out, 4) + s1, 4);
      store<f32>(out, load<f32>(out, 8) + s2, 8); store<f32>(out, load<f32>(out, 12) + s3, 12);
    }
    for (; o < cout; o++) {
      const w0 = wbytes + <usize>o * kb + <usize>g0;
      let s0: f32 = 0;
      for (let g = 0; g < groups; g++) s0 += load<f32>(tables + (<usize>g << 10) + (<usize>load<u8>(w0 + <usize>g) << 2));
      store<f32>(output + (<usize>o << 2), load<f32>(output + (<usize>o << 2)) + s0);
    }
  }
}

/**
 * One output pixel of an X-layer (xconv2dBinaryWeights): negSum of outputs coBegin..coEnd−1 straight
 * from their weight bytes (at src + r·step), x masked by each bit. Decoding a panel that
 * is then read once cost as much as the sum itself (3 GMAC/s on 1x1 outputs).
 */
export function negSumOnePixel(win: usize, rowStride: i32, rowK: i32, kh: i32, src: usize, step: i32, coBegin: i32, coEnd: i32, output: usize): void {
  const lo = i32x4(1, 2, 4, 8), hi = i32x4(16, 32, 64, 128), zero = i32x4.splat(0);
  // Two rows per step into two pairs of accumulators: one pair alone is bound by the add latency.
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0);
  let w = src;
  const st = <usize>step;
  for (let ky = 0; ky < kh; ky++) {
    const x0 = win + (<usize>(ky * rowStride) << 2);
    let j = 0;
    for (; j + 2 <= rowK; j += 2, w += st << 1) {
      const xa = f32x4.splat(load<f32>(x0 + (<usize>j << 2))), xb = f32x4.splat(load<f32>(x0 + (<usize>j << 2), 4));
      const ba = i32x4.splat(<i32>load<u8>(w)), bb = i32x4.splat(<i32>load<u8>(w + st));
      a0 = f32x4.add(a0, v128.and(xa, i32x4.ne(v128.and(ba, lo), zero)));
      a1 = f32x4.add(a1, v128.and(xa, i32x4.ne(v128.and(ba, hi), zero)));
      b0 = f32x4.add(b0, v128.and(xb, i32x4.ne(v128.and(bb, lo), zero)));
      b1 = f32x4.add(b1, v128.and(xb, i32x4.ne(v128.and(bb, hi), zero)));
    }
    if (j < rowK) {
      const xa = f32x4.splat(load<f32>(x0 + (<usize>j << 2))), ba = i32x4.splat(<i32>load<u8>(w));
      a0 = f32x4.add(a0, v128.and(xa, i32x4.ne(v128.and(ba, lo), zero)));
      a1 = f32x4.add(a1, v128.and(xa, i32x4.ne(v128.and(ba, hi), zero)));
      w += st;
    }
  }
  a0 = f32x4.add(a0, b0); a1 = f32x4.add(a1, b1);
  const out = output + (<usize>coBegin << 2), n = coEnd - coBegin;
  if (n == 8) { v128.store(out, a0); v128.store(out, a1, 16); return; }
  // The last block of outputs: only its n lanes exist (no spill: this kernel has no scratch of its own here).
  if (n >= 4) { v128.store(out, a0); storeLanes(a1, n - 4, out + 16); } else storeLanes(a0, n, out);
}

/** The first m (0..4) lanes of v at `at`. */
// @ts-ignore: decorator
@inline function storeLanes(v: v128, m: i32, at: usize): void {
  if (m > 0) store<f32>(at, f32x4.extract_lane(v, 0));
  if (m > 1) store<f32>(at, f32x4.extract_lane(v, 1), 4);
  if (m > 2) store<f32>(at, f32x4.extract_lane(v, 2), 8);
  if (m > 3) store<f32>(at, f32x4.extract_lane(v, 3), 12);
}

/** Σx of every window: rows of kw·C floats, rowStride floats apart (a padded or gathered window). */
export function windowSums(win: usize, rowStride: i32, c: i32, kh: i32, kw: i32, stride: i32, outH: i32, outW: i32, sums: usize): void {
  const rowK = kw * c;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      let acc = f32x4.splat(0);
      let s: f32 = 0;
      for (let ky = 0; ky < kh; ky++) {
        const x0 = win + ((<usize>(oy * stride + ky) * rowStride + <usize>(ox * stride * c)) << 2);
        let j = 0;
        for (; j + 4 <= rowK; j += 4) acc = f32x4.add(acc, v128.load(x0 + (<usize>j << 2)));
        for (; j < rowK; j++) s += load<f32>(x0 + (<usize>j << 2));
      }
      s += f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
      store<f32>(sums + (<usize>(oy * outW + ox) << 2), s);
    }
  }
}

/** One byte of 8 outputs' weight bits per row, at src + r·step → a 0/1 f32 panel [rows, 8] (1 = the lower level). */
export function decodeBitPanel(src: usize, step: i32, rows: i32, panel: usize): void {
  const lo = i32x4(1, 2, 4, 8), hi = i32x4(16, 32, 64, 128), one = f32x4.splat(1), zero = i32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const bits = i32x4.splat(<i32>load<u8>(src + <usize>r * <usize>step));
    v128.store(panel + (<usize>r << 5), v128.and(i32x4.ne(v128.and(bits, lo), zero), one));
    v128.store(panel + (<usize>r << 5), v128.and(i32x4.ne(v128.and(bits, hi), zero), one), 16);
  }
}

/** y = transform(sumX, sumX − 2·negSum) in place over outputs coBegin..coEnd−1 of every pixel (negSum in output). */
export function binaryWeightsTransform(output: usize, sums: usize, transform: usize, cout: i32, coBegin: i32, coEnd: i32, pixels: i32, relu: bool): void {
  const two = f32x4.splat(2);
  for (let p = 0; p < pixels; p++) {
    const out = output + (<usize>(p * cout) << 2);
    const sx = load<f32>(sums + (<usize>p << 2)), s = f32x4.splat(sx);
    let o = coBegin;
    for (; o + 4 <= coEnd; o += 4) {
      const y = transform4(transform, cout, o, s, f32x4.sub(s, f32x4.mul(two, v128.load(out + (<usize>o << 2)))));
      v128.store(out + (<usize>o << 2), relu ? relu4(y) : y);
    }
    for (; o < coEnd; o++) {
      const y = transform1(transform, cout, o, sx, sx - 2 * load<f32>(out + (<usize>o << 2)));
      store<f32>(out + (<usize>o << 2), relu ? relu1(y) : y);
    }
  }
}


// ---------------------------------------------------------------------------
// Dense layers are a 1×1 convolution over one pixel (same panel packing).

export function dense(input: usize, k: i32, weights: usize, bias: usize, n: i32, flags: i32, output: usize): void {
  conv2d(input, 1, 1, k, weights, bias, n, 1, 1, 1, 0, 0, 1, 1, flags, output, 0);
}

export function denseReference(input: usize, k: i32, weights: usize, bias: usize, n: i32, flags: i32, output: usize): void {
  conv2dReference(input, 1, 1, k, weights, bias, n, 1, 1, 1, 0, 0, 1, 1, flags, output, 0);
}

export function denseInt8(input: usize, k: i32, weights: usize, scales: usize, bias: usize, n: i32, flags: i32, output: usize): void {
  conv2dInt8(input, 1, 1, k, weights, scales, bias, n, 1, 1, 1, 0, 0, 1, 1, flags, output, 0);
}

export function denseInt8Reference(input: usize, k: i32, weights: usize, scales: usize, bias: usize, n: i32, flags: i32, output: usize): void {
  conv2dInt8Reference(input, 1, 1, k, weights, scales, bias, n, 1, 1, 1, 0, 0, 1, 1, flags, output, 0);
}
