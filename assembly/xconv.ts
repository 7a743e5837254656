// X-Net convolutions (FORMAT.md §10): output block b (8 consecutive output channels)
// reads only the D input channels of its expander-graph row, whole groups of `inGroup`
// consecutive channels. Per block the D channels are gathered, group by group, into a
// dense zero-padded window in scratch, and the dense inner loop runs on that window:
// float, one panel of conv2dPanels; binary, XOR + popcount of the block's 8 filters
// over compact byte patches (D/8 bytes per tap, no word padding per tap).
//
// `groups` is the i32 table [ceil(Cout/8), D/inGroup] of input-group indices, built at
// load from the graph record (sdk/expander.ts, layerGroupTable).
import { roundUp, wordsFor } from "./common";
import { conv2dPanels, zeroBitPadding } from "./conv";
import { popcntPatch, popcntXor1, popcntXor4Simd, popcntXor4I64 } from "./bconv";
import { transform1, transform4, relu1, relu4, FLAG_RELU, FLAG_BITS_OUT, FLAG_SUM_X } from "./transform";

/** Output channels per graph node (outGroup): one float panel, one byte of bit outputs. */
const BLOCK: i32 = 8;

/** Input channel `k` (0..D−1, in weight order) of output block `b`. */
// @ts-ignore: decorator
@inline function blockChannel(groups: usize, perBlock: i32, inGroup: i32, b: i32, k: i32): i32 {
  return load<i32>(groups + (<usize>(b * perBlock + k / inGroup) << 2)) * inGroup + k % inGroup;
}

// @ts-ignore: decorator
@inline function windowRows(k: i32, stride: i32, out: i32): i32 { return (out - 1) * stride + k; }

// ---------------------------------------------------------------------------
// Float: references (direct loops with bounds checks) and optimized.

export function xconv2dReference(input: usize, h: i32, w: i32, c: i32, groups: usize, inGroup: i32, d: i32,
  weights: usize, bias: usize, cout: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  flags: i32, output: usize, scratch: usize): void {
  const perBlock = d / inGroup;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let o = 0; o < cout; o++) {
        const b = o >> 3;
        let acc: f32 = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * stride - padTop + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * stride - padLeft + kx;
            if (ix < 0 || ix >= w) continue;
            for (let k = 0; k < d; k++) {
              const ch = blockChannel(groups, perBlock, inGroup, b, k);
              const at = <usize>(b * kh * kw * d + (ky * kw + kx) * d + k) * 8 + <usize>(o & 7);
              acc += load<f32>(input + ((<usize>(iy * w + ix) * c + ch) << 2)) * load<f32>(weights + (at << 2));
            }
          }
        }
        acc += load<f32>(bias + (<usize>o << 2));
        if (flags & FLAG_BITS_OUT) {
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

export function xconv2dScratchBytes(d: i32, kh: i32, kw: i32, stride: i32, outH: i32, outW: i32, cout: i32): i32 {
  return windowRows(kh, stride, outH) * windowRows(kw, stride, outW) * d * 4;
}

/** Gathers block b's D channels of the input into a zero-padded [Hp, Wp, D] f32 window. */
function gatherWindowF32(input: usize, h: i32, w: i32, c: i32, row: usize, inGroup: i32, d: i32,
  hp: i32, wp: i32, padTop: i32, padLeft: i32, window: usize): void {
  const perBlock = d / inGroup;
  const pixelBytes = <usize>d << 2, groupBytes = <usize>inGroup << 2;
  let dst = window;
  for (let yy = 0; yy < hp; yy++) {
    const iy = yy - padTop;
    if (iy < 0 || iy >= h) { memory.fill(dst, 0, <usize>wp * pixelBytes); dst += <usize>wp * pixelBytes; continue; }
    for (let xx = 0; xx < wp; xx++, dst += pixelBytes) {
      const ix = xx - padLeft;
      if (ix < 0 || ix >= w) { memory.fill(dst, 0, pixelBytes); continue; }
      const src = input + (<usize>(iy * w + ix) * c << 2);
      let q = dst;
      for (let g = 0; g < perBlock; g++, q += groupBytes) {
        const from = src + <usize>load<i32>(row + (<usize>g << 2)) * groupBytes;
        let j = 0;
        if (ASC_FEATURE_SIMD) for (; j + 4 <= inGroup; j += 4) v128.store(q + (<usize>j << 2), v128.load(from + (<usize>j << 2)));
        for (; j < inGroup; j++) store<f32>(q + (<usize>j << 2), load<f32>(from + (<usize>j << 2)));
      }
    }
  }
}

/**
 * Preconditions: as conv2d, plus d a multiple of inGroup, every group index in
 * [0, c/inGroup), weights in panels [ceil(Cout/8), kh, kw, D, 8]; scratch holds
 * xconv2dScratchBytes(...) bytes.
 */
export function xconv2d(input: usize, h: i32, w: i32, c: i32, groups: usize, inGroup: i32, d: i32,
  weights: usize, bias: usize, cout: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  flags: i32, output: usize, scratch: usize): void {
  assert(c > 0 && d > 0 && inGroup > 0 && d % inGroup == 0 && cout > 0 && kh > 0 && kw > 0 && stride > 0 && outH > 0 && outW > 0, "xconv2d: sizes");
  if (!ASC_FEATURE_SIMD) { xconv2dReference(input, h, w, c, groups, inGroup, d, weights, bias, cout, kh, kw, stride, padTop, padLeft, outH, outW, flags, output, scratch); return; }
  const hp = windowRows(kh, stride, outH), wp = windowRows(kw, stride, outW);
  const perBlock = d / inGroup;
  zeroBitPadding(output, cout, outH * outW, flags);
  for (let co = 0; co < cout; co += BLOCK) {
    gatherWindowF32(input, h, w, c, groups + (<usize>((co >> 3) * perBlock) << 2), inGroup, d, hp, wp, padTop, padLeft, scratch);
    // The window is already padded, so conv2dPanels reads it in place (no scratch of its own).
    conv2dPanels<f32>(scratch, hp, wp, d, weights, 0, bias, co, min(cout, co + BLOCK), cout, kh, kw, stride, 0, 0, outH, outW, flags, output, 0);
  }
}

/** X-Dense: the 1×1 case over one pixel of K = C_in inputs. */
export function xdense(input: usize, k: i32, groups: usize, inGroup: i32, d: i32, weights: usize, bias: usize, n: i32,
  flags: i32, output: usize, scratch: usize): void {
  xconv2d(input, 1, 1, k, groups, inGroup, d, weights, bias, n, 1, 1, 1, 0, 0, 1, 1, flags, output, scratch);
}

export function xdenseReference(input: usize, k: i32, groups: usize, inGroup: i32, d: i32, weights: usize, bias: usize, n: i32,
  flags: i32, output: usize, scratch: usize): void {
  xconv2dReference(input, 1, 1, k, groups, inGroup, d, weights, bias, n, 1, 1, 1, 0, 0, 1, 1, flags, output, scratch);
}

// ---------------------------------------------------------------------------
// Binary: bit inputs [H, W, Cw] words, inGroup a multiple of 8, so a group is whole
// bytes. Filters [Cout, Kx] bytes: kh·kw taps of the block's D/8 bytes, zero to Kx.

/** Bytes of one X-binary filter (and patch): kh·kw·D/8 rounded up to a whole v128. */
export function xbconv2dFilterBytes(d: i32, kh: i32, kw: i32): i32 {
  return roundUp(kh * kw * (d >> 3), 16);
}

export function xbconv2dReference(input: usize, h: i32, w: i32, c: i32, groups: usize, inGroup: i32, d: i32,
  weights: usize, cout: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  transform: usize, flags: i32, output: usize, scratch: usize): void {
  const cw = wordsFor(c), perBlock = d / inGroup;
  const kx = xbconv2dFilterBytes(d, kh, kw);
  const n = kh * kw * d;
  const outCw = wordsFor(cout);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      const pos = oy * outW + ox;
      let word: u32 = 0;
      for (let o = 0; o < cout; o++) {
        const b = o >> 3;
        let pc = 0, pcx = 0;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx2 = 0; kx2 < kw; kx2++) {
            const iy = oy * stride - padTop + ky, ix = ox * stride - padLeft + kx2;
            const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            for (let k = 0; k < d; k++) {
              const ch = blockChannel(groups, perBlock, inGroup, b, k);
              const x: u32 = inside ? (load<u32>(input + ((<usize>(iy * w + ix) * cw + (ch >> 5)) << 2)) >> (ch & 31)) & 1 : 0;
              const bit = (ky * kw + kx2) * d + k;
              const wt: u32 = (<u32>load<u8>(weights + <usize>(o * kx + (bit >> 3))) >> (bit & 7)) & 1;
              pc += x ^ wt;
              pcx += x;
            }
          }
        }
        const y = transform1(transform, cout, o, <f32>(n - 2 * pcx), <f32>(n - 2 * pc));
        if (flags & FLAG_BITS_OUT) {
          if (y < 0) word |= <u32>1 << (o & 31);
          if ((o & 31) == 31 || o == cout - 1) { store<u32>(output + ((<usize>pos * outCw + (o >> 5)) << 2), word); word = 0; }
        } else {
          store<f32>(output + ((<usize>pos * cout + o) << 2), flags & FLAG_RELU ? relu1(y) : y);
        }
      }
    }
  }
}

/** The gathered image [Hp, Wp, D/8] bytes (+16 slack for vector over-reads), then one patch (+16), then 8 i32 counts. */
export function xbconv2dScratchBytes(d: i32, kh: i32, kw: i32, stride: i32, outH: i32, outW: i32, cout: i32): i32 {
  return roundUp(windowRows(kh, stride, outH) * windowRows(kw, stride, outW) * (d >> 3) + 16, 16) + xbconv2dFilterBytes(d, kh, kw) + 16 + 32;
}

/**
 * Copies `n` bytes, rounding up to whole 16-byte (SIMD) or 4-byte chunks: the caller leaves
 * slack after both ends. Addresses are unaligned, so the accesses say align 1 (wasm2js
 * lowers an access that claims natural alignment to a typed-array index, dropping low bits).
 */
// @ts-ignore: decorator
@inline function copyOver(dst: usize, src: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    for (let i = 0; i < n; i += 16) v128.store(dst + <usize>i, v128.load(src + <usize>i, 0, 1), 0, 1);
  } else {
    for (let i = 0; i < n; i += 4) store<u32>(dst + <usize>i, load<u32>(src + <usize>i, 0, 1), 0, 1);
  }
}

/** Gathers block b's groups into a zero-padded [Hp, Wp, D/8] byte image (+1 padding is zero bits). */
function gatherImageBits(input: usize, h: i32, w: i32, cw: i32, row: usize, inGroup: i32, d: i32,
  hp: i32, wp: i32, padTop: i32, padLeft: i32, image: usize): void {
  const perBlock = d / inGroup, gb = <usize>(d >> 3), groupBytes = inGroup >> 3;
  let dst = image;
  for (let yy = 0; yy < hp; yy++) {
    const iy = yy - padTop;
    if (iy < 0 || iy >= h) { memory.fill(dst, 0, <usize>wp * gb); dst += <usize>wp * gb; continue; }
    for (let xx = 0; xx < wp; xx++, dst += gb) {
      const ix = xx - padLeft;
      if (ix < 0 || ix >= w) { memory.fill(dst, 0, gb); continue; }
      const src = input + (<usize>(iy * w + ix) * cw << 2);
      let q = dst;
      for (let g = 0; g < perBlock; g++) {
        const from = src + <usize>(load<i32>(row + (<usize>g << 2)) * groupBytes);
        for (let j = 0; j < groupBytes; j++, q++) store<u8>(q, load<u8>(from + <usize>j));
      }
    }
  }
}

/**
 * Preconditions: as bconv2d, plus inGroup a multiple of 8 dividing d, every group index
 * in [0, c/inGroup), weights [Cout, xbconv2dFilterBytes] bytes (padding zero); scratch
 * holds xbconv2dScratchBytes(...) bytes.
 */
export function xbconv2d(input: usize, h: i32, w: i32, c: i32, groups: usize, inGroup: i32, d: i32,
  weights: usize, cout: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  transform: usize, flags: i32, output: usize, scratch: usize): void {
  assert(c > 0 && d > 0 && inGroup > 0 && (inGroup & 7) == 0 && d % inGroup == 0 && cout > 0 && kh > 0 && kw > 0 && stride > 0 && outH > 0 && outW > 0, "xbconv2d: sizes");
  const cw = wordsFor(c), perBlock = d / inGroup, gb = d >> 3;
  const hp = windowRows(kh, stride, outH), wp = windowRows(kw, stride, outW);
  const kx = xbconv2dFilterBytes(d, kh, kw), kpad = kx >> 2, fstride = <usize>kx;
  const n = kh * kw * d, rowBytes = kw * gb, used = kh * rowBytes;
  const image = scratch;
  const patch = scratch + <usize>roundUp(hp * wp * gb + 16, 16);
  const counts = patch + <usize>kx + 16;
  const outCw = wordsFor(cout), pixelBytes = <usize>outCw << 2;
  const bitsOut = (flags & FLAG_BITS_OUT) != 0, relu = (flags & FLAG_RELU) != 0, needSumX = (flags & FLAG_SUM_X) != 0;
  const simd = ASC_FEATURE_SIMD;
  zeroBitPadding(output, cout, outH * outW, flags);
  for (let co = 0; co < cout; co += BLOCK) {
    gatherImageBits(input, h, w, cw, groups + (<usize>((co >> 3) * perBlock) << 2), inGroup, d, hp, wp, padTop, padLeft, image);
    const nb = min(BLOCK, cout - co);
    const f0 = weights + <usize>co * fstride;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        // The patch: kh rows of kw·D/8 contiguous image bytes, then zeros to Kx.
        const at = image + <usize>((oy * stride * wp + ox * stride) * gb);
        for (let ky = 0; ky < kh; ky++) copyOver(patch + <usize>(ky * rowBytes), at + <usize>(ky * wp * gb), rowBytes);
        for (let i = used; i < kx; i += 4) store<u32>(patch + <usize>i, 0, 0, 1);
        const sumX: f32 = needSumX ? <f32>(n - 2 * popcntPatch(patch, kpad, simd)) : 0;
        const pos = oy * outW + ox;
        const outF = output + ((<usize>pos * cout + co) << 2);
        let bits: u32 = 0;
        let j = 0;
        if (ASC_FEATURE_SIMD) {
          const sumX4 = f32x4.splat(sumX), n4 = i32x4.splat(n);
          for (; j + 4 <= nb; j += 4) {
            const pc = popcntXor4Simd(patch, f0 + <usize>j * fstride, fstride, kpad);
            const y = transform4(transform, cout, co + j, sumX4, f32x4.convert_i32x4_s(i32x4.sub(n4, i32x4.shl(pc, 1))));
            if (bitsOut) bits |= <u32>i32x4.bitmask(f32x4.lt(y, f32x4.splat(0))) << j;
            else v128.store(outF + (<usize>j << 2), relu ? relu4(y) : y);
          }
        } else {
          for (; j + 4 <= nb; j += 4) {
            popcntXor4I64(patch, f0 + <usize>j * fstride, fstride, kpad, counts);
            for (let t = 0; t < 4; t++) {
              const y = transform1(transform, cout, co + j + t, sumX, <f32>(n - 2 * load<i32>(counts + (<usize>t << 2))));
              if (bitsOut) { if (y < 0) bits |= <u32>1 << (j + t); }
              else store<f32>(outF + (<usize>(j + t) << 2), relu ? relu1(y) : y);
            }
          }
        }
        for (; j < nb; j++) {
          const pc = popcntXor1(patch, f0 + <usize>j * fstride, kpad, simd);
          const y = transform1(transform, cout, co + j, sumX, <f32>(n - 2 * pc));
          if (bitsOut) { if (y < 0) bits |= <u32>1 << j; }
          else store<f32>(outF + (<usize>j << 2), relu ? relu1(y) : y);
        }
        if (bitsOut) store<u8>(output + <usize>pos * pixelBytes + <usize>(co >> 3), <u8>bits);
      }
    }
  }
}
