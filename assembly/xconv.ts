// X-Net convolutions (FORMAT.md §10): output block b (8 consecutive output channels)
// reads only the D input channels of its expander-graph row, whole groups of `inGroup`
// consecutive channels. Per block the D channels are gathered, group by group, into a
// dense zero-padded window in scratch, and the dense inner loop runs on that window:
// float, one panel of conv2dPanels; binary, XOR + popcount of the block's 8 filters
// over compact byte patches (D/8 bytes per tap, no word padding per tap).
//
// `groups` is the i32 table [ceil(Cout/8), D/inGroup] of input-group indices, built at
// load from the graph record (sdk/expander.ts, layerGroupTable).
//
// Tried and measured slower (2026-12, AMD EPYC): a planar binary path for stride 1 and
// D ≤ 64 whose 16 lanes are 16 output positions (D/8 byte planes, one XOR + popcount per
// tap and byte, the transform on 16 positions at once). It removes the pairs path's
// per-pixel overhead but pays one i8x16.popcnt per 16-lane vector where Harley–Seal pays
// one per four: 1.3× (56×56×64, f = 8) to 3.2× (14×14×256, f = 4) slower than the pairs path.
import { roundUp, wordsFor, hsum4I32x4, U8_ACC_STEPS } from "./common";
import { conv2dPanelsF32, zeroBitPadding, windowSums, decodeBitPanel, binaryWeightsTransform, negSumOnePixel } from "./conv";
import { popcntPatch, popcntXor1, popcntXor4I64, csaCarry, hsResidue } from "./bconv";
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

/** Output bytes of one band of xconv2d's rows: L2-resident on both CPU families we run on (measured: 24 KB bands lose to their halo rows, 96–256 KB win 3% at f = 8). */
const X_BAND_BYTES: usize = 131072;

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

/**
 * Gathers block b's D channels of the input into a zero-padded [Hp, Wp, D] f32 window.
 * Every block copies a whole window, so at small D this copy is a large share of the
 * conv: the padding columns are filled per row, not tested per pixel, and the common
 * 8-channel groups copy as two vectors with no inner loop.
 */
function gatherWindowF32(input: usize, h: i32, w: i32, c: i32, row: usize, inGroup: i32, d: i32,
  hp: i32, wp: i32, padTop: i32, padLeft: i32, window: usize): void {
  const perBlock = d / inGroup;
  const pixelBytes = <usize>d << 2, groupBytes = <usize>inGroup << 2, inPixelBytes = <usize>c << 2;
  // Window columns [xs, xe) read input columns xs − padLeft ..; the rest are zero.
  const xs = min(max(padLeft, 0), wp), xe = max(min(padLeft + w, wp), xs);
  const leftBytes = <usize>xs * pixelBytes, rightBytes = <usize>(wp - xe) * pixelBytes;
  let dst = window;
  for (let yy = 0; yy < hp; yy++) {
    const iy = yy - padTop;
    if (iy < 0 || iy >= h) { memory.fill(dst, 0, <usize>wp * pixelBytes); dst += <usize>wp * pixelBytes; continue; }
    if (leftBytes) { memory.fill(dst, 0, leftBytes); dst += leftBytes; }
    let src = input + (<usize>(iy * w + xs - padLeft) * c << 2);
    const end = dst + <usize>(xe - xs) * pixelBytes;
    if (ASC_FEATURE_SIMD && inGroup == 8 && perBlock == 1) {
      const from0 = <usize>load<i32>(row) * groupBytes;
      for (; dst < end; dst += pixelBytes, src += inPixelBytes) {
        v128.store(dst, v128.load(src + from0));
        v128.store(dst, v128.load(src + from0, 16), 16);
      }
    } else if (ASC_FEATURE_SIMD && inGroup == 8) {
      for (; dst < end; dst += pixelBytes, src += inPixelBytes) {
        let q = dst;
        for (let g = 0; g < perBlock; g++, q += groupBytes) {
          const from = src + <usize>load<i32>(row + (<usize>g << 2)) * groupBytes;
          v128.store(q, v128.load(from));
          v128.store(q, v128.load(from, 16), 16);
        }
      }
    } else if (ASC_FEATURE_SIMD && inGroup == 1) {
      // Single channels (graphs over input channels): four loads into one vector store, no
      // per-group loop (measured 1.3-1.6x slower than grouped convs with it).
      for (; dst < end; dst += pixelBytes, src += inPixelBytes) {
        let k = 0;
        for (; k + 4 <= d; k += 4) {
          const at = row + (<usize>k << 2);
          let v = f32x4.splat(load<f32>(src + (<usize>load<i32>(at) << 2)));
          v = f32x4.replace_lane(v, 1, load<f32>(src + (<usize>load<i32>(at, 4) << 2)));
          v = f32x4.replace_lane(v, 2, load<f32>(src + (<usize>load<i32>(at, 8) << 2)));
          v = f32x4.replace_lane(v, 3, load<f32>(src + (<usize>load<i32>(at, 12) << 2)));
          v128.store(dst + (<usize>k << 2), v);
        }
        for (; k < d; k++) store<f32>(dst + (<usize>k << 2), load<f32>(src + (<usize>load<i32>(row + (<usize>k << 2)) << 2)));
      }
    } else {
      for (; dst < end; dst += pixelBytes, src += inPixelBytes) {
        let q = dst;
        for (let g = 0; g < perBlock; g++, q += groupBytes) {
          const from = src + <usize>load<i32>(row + (<usize>g << 2)) * groupBytes;
          let j = 0;
          if (ASC_FEATURE_SIMD) for (; j + 4 <= inGroup; j += 4) v128.store(q + (<usize>j << 2), v128.load(from + (<usize>j << 2)));
          for (; j < inGroup; j++) store<f32>(q + (<usize>j << 2), load<f32>(from + (<usize>j << 2)));
        }
      }
    }
    if (rightBytes) { memory.fill(dst, 0, rightBytes); dst += rightBytes; }
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
  const panelBytes = <usize>(kh * kw * d) << 5; // one panel: kh·kw·D rows of 8 f32
  zeroBitPadding(output, cout, outH * outW, flags);
  // Bands of output rows, every block over one band before the next: a block writes a
  // sliver (8 channels) of each output pixel, and the band keeps those pixels in cache
  // until all blocks have written theirs. Each band's window adds kh − stride halo rows.
  const outPixelBytes: usize = (flags & FLAG_BITS_OUT) != 0 ? <usize>wordsFor(cout) << 2 : <usize>cout << 2;
  const band = <i32>max<usize>(1, min<usize>(<usize>outH, X_BAND_BYTES / (<usize>outW * outPixelBytes)));
  for (let oy = 0; oy < outH; oy += band) {
    const rows = min(band, outH - oy), bandHp = windowRows(kh, stride, rows);
    const bandOut = output + <usize>(oy * outW) * outPixelBytes;
    for (let co = 0; co < cout; co += BLOCK) {
      gatherWindowF32(input, h, w, c, groups + (<usize>((co >> 3) * perBlock) << 2), inGroup, d, bandHp, wp, padTop - oy * stride, padLeft, scratch);
      // The window is already padded, so conv2dPanels reads it in place (no scratch of its own).
      conv2dPanelsF32(scratch, bandHp, wp, d, weights + <usize>(co >> 3) * panelBytes, bias, co, min(cout, co + BLOCK), cout, kh, kw, stride, 0, 0, rows, outW, flags, bandOut, 0);
    }
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
// Binary weights on float inputs (the X form of conv2dBinaryWeights): weights are the
// bytes [ceil(Cout/8), kh, kw, D], bit i of byte r of block b set where output 8b+i's
// weight at row r is the lower level; y = transform(sumX, sumX − 2·negSum) with sumX and
// negSum over the block's D gathered channels (so sumX is per block, not per pixel).

export function xconv2dBinaryWeightsReference(input: usize, h: i32, w: i32, c: i32, groups: usize, inGroup: i32, d: i32,
  wbytes: usize, cout: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  transform: usize, flags: i32, output: usize, scratch: usize): void {
  const perBlock = d / inGroup, rows = kh * kw * d;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let o = 0; o < cout; o++) {
        const b = o >> 3;
        let sumX: f32 = 0, negSum: f32 = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * stride - padTop + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * stride - padLeft + kx;
            if (ix < 0 || ix >= w) continue;
            for (let k = 0; k < d; k++) {
              const x = load<f32>(input + ((<usize>(iy * w + ix) * c + blockChannel(groups, perBlock, inGroup, b, k)) << 2));
              sumX += x;
              if ((load<u8>(wbytes + <usize>(b * rows + (ky * kw + kx) * d + k)) >> (o & 7)) & 1) negSum += x;
            }
          }
        }
        const y = transform1(transform, cout, o, sumX, sumX - 2 * negSum);
        store<f32>(output + ((<usize>(oy * outW + ox) * cout + o) << 2), flags & FLAG_RELU ? relu1(y) : y);
      }
    }
  }
}

export function xconv2dBinaryWeightsScratchBytes(d: i32, kh: i32, kw: i32, stride: i32, outH: i32, outW: i32, cout: i32): i32 {
  // The gathered window, Σx of every window of the block, a zero bias, one decoded panel [kh·kw·D, 8] f32.
  return xconv2dScratchBytes(d, kh, kw, stride, outH, outW, cout) + roundUp(outH * outW, 4) * 4 + roundUp(cout, 8) * 4 + kh * kw * d * 32;
}

/**
 * SIMD: per block of 8 outputs, gather its D channels (as xconv2d), sum every window,
 * decode the block's bits once into a 0/1 panel so negSum runs on conv2d's tiled panel
 * loop, then transform the block's 8 columns in place. Preconditions as xconv2d.
 */
export function xconv2dBinaryWeights(input: usize, h: i32, w: i32, c: i32, groups: usize, inGroup: i32, d: i32,
  wbytes: usize, cout: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  transform: usize, flags: i32, output: usize, scratch: usize): void {
  assert(c > 0 && d > 0 && inGroup > 0 && d % inGroup == 0 && cout > 0 && kh > 0 && kw > 0 && stride > 0 && outH > 0 && outW > 0, "xconv2dBinaryWeights: sizes");
  if (!ASC_FEATURE_SIMD) {
    xconv2dBinaryWeightsReference(input, h, w, c, groups, inGroup, d, wbytes, cout, kh, kw, stride, padTop, padLeft, outH, outW, transform, flags, output, scratch);
    return;
  }
  const hp = windowRows(kh, stride, outH), wp = windowRows(kw, stride, outW);
  const perBlock = d / inGroup, rows = kh * kw * d, pixels = outH * outW;
  const sums = scratch + <usize>xconv2dScratchBytes(d, kh, kw, stride, outH, outW, cout);
  const zeros = sums + (<usize>roundUp(pixels, 4) << 2);
  const panel = zeros + (<usize>roundUp(cout, 8) << 2);
  memory.fill(zeros, 0, <usize>roundUp(cout, 8) << 2);
  for (let co = 0; co < cout; co += BLOCK) {
    gatherWindowF32(input, h, w, c, groups + (<usize>((co >> 3) * perBlock) << 2), inGroup, d, hp, wp, padTop, padLeft, scratch);
    windowSums(scratch, wp * d, d, kh, kw, stride, outH, outW, sums);
    const end = min(cout, co + BLOCK);
    if (pixels == 1) negSumOnePixel(scratch, wp * d, kw * d, kh, wbytes + <usize>((co >> 3) * rows), 1, co, end, output);
    else {
      decodeBitPanel(wbytes + <usize>((co >> 3) * rows), 1, rows, panel);
      conv2dPanelsF32(scratch, hp, wp, d, panel, zeros, co, end, cout, kh, kw, stride, 0, 0, outH, outW, 0, output, 0);
    }
    binaryWeightsTransform(output, sums, transform, cout, co, end, pixels, (flags & FLAG_RELU) != 0);
  }
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

/**
 * Scalar build: the gathered image [Hp, Wp, D/8] bytes (+16 slack for vector over-reads),
 * one patch (+16), 8 i32 counts. SIMD build: the pair image [Hp, Wp, 2·D/8] bytes (+16),
 * its pixels' set-bit counts (2 i32 each), one pair patch (2·pairPositions bytes + 48 of zeroed tail and slack), the pair's 2·D/8
 * i32 byte sources, 32 bytes of spilled values, the swizzle indexes (≤ 16 input vectors × ceil(D/64) output vectors).
 */
export function xbconv2dScratchBytes(d: i32, kh: i32, kw: i32, stride: i32, outH: i32, outW: i32, cout: i32): i32 {
  // One size for both builds (the SIMD layout is never smaller), so the sdk computes one.
  const pixels = windowRows(kh, stride, outH) * windowRows(kw, stride, outW);
  return roundUp(pixels * (d >> 2) + 16, 16) + pixels * 8 + roundUp(2 * pairPositions(d, kh, kw) + 48, 16) + roundUp((d >> 3) * 8, 16) + 32 + ((d + 63) >> 6) * 256;
}

// ---------------------------------------------------------------------------
// Binary, SIMD: two output blocks per pass in the 16 byte lanes of a v128. Blocks 2p (A)
// and 2p+1 (B) read different channels, so their gathered bytes are interleaved,
// [A0 B0 A1 B1 …] per pixel: one load16_splat puts A's byte in the even lanes and B's in
// the odd ones, lane 2i holds filter i of A and lane 2i+1 filter i of B, and Harley–Seal
// along K counts 16 filters with one popcnt per 4 byte positions, as bconv2d's lanes
// path does. (One block of 8 per pass left half the lanes idle, and its 8 filters of a
// few vectors each paid the per-pixel gather, sumX and transform alone: 3–6× slower.)

/** Byte positions of one filter (kh·kw·D/8), padded to the 4 one Harley–Seal step takes. */
// @ts-ignore: decorator
@inline function pairPositions(d: i32, kh: i32, kw: i32): i32 { return roundUp(kh * kw * (d >> 3), 4); }

/** Bytes of the weight layout xbconv2d reads: SIMD [ceil(Cout/16), pairPositions, 16] lanes; scalar the file layout. */
export function xbconv2dPackedBytes(d: i32, kh: i32, kw: i32, cout: i32): i32 {
  if (ASC_FEATURE_SIMD) return ((cout + 15) >> 4) * pairPositions(d, kh, kw) * 16;
  return cout * xbconv2dFilterBytes(d, kh, kw);
}

/**
 * File layout [Cout, Kx] bytes → the layout xbconv2d reads on this build (SIMD: lane
 * 2i of pair p = filter 16p+i, lane 2i+1 = filter 16p+8+i; zero past Cout and past the
 * filter's kh·kw·D/8 bytes). `dst` holds xbconv2dPackedBytes bytes, apart from `weights`.
 */
export function xbconv2dPackWeights(weights: usize, d: i32, kh: i32, kw: i32, cout: i32, dst: usize): void {
  const kx = xbconv2dFilterBytes(d, kh, kw);
  if (!ASC_FEATURE_SIMD) { memory.copy(dst, weights, <usize>cout * kx); return; }
  const kb = pairPositions(d, kh, kw), used = kh * kw * (d >> 3);
  const pairs = (cout + 15) >> 4;
  for (let p = 0; p < pairs; p++) {
    for (let k = 0; k < kb; k++) {
      for (let l = 0; l < 16; l++) {
        const o = 16 * p + ((l & 1) << 3) + (l >> 1);
        store<u8>(dst + (<usize>(p * kb + k) << 4) + <usize>l, o < cout && k < used ? load<u8>(weights + <usize>o * kx + <usize>k) : 0);
      }
    }
  }
}

/** Byte offset, within an input pixel, of byte j (0..D/8−1) of block b's gathered channels. */
// @ts-ignore: decorator
@inline function blockByte(groups: usize, perBlock: i32, groupBytes: i32, b: i32, j: i32): i32 {
  return load<i32>(groups + (<usize>(b * perBlock + j / groupBytes) << 2)) * groupBytes + j % groupBytes;
}

/** y for the 8 channels [base, base+8) of one block from its mismatch counts c0 (first 4), c1: bits or floats out. Inlined: as a call (v128 arguments) the binary X-Conv ran 1.3-1.7x slower. */
// @ts-ignore: decorator
@inline function finishBlock(transform: usize, cout: i32, base: i32, sumX: f32, n: i32, c0: v128, c1: v128,
  bitsOut: bool, relu: bool, outF: usize, outByte: usize, spill: usize): void {
  const n4 = i32x4.splat(n), sumX4 = f32x4.splat(sumX);
  const d0 = f32x4.convert_i32x4_s(i32x4.sub(n4, i32x4.shl(c0, 1)));
  const d1 = f32x4.convert_i32x4_s(i32x4.sub(n4, i32x4.shl(c1, 1)));
  if (base + 8 <= cout) {
    const y0 = transform4(transform, cout, base, sumX4, d0), y1 = transform4(transform, cout, base + 4, sumX4, d1);
    if (bitsOut) {
      const zero = f32x4.splat(0);
      store<u8>(outByte, <u8>(i32x4.bitmask(f32x4.lt(y0, zero)) | (i32x4.bitmask(f32x4.lt(y1, zero)) << 4)));
    } else {
      v128.store(outF + (<usize>base << 2), relu ? relu4(y0) : y0);
      v128.store(outF + (<usize>base << 2), relu ? relu4(y1) : y1, 16);
    }
    return;
  }
  // A partial last block: the scalar transform on its real channels (the transform arrays end at Cout).
  v128.store(spill, d0); v128.store(spill, d1, 16);
  let bits: u32 = 0;
  for (let j = 0; base + j < cout; j++) {
    const y = transform1(transform, cout, base + j, sumX, load<f32>(spill + (<usize>j << 2)));
    if (bitsOut) { if (y < 0) bits |= <u32>1 << j; }
    else store<f32>(outF + (<usize>(base + j) << 2), relu ? relu1(y) : y);
  }
  if (bitsOut) store<u8>(outByte, <u8>bits);
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

/** The swizzle indexes of a pair: [nq][nsrc] vectors, byte src[16q+l] − 16s where it lies in input vector s, else 0x80. */
function buildSwizzle(src: usize, pb: i32, nq: i32, nsrc: i32, idx: usize): void {
  for (let q = 0; q < nq; q++) {
    for (let sv = 0; sv < nsrc; sv++) {
      const v = idx + (<usize>(q * nsrc + sv) << 4);
      for (let l = 0; l < 16; l++) {
        const j = 16 * q + l;
        const at = j < pb ? load<i32>(src + (<usize>j << 2)) : -1;
        store<u8>(v + <usize>l, at >= 16 * sv && at < 16 * sv + 16 ? <u8>(at - 16 * sv) : 0x80);
      }
    }
  }
}

/** Input vector s of a pixel of `bytes` bytes (a multiple of 4): never reads past the pixel's last vector's end. */
// @ts-ignore: decorator
@inline function loadPixelVector(px: usize, bytes: i32, sv: i32): v128 {
  const at = px + (<usize>sv << 4), rest = bytes - (sv << 4);
  if (rest >= 16) return v128.load(at, 0, 1);
  if (rest == 12) return i32x4.replace_lane(v128.load64_zero(at, 0, 1), 2, load<i32>(at, 8, 1));
  if (rest == 8) return v128.load64_zero(at, 0, 1);
  return v128.load32_zero(at, 0, 1);
}

/**
 * One pixel of the pair image by swizzles, and its set bits per block when DABN needs them:
 * one popcount of the interleaved bytes, A's counts in the even bytes and B's in the odd ones
 * (≤ 8·nq ≤ 128 per byte), split and summed by shuffles. Two popcounts (the second of the even
 * bytes alone) and two lane-by-lane sums ran the whole X-Conv 2–6% slower (A/B in one process,
 * AMD EPYC, the five standard shapes at f = 2, 4, 8).
 */
// @ts-ignore: decorator
@inline function gatherPixelSwizzle(px: usize, bytes: i32, idx: usize, nq: i32, nsrc: i32, dst: usize, cnt: usize, counts: bool): void {
  let acc = i8x16.splat(0);
  for (let q = 0; q < nq; q++) {
    let v = i8x16.splat(0);
    for (let sv = 0; sv < nsrc; sv++) v = v128.or(v, i8x16.swizzle(loadPixelVector(px, bytes, sv), v128.load(idx + (<usize>(q * nsrc + sv) << 4))));
    // The last vector may run past the pixel's 2·D/8 bytes (zeros there); the next pixel overwrites them.
    v128.store(dst + (<usize>q << 4), v, 0, 1);
    if (counts) acc = i8x16.add(acc, i8x16.popcnt(v));
  }
  if (counts) {
    const la = i32x4.extadd_pairwise_i16x8_u(v128.and(acc, i16x8.splat(0x00ff))), lb = i32x4.extadd_pairwise_i16x8_u(i16x8.shr_u(acc, 8));
    const zero = i32x4.splat(0);
    v128.store64_lane(cnt, hsum4I32x4(la, lb, zero, zero), 0); // [ΣA, ΣB]
  }
}

/** The SIMD body of xbconv2d: `packed` in xbconv2dPackWeights' layout. */
function xbconv2dPairs(input: usize, h: i32, w: i32, c: i32, groups: usize, inGroup: i32, d: i32,
  packed: usize, cout: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  transform: usize, flags: i32, output: usize, scratch: usize): void {
  const cw = wordsFor(c), perBlock = d / inGroup, groupBytes = inGroup >> 3, gb = d >> 3, pb = gb << 1;
  const hp = windowRows(kh, stride, outH), wp = windowRows(kw, stride, outW);
  const kb = pairPositions(d, kh, kw), used = kh * kw * gb, rowBytes = kw * pb;
  const n = kh * kw * d, blocks = (cout + 7) >> 3, pairs = (cout + 15) >> 4;
  const image = scratch;
  const ones8 = image + <usize>roundUp(hp * wp * pb + 16, 16); // per image pixel: set bits of A, of B (i32 each)
  const patch = ones8 + <usize>(hp * wp * 8);
  const src = patch + <usize>roundUp(2 * kb + 48, 16);
  const spill = src + <usize>roundUp(gb * 8, 16);
  // Pixels of ≤ 256 input bytes gather with i8x16.swizzle: output vector q of a pixel is
  // the OR over its input vectors s of swizzle(input s, idx[q][s]) (lanes from elsewhere
  // index ≥ 16, which swizzle turns into 0), one vector op per 16 bytes instead of 16 loads.
  const pixelIn = cw << 2, nsrc = (pixelIn + 15) >> 4, nq = (pb + 15) >> 4;
  const swizzled = pixelIn <= 256;
  const idx = spill + 32;
  const outCw = wordsFor(cout), pixelBytes = <usize>outCw << 2;
  const bitsOut = (flags & FLAG_BITS_OUT) != 0, relu = (flags & FLAG_RELU) != 0, needSumX = (flags & FLAG_SUM_X) != 0;
  // A filter row of whole Harley–Seal steps (8 bytes) is read in place from the image;
  // otherwise each window is first copied into a patch padded with zeros to 2·kb bytes.
  const direct = rowBytes % 8 == 0;
  const rows = direct ? kh : 1, rowLen = direct ? rowBytes : 2 * kb, rowStep = direct ? <usize>(wp * pb) : 0;
  zeroBitPadding(output, cout, outH * outW, flags);
  for (let p = 0; p < pairs; p++) {
    // Byte sources of the pair within an input pixel; −1: block B past the last block (zeros).
    const hasB = 2 * p + 1 < blocks;
    for (let j = 0; j < gb; j++) {
      store<i32>(src + (<usize>(2 * j) << 2), blockByte(groups, perBlock, groupBytes, 2 * p, j));
      store<i32>(src + (<usize>(2 * j + 1) << 2), hasB ? blockByte(groups, perBlock, groupBytes, 2 * p + 1, j) : -1);
    }
    if (swizzled) buildSwizzle(src, pb, nq, nsrc, idx);
    // The pair image: zero-padded [Hp, Wp, 2·D/8], A and B bytes interleaved, and each
    // pixel's set bits per block, so a window's Σx is kh·kw additions, not a popcount pass.
    let dst = image, cnt = ones8;
    for (let yy = 0; yy < hp; yy++) {
      const iy = yy - padTop;
      for (let xx = 0; xx < wp; xx++, dst += <usize>pb, cnt += 8) {
        const ix = xx - padLeft;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) { memory.fill(dst, 0, <usize>pb); store<u64>(cnt, 0); continue; }
        const px = input + (<usize>(iy * w + ix) * cw << 2);
        if (swizzled) { gatherPixelSwizzle(px, pixelIn, idx, nq, nsrc, dst, cnt, needSumX); continue; }
        let ca: u32 = 0, cb: u32 = 0;
        for (let j = 0; j < gb; j++) {
          const va = <u32>load<u8>(px + <usize>load<i32>(src + (<usize>(2 * j) << 2)));
          const bAt = load<i32>(src + (<usize>(2 * j + 1) << 2));
          const vb: u32 = bAt >= 0 ? <u32>load<u8>(px + <usize>bAt) : 0;
          store<u8>(dst + <usize>(2 * j), <u8>va);
          store<u8>(dst + <usize>(2 * j + 1), <u8>vb);
          ca += popcnt(va); cb += popcnt(vb);
        }
        store<u32>(cnt, ca); store<u32>(cnt, cb, 4);
      }
    }
    const wbase = packed + (<usize>(p * kb) << 4);
    const co = p << 4;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const corner = oy * stride * wp + ox * stride;
        const at = image + <usize>(corner * pb);
        let first = at;
        if (!direct) {
          // The patch: kh rows of kw pixels' 2·D/8 bytes, then zeros (copyOver's spill included).
          for (let ky = 0; ky < kh; ky++) copyOver(patch + <usize>(ky * rowBytes), at + <usize>(ky * wp * pb), rowBytes);
          v128.store(patch + <usize>(2 * used), i32x4.splat(0), 0, 1);
          v128.store(patch + <usize>(2 * used), i32x4.splat(0), 16, 1);
          first = patch;
        }
        let sumXA: f32 = 0, sumXB: f32 = 0;
        if (needSumX) {
          // A's count in the low half of each pixel's i64, B's in the high half (each < 2^31: no carry).
          let s: u64 = 0;
          for (let ky = 0; ky < kh; ky++) {
            let q = ones8 + (<usize>(corner + ky * wp) << 3);
            for (let kx2 = 0; kx2 < kw; kx2++, q += 8) s += load<u64>(q);
          }
          sumXA = <f32>(n - 2 * <i32>s); sumXB = <f32>(n - 2 * <i32>(s >>> 32));
        }
        // Harley–Seal along K over the 16 lanes, row by row; the u8 state is flushed to
        // i32 counts every U8_ACC_STEPS steps (≤ 8·31 per lane), so no filter length overflows.
        let wpx = wbase, steps = 0;
        let accA0 = i32x4.splat(0), accA1 = accA0, accB0 = accA0, accB1 = accA0;
        let ones = i8x16.splat(0), twos = ones, fours = ones;
        for (let r = 0; r < rows; r++) {
          let xp = first + <usize>r * rowStep;
          const rowEnd = xp + <usize>rowLen;
          while (xp < rowEnd) {
            const end = min(rowEnd, xp + (<usize>(U8_ACC_STEPS - steps) << 3));
            steps += <i32>((end - xp) >> 3);
            for (; xp < end; xp += 8, wpx += 64) {
              const a0 = v128.xor(v128.load16_splat(xp, 0, 1), v128.load(wpx));
              const a1 = v128.xor(v128.load16_splat(xp, 2, 1), v128.load(wpx, 16));
              const a2 = v128.xor(v128.load16_splat(xp, 4, 1), v128.load(wpx, 32));
              const a3 = v128.xor(v128.load16_splat(xp, 6, 1), v128.load(wpx, 48));
              const t1 = csaCarry(ones, a0, a1);
              ones = v128.xor(v128.xor(ones, a0), a1);
              const t2 = csaCarry(ones, a2, a3);
              ones = v128.xor(v128.xor(ones, a2), a3);
              fours = i8x16.add(fours, i8x16.popcnt(csaCarry(twos, t1, t2)));
              twos = v128.xor(v128.xor(twos, t1), t2);
            }
            if (steps == U8_ACC_STEPS || (r == rows - 1 && xp >= rowEnd)) {
              const rest = hsResidue(ones, twos);
              const lo = i16x8.add(i16x8.shl(i16x8.extend_low_i8x16_u(fours), 2), i16x8.extend_low_i8x16_u(rest));
              const hi = i16x8.add(i16x8.shl(i16x8.extend_high_i8x16_u(fours), 2), i16x8.extend_high_i8x16_u(rest));
              // Even u16 lanes are block A's filters, odd lanes block B's.
              const a = i8x16.shuffle(lo, hi, 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29);
              const b = i8x16.shuffle(lo, hi, 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
              accA0 = i32x4.add(accA0, i32x4.extend_low_i16x8_u(a)); accA1 = i32x4.add(accA1, i32x4.extend_high_i16x8_u(a));
              accB0 = i32x4.add(accB0, i32x4.extend_low_i16x8_u(b)); accB1 = i32x4.add(accB1, i32x4.extend_high_i16x8_u(b));
              ones = i8x16.splat(0); twos = ones; fours = ones; steps = 0;
            }
          }
        }
        const pos = oy * outW + ox;
        const outF = output + ((<usize>pos * cout) << 2), outByte = output + <usize>pos * pixelBytes + <usize>(2 * p);
        finishBlock(transform, cout, co, sumXA, n, accA0, accA1, bitsOut, relu, outF, outByte, spill);
        if (hasB) finishBlock(transform, cout, co + 8, sumXB, n, accB0, accB1, bitsOut, relu, outF, outByte + 1, spill);
      }
    }
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
  if (ASC_FEATURE_SIMD) {
    xbconv2dPairs(input, h, w, c, groups, inGroup, d, weights, cout, kh, kw, stride, padTop, padLeft, outH, outW, transform, flags, output, scratch);
    return;
  }
  const cw = wordsFor(c), perBlock = d / inGroup, gb = d >> 3;
  const hp = windowRows(kh, stride, outH), wp = windowRows(kw, stride, outW);
  const kx = xbconv2dFilterBytes(d, kh, kw), kpad = kx >> 2, fstride = <usize>kx;
  const n = kh * kw * d, rowBytes = kw * gb, used = kh * rowBytes;
  const image = scratch;
  const patch = scratch + <usize>roundUp(hp * wp * gb + 16, 16);
  const counts = patch + <usize>kx + 16;
  const outCw = wordsFor(cout), pixelBytes = <usize>outCw << 2;
  const bitsOut = (flags & FLAG_BITS_OUT) != 0, relu = (flags & FLAG_RELU) != 0, needSumX = (flags & FLAG_SUM_X) != 0;
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
        const sumX: f32 = needSumX ? <f32>(n - 2 * popcntPatch(patch, kpad, false)) : 0;
        const pos = oy * outW + ox;
        const outF = output + ((<usize>pos * cout + co) << 2);
        let bits: u32 = 0;
        let j = 0;
        for (; j + 4 <= nb; j += 4) {
          popcntXor4I64(patch, f0 + <usize>j * fstride, fstride, kpad, counts);
          for (let t = 0; t < 4; t++) {
            const y = transform1(transform, cout, co + j + t, sumX, <f32>(n - 2 * load<i32>(counts + (<usize>t << 2))));
            if (bitsOut) { if (y < 0) bits |= <u32>1 << (j + t); }
            else store<f32>(outF + (<usize>(j + t) << 2), relu ? relu1(y) : y);
          }
        }
        for (; j < nb; j++) {
          const pc = popcntXor1(patch, f0 + <usize>j * fstride, kpad, false);
          const y = transform1(transform, cout, co + j, sumX, <f32>(n - 2 * pc));
          if (bitsOut) { if (y < 0) bits |= <u32>1 << j; }
          else store<f32>(outF + (<usize>j << 2), relu ? relu1(y) : y);
        }
        if (bitsOut) store<u8>(output + <usize>pos * pixelBytes + <usize>(co >> 3), <u8>bits);
      }
    }
  }
}
