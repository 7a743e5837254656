// Binary convolution: binary (bit-packed) inputs × binary weights, XOR + popcount.
//
// Layouts (see ARCHITECTURE.md): input [H, W, Cw] words; weights [Cout, Kpad]
// words, a filter's patch in (ky, kx, cw) order, Kpad = roundUp(kh·kw·Cw, 4),
// padding bits and words zero. Spatial padding is +1 (all-zero words).
// n = kh·kw·C real bits per window; dot = n − 2·popcount(x ^ w);
// sumX = n − 2·popcount(x); the output transform is transform.ts.
//
// Popcount accumulator bound: u8 lanes take ≤ 31 vectors between widenings; the
// i32 totals hold any n that fits the format (n < 2^31).
import { roundUp, wordsFor, patchWords, widenU8, hsum4I32x4, hsumI32x4, U8_ACC_STEPS } from "./common";
import { transform1, transform4, relu1, relu4, FLAG_RELU, FLAG_BITS_OUT, FLAG_SUM_X } from "./transform";

// ---------------------------------------------------------------------------
// Reference: direct loops over (ky, kx, cw) with bounds checks, one channel at a time.

export function bconv2dReference(input: usize, h: i32, w: i32, c: i32, weights: usize, cout: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  transform: usize, flags: i32, output: usize, scratch: usize): void {
  const cw = wordsFor(c);
  const kpad = patchWords(c, kh, kw);
  const n = kh * kw * c;
  const outCw = wordsFor(cout);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      const iy0 = oy * stride - padTop, ix0 = ox * stride - padLeft;
      let pcx = 0;
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const iy = iy0 + ky, ix = ix0 + kx;
          if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
          for (let j = 0; j < cw; j++) pcx += popcnt<u32>(load<u32>(input + ((<usize>(iy * w + ix) * cw + j) << 2)));
        }
      }
      const sumX = <f32>(n - 2 * pcx);
      const pos = oy * outW + ox;
      let word: u32 = 0;
      for (let o = 0; o < cout; o++) {
        const filter = weights + (<usize>o * kpad << 2);
        let pc = 0;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const iy = iy0 + ky, ix = ix0 + kx;
            const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            for (let j = 0; j < cw; j++) {
              const x: u32 = inside ? load<u32>(input + ((<usize>(iy * w + ix) * cw + j) << 2)) : 0;
              pc += popcnt<u32>(x ^ load<u32>(filter + (<usize>((ky * kw + kx) * cw + j) << 2)));
            }
          }
        }
        const y = transform1(transform, cout, o, sumX, <f32>(n - 2 * pc));
        if (flags & FLAG_BITS_OUT) {
          if (y < 0) word |= <u32>1 << (o & 31);
          if ((o & 31) == 31 || o == cout - 1) {
            store<u32>(output + ((<usize>pos * outCw + (o >> 5)) << 2), word);
            word = 0;
          }
        } else {
          store<f32>(output + ((<usize>pos * cout + o) << 2), flags & FLAG_RELU ? relu1(y) : y);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Optimized: gather each window once into a zero-padded patch (scratch, Kpad
// words), then stream all filters over it, four at a time.

export function bconv2dScratchBytes(c: i32, kh: i32, kw: i32, stride: i32, outH: i32, outW: i32, cout: i32): i32 {
  return (patchWords(c, kh, kw) << 2) + 64; // the patch, then up to 16 i32 counts
}

// @ts-ignore: decorator
@inline function copyWords(dst: usize, src: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  }
  for (; i < n; i++) store<u32>(dst + (<usize>i << 2), load<u32>(src + (<usize>i << 2)));
}

// @ts-ignore: decorator
@inline function zeroWords(dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u32>(dst + (<usize>i << 2), 0);
}

/** Copies the window at (iy0, ix0) into `patch` in (ky, kx, cw) order; +1 padding is zero words. */
function gatherPatch(input: usize, h: i32, w: i32, cw: i32, kh: i32, kw: i32, iy0: i32, ix0: i32, patch: usize, kpad: i32): void {
  const rowWords = kw * cw;
  let q = patch;
  for (let ky = 0; ky < kh; ky++, q += <usize>rowWords << 2) {
    const iy = iy0 + ky;
    if (iy < 0 || iy >= h) { zeroWords(q, rowWords); continue; }
    if (ix0 >= 0 && ix0 + kw <= w) {
      copyWords(q, input + (<usize>(iy * w + ix0) * cw << 2), rowWords);
      continue;
    }
    for (let kx = 0; kx < kw; kx++) {
      const ix = ix0 + kx;
      const dst = q + (<usize>(kx * cw) << 2);
      if (ix < 0 || ix >= w) zeroWords(dst, cw);
      else copyWords(dst, input + (<usize>(iy * w + ix) * cw << 2), cw);
    }
  }
  zeroWords(q, kpad - kh * rowWords);
}

/** popcount(patch) over kpad words (kpad a multiple of 4). */
export function popcntPatch(patch: usize, kpad: i32, simd: bool): i32 {
  if (ASC_FEATURE_SIMD && simd) {
    let total = i32x4.splat(0);
    let k = 0;
    const kv = kpad >> 2;
    while (k < kv) {
      const end = min(kv, k + U8_ACC_STEPS);
      let acc = i8x16.splat(0);
      for (; k < end; k++) acc = i8x16.add(acc, i8x16.popcnt(v128.load(patch + (<usize>k << 4))));
      total = i32x4.add(total, widenU8(acc));
    }
    return hsumI32x4(total);
  }
  let s: i64 = 0;
  for (let k = 0; k < kpad; k += 2) s += popcnt<i64>(load<i64>(patch + (<usize>k << 2)));
  return <i32>s;
}

/** popcount(patch ^ filter) for one filter. */
export function popcntXor1(patch: usize, filter: usize, kpad: i32, simd: bool): i32 {
  if (ASC_FEATURE_SIMD && simd) {
    let total = i32x4.splat(0);
    let k = 0;
    const kv = kpad >> 2;
    while (k < kv) {
      const end = min(kv, k + U8_ACC_STEPS);
      let acc = i8x16.splat(0);
      for (; k < end; k++) {
        const off = <usize>k << 4;
        acc = i8x16.add(acc, i8x16.popcnt(v128.xor(v128.load(patch + off), v128.load(filter + off))));
      }
      total = i32x4.add(total, widenU8(acc));
    }
    return hsumI32x4(total);
  }
  let s: i64 = 0;
  for (let k = 0; k < kpad; k += 2) {
    const off = <usize>k << 2;
    s += popcnt<i64>(load<i64>(patch + off) ^ load<i64>(filter + off));
  }
  return <i32>s;
}

/** popcount(patch ^ filter_j) for four consecutive filters, as i32x4. */
// @ts-ignore: decorator
@inline export function popcntXor4Simd(patch: usize, f0: usize, fstride: usize, kpad: i32): v128 {
  // Five loop-carried pointers: cheaper than letting the optimizer recompute
  // f0 + j·fstride inside the loop (it did, with the stride spilled).
  let f1 = f0 + fstride, f2 = f1 + fstride, f3 = f2 + fstride;
  let x = patch;
  let t0 = i32x4.splat(0), t1 = t0, t2 = t0, t3 = t0;
  const end = patch + (<usize>kpad << 2);
  while (x < end) {
    const chunkEnd = min(end, x + (<usize>U8_ACC_STEPS << 4));
    let a0 = i8x16.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (; x < chunkEnd; x += 16, f0 += 16, f1 += 16, f2 += 16, f3 += 16) {
      const v = v128.load(x);
      a0 = i8x16.add(a0, i8x16.popcnt(v128.xor(v, v128.load(f0))));
      a1 = i8x16.add(a1, i8x16.popcnt(v128.xor(v, v128.load(f1))));
      a2 = i8x16.add(a2, i8x16.popcnt(v128.xor(v, v128.load(f2))));
      a3 = i8x16.add(a3, i8x16.popcnt(v128.xor(v, v128.load(f3))));
    }
    t0 = i32x4.add(t0, widenU8(a0));
    t1 = i32x4.add(t1, widenU8(a1));
    t2 = i32x4.add(t2, widenU8(a2));
    t3 = i32x4.add(t3, widenU8(a3));
  }
  return hsum4I32x4(t0, t1, t2, t3);
}

/** Carry-save adder: a + b + c = sum + 2·carry, bitwise. */
// @ts-ignore: decorator
@inline export function csaCarry(a: v128, b: v128, c: v128): v128 {
  return v128.or(v128.and(a, b), v128.and(v128.xor(a, b), c));
}

/** What a Harley–Seal pass leaves in `ones` and `twos`: popcnt(ones) + 2·popcnt(twos) per byte lane (≤ 24). */
// @ts-ignore: decorator
@inline export function hsResidue(ones: v128, twos: v128): v128 {
  return i8x16.add(i8x16.popcnt(ones), i8x16.add(i8x16.popcnt(twos), i8x16.popcnt(twos)));
}

/**
 * popcount(patch ^ filter) for one filter, Harley–Seal style: four XOR vectors
 * are folded by carry-save adders into (ones, twos, fours) and only `fours` is
 * popcounted, so a popcount (≈10 x86 instructions in V8) costs once per 4
 * vectors instead of every vector. Exact for any kpad.
 */
// @ts-ignore: decorator
@inline function popcntXor1HS(patch: usize, f: usize, kv: i32): v128 {
  let ones = i32x4.splat(0), twos = ones, total = ones;
  let k = 0;
  const groups = kv & ~3;
  while (k < groups) {
    const end = min(groups, k + 4 * U8_ACC_STEPS);
    let fours = i8x16.splat(0);
    for (; k < end; k += 4) {
      const off = <usize>k << 4;
      const a0 = v128.xor(v128.load(patch + off), v128.load(f + off));
      const a1 = v128.xor(v128.load(patch + off, 16), v128.load(f + off, 16));
      const a2 = v128.xor(v128.load(patch + off, 32), v128.load(f + off, 32));
      const a3 = v128.xor(v128.load(patch + off, 48), v128.load(f + off, 48));
      const t1 = csaCarry(ones, a0, a1);
      ones = v128.xor(v128.xor(ones, a0), a1);
      const t2 = csaCarry(ones, a2, a3);
      ones = v128.xor(v128.xor(ones, a2), a3);
      const c4 = csaCarry(twos, t1, t2);
      twos = v128.xor(v128.xor(twos, t1), t2);
      fours = i8x16.add(fours, i8x16.popcnt(c4));
    }
    total = i32x4.add(total, i32x4.shl(widenU8(fours), 2));
  }
  // ones and twos hold ≤ 1 bit per position: one popcnt each, then the < 4 leftover vectors.
  let rest = hsResidue(ones, twos);
  for (; k < kv; k++) {
    const off = <usize>k << 4;
    rest = i8x16.add(rest, i8x16.popcnt(v128.xor(v128.load(patch + off), v128.load(f + off))));
  }
  return i32x4.add(total, widenU8(rest));
}

/** Harley–Seal for four filters: [Σ lanes of each] as i32x4. */
// @ts-ignore: decorator
@inline function popcntXor4HS(patch: usize, f0: usize, fstride: usize, kv: i32): v128 {
  return hsum4I32x4(popcntXor1HS(patch, f0, kv), popcntXor1HS(patch, f0 + fstride, kv),
    popcntXor1HS(patch, f0 + 2 * fstride, kv), popcntXor1HS(patch, f0 + 3 * fstride, kv));
}

/** Fewest vectors per filter at which Harley–Seal beats one popcount per vector (measured, tools/bench). */
const HS_MIN_VECTORS: i32 = 32;

/** Scalar i64.popcnt (one x86 POPCNT per 64 bits) for four filters; counts to `counts[0..3]`. */
// @ts-ignore: decorator
@inline export function popcntXor4I64(patch: usize, f0: usize, fstride: usize, kpad: i32, counts: usize): void {
  const f1 = f0 + fstride, f2 = f1 + fstride, f3 = f2 + fstride;
  let s0: i64 = 0, s1: i64 = 0, s2: i64 = 0, s3: i64 = 0;
  for (let k = 0; k < kpad; k += 2) {
    const off = <usize>k << 2;
    const x = load<i64>(patch + off);
    s0 += popcnt<i64>(x ^ load<i64>(f0 + off));
    s1 += popcnt<i64>(x ^ load<i64>(f1 + off));
    s2 += popcnt<i64>(x ^ load<i64>(f2 + off));
    s3 += popcnt<i64>(x ^ load<i64>(f3 + off));
  }
  store<i32>(counts, <i32>s0);
  store<i32>(counts, <i32>s1, 4);
  store<i32>(counts, <i32>s2, 8);
  store<i32>(counts, <i32>s3, 12);
}

/** popcount(patch ^ filter) with i64.popcnt, unrolled over one v128 (kpad is a multiple of 4). */
// @ts-ignore: decorator
@inline function popcntXor1I64(patch: usize, f: usize, kpad: i32): i32 {
  let s0: i64 = 0, s1: i64 = 0;
  for (let k = 0; k < kpad; k += 4) {
    const off = <usize>k << 2;
    s0 += popcnt<i64>(load<i64>(patch + off) ^ load<i64>(f + off));
    s1 += popcnt<i64>(load<i64>(patch + off, 8) ^ load<i64>(f + off, 8));
  }
  return <i32>(s0 + s1);
}

/**
 * Two filters on the vector unit (Harley–Seal or one popcnt per vector) and two
 * on the scalar POPCNT unit, interleaved, so both kinds of execution port work.
 */
// @ts-ignore: decorator
@inline function popcntXor4Mixed(patch: usize, f0: usize, fstride: usize, kpad: i32): v128 {
  const kv = kpad >> 2;
  const v0 = kv >= HS_MIN_VECTORS ? popcntXor1HS(patch, f0, kv) : widenU8(popcntXor1Short(patch, f0, kv));
  const v1 = kv >= HS_MIN_VECTORS ? popcntXor1HS(patch, f0 + fstride, kv) : widenU8(popcntXor1Short(patch, f0 + fstride, kv));
  const s2 = popcntXor1I64(patch, f0 + 2 * fstride, kpad);
  const s3 = popcntXor1I64(patch, f0 + 3 * fstride, kpad);
  return i32x4.replace_lane(i32x4.replace_lane(hsum4I32x4(v0, v1, i32x4.splat(0), i32x4.splat(0)), 2, s2), 3, s3);
}

/** Per-vector popcnt for kv ≤ 31 vectors, as u8 lanes. */
// @ts-ignore: decorator
@inline function popcntXor1Short(patch: usize, f: usize, kv: i32): v128 {
  let acc = i8x16.splat(0);
  for (let k = 0; k < kv; k++) {
    const off = <usize>k << 4;
    acc = i8x16.add(acc, i8x16.popcnt(v128.xor(v128.load(patch + off), v128.load(f + off))));
  }
  return acc;
}

/** Inner-loop strategies for the four-filter popcount (bconv2dWith; bconv2d picks by measurement). */
export const INNER_POPCNT8: i32 = 0;   // i8x16.popcnt on every XOR vector
export const INNER_HARLEY_SEAL: i32 = 1; // carry-save adders, one i8x16.popcnt per 4 vectors
export const INNER_POPCNT64: i32 = 2;  // scalar i64.popcnt
export const INNER_MIXED: i32 = 3;     // two filters SIMD, two scalar

function bconv2dGathered(input: usize, h: i32, w: i32, c: i32, weights: usize, cout: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  transform: usize, flags: i32, output: usize, scratch: usize, inner: i32): void {
  const simd = inner != INNER_POPCNT64;
  const cw = wordsFor(c);
  const kpad = patchWords(c, kh, kw);
  const fstride = <usize>kpad << 2;
  const n = kh * kw * c;
  const outCw = wordsFor(cout);
  const patch = scratch;
  const bitsOut = (flags & FLAG_BITS_OUT) != 0;
  const relu = (flags & FLAG_RELU) != 0;
  const counts = scratch + fstride; // four i32 for the i64 path (see bconv2dScratchBytes)
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      gatherPatch(input, h, w, cw, kh, kw, oy * stride - padTop, ox * stride - padLeft, patch, kpad);
      const sumX: f32 = flags & FLAG_SUM_X ? <f32>(n - 2 * popcntPatch(patch, kpad, simd)) : 0;
      const pos = oy * outW + ox;
      const outF = output + (<usize>pos * cout << 2);
      const outB = output + (<usize>pos * outCw << 2);
      let word: u32 = 0;
      let o = 0;
      if (ASC_FEATURE_SIMD) {
        const sumX4 = f32x4.splat(sumX);
        const n4 = i32x4.splat(n);
        for (; o + 4 <= cout; o += 4) {
          const f0 = weights + <usize>o * fstride;
          let pc: v128;
          if (inner == INNER_POPCNT8) pc = popcntXor4Simd(patch, f0, fstride, kpad);
          else if (inner == INNER_HARLEY_SEAL) pc = popcntXor4HS(patch, f0, fstride, kpad >> 2);
          else if (inner == INNER_MIXED) pc = popcntXor4Mixed(patch, f0, fstride, kpad);
          else { popcntXor4I64(patch, f0, fstride, kpad, counts); pc = v128.load(counts); }
          const y = transform4(transform, cout, o, sumX4, f32x4.convert_i32x4_s(i32x4.sub(n4, i32x4.shl(pc, 1))));
          if (bitsOut) {
            word |= <u32>i32x4.bitmask(f32x4.lt(y, f32x4.splat(0))) << (o & 31);
            if (((o + 4) & 31) == 0) { store<u32>(outB + (<usize>(o >> 5) << 2), word); word = 0; }
          } else {
            v128.store(outF + (<usize>o << 2), relu ? relu4(y) : y);
          }
        }
      } else {
        for (; o + 4 <= cout; o += 4) {
          popcntXor4I64(patch, weights + <usize>o * fstride, fstride, kpad, counts);
          for (let j = 0; j < 4; j++) {
            const y = transform1(transform, cout, o + j, sumX, <f32>(n - 2 * load<i32>(counts + (<usize>j << 2))));
            if (bitsOut) {
              if (y < 0) word |= <u32>1 << ((o + j) & 31);
            } else {
              store<f32>(outF + (<usize>(o + j) << 2), relu ? relu1(y) : y);
            }
          }
          if (bitsOut && ((o + 4) & 31) == 0) { store<u32>(outB + (<usize>(o >> 5) << 2), word); word = 0; }
        }
      }
      for (; o < cout; o++) {
        const pc = popcntXor1(patch, weights + <usize>o * fstride, kpad, simd);
        const y = transform1(transform, cout, o, sumX, <f32>(n - 2 * pc));
        if (bitsOut) {
          if (y < 0) word |= <u32>1 << (o & 31);
          if (((o + 1) & 31) == 0) { store<u32>(outB + (<usize>(o >> 5) << 2), word); word = 0; }
        } else {
          store<f32>(outF + (<usize>o << 2), relu ? relu1(y) : y);
        }
      }
      if (bitsOut && (cout & 31) != 0) store<u32>(outB + (<usize>(cout >> 5) << 2), word);
    }
  }
}

/**
 * `weights` in the layout bconv2dPackWeights produces (the file layout goes
 * through it once, at load). Preconditions: c, cout, kh, kw, stride, outH, outW ≥ 1;
 * 0 ≤ padTop < kh, 0 ≤ padLeft < kw; scratch holds bconv2dScratchBytes(...) bytes;
 * output does not overlap input or scratch.
 */
export function bconv2d(input: usize, h: i32, w: i32, c: i32, weights: usize, cout: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  transform: usize, flags: i32, output: usize, scratch: usize): void {
  assert(c > 0 && cout > 0 && kh > 0 && kw > 0 && stride > 0 && outH > 0 && outW > 0, "bconv2d: sizes");
  assert(padTop >= 0 && padTop < kh && padLeft >= 0 && padLeft < kw, "bconv2d: padding");
  if (ASC_FEATURE_SIMD) {
    if (usesLanes(c, kh, kw)) {
      bconv2dLanes(input, h, w, c, weights, cout, kh, kw, stride, padTop, padLeft, outH, outW, transform, flags, output, scratch);
      return;
    }
  }
  bconv2dGathered(input, h, w, c, weights, cout, kh, kw, stride, padTop, padLeft, outH, outW, transform, flags, output, scratch, chooseInner(patchWords(c, kh, kw) >> 2));
}

/** The inner loop bconv2d uses for filters of `kv` vectors (thresholds from npm run bench:kernels). */
function chooseInner(kv: i32): i32 {
  return kv >= HS_MIN_VECTORS ? INNER_HARLEY_SEAL : INNER_POPCNT8;
}

/** The gathered kernel with an explicit inner loop (INNER_*) on file-layout weights, for tests and benchmarks. */
export function bconv2dWith(inner: i32, input: usize, h: i32, w: i32, c: i32, weights: usize, cout: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  transform: usize, flags: i32, output: usize, scratch: usize): void {
  bconv2dGathered(input, h, w, c, weights, cout, kh, kw, stride, padTop, padLeft, outH, outW, transform, flags, output, scratch, inner);
}

/**
 * The XOR + popcount ceiling on this engine: the inner loop of bconv2d with no
 * gather, transform or stores, over `kv` vectors already in cache, `reps` times.
 * Returns a checksum so the work cannot be removed.
 */
export function xorPopcntCeiling(a: usize, b: usize, kv: i32, reps: i32): i32 {
  let sum = 0;
  const fstride = <usize>kv << 4;
  for (let r = 0; r < reps; r++) {
    if (ASC_FEATURE_SIMD) sum += hsumI32x4(popcntXor4Simd(a, b, fstride, kv << 2));
    else sum += popcntXor1(a, b, kv << 2, false);
  }
  return sum;
}

// ---------------------------------------------------------------------------
// Output channels in lanes, for short filters. With few vectors per filter the
// per-output horizontal reduction above costs as much as the popcounts, so the
// weights of 16 filters are interleaved byte by byte, [ceil(Cout/16), Kbytes, 16]
// (Kbytes = lanesKBytes: kh·kw taps of lanesTapBytes each, filters past Cout zero):
// one XOR against a splatted patch byte and one popcnt count 8 inputs for 16
// filters, each in its own lane.

/**
 * Filters up to this many bytes use the lanes layout. Lanes vs the gathered loop, both with
 * Harley–Seal, bench:kernels 3×3 shapes: Intel Xeon 288 B a wash, 576 B 0.83×; AMD EPYC (Zen 4)
 * 288 B 1.30× (151 → 197 GMAC/s), 576 B 1.17×. 288 B wins or ties on both; 576 B splits them
 * (Intel's splat loads compete with popcnt's shuffles for one port), so it stays gathered.
 */
const LANES_MAX_BYTES: i32 = 288;

// @ts-ignore: decorator
@inline function usesLanes(c: i32, kh: i32, kw: i32): bool {
  return ASC_FEATURE_SIMD && kh * kw * wordsFor(c) * 4 <= LANES_MAX_BYTES;
}

/** Bytes of the weight layout bconv2d reads (see bconv2dPackWeights). */
export function bconv2dPackedBytes(c: i32, kh: i32, kw: i32, cout: i32): i32 {
  if (usesLanes(c, kh, kw)) return ((cout + 15) >> 4) * lanesKBytes(c, kh, kw) * 16;
  return cout * patchWords(c, kh, kw) * 4;
}

/**
 * Bytes of one tap of a lanes patch: the pixel's whole words, except that a pixel of
 * one word keeps only the bytes that hold channels (C = 8: 1 of 4). The others are
 * padding bits, zero in input and filter alike, and XOR-counting them cost the small
 * early layers (ResNet stage 1, C = 8 at 28×28) 2–4× their useful work.
 */
// @ts-ignore: decorator
@inline function lanesTapBytes(c: i32): i32 {
  return c <= 24 ? (c + 7) >> 3 : wordsFor(c) << 2;
}

/** Bytes of a lanes filter and patch: kh·kw taps, zero-padded to a whole Harley–Seal step (4 bytes). */
// @ts-ignore: decorator
@inline function lanesKBytes(c: i32, kh: i32, kw: i32): i32 {
  return roundUp(kh * kw * lanesTapBytes(c), 4);
}

/**
 * Converts filters from the file layout [Cout, Kpad] words (EXPORTS.md) to the
 * layout bconv2d reads on this build: the same for long filters and the scalar
 * build, the lanes layout for short filters on SIMD. `dst` holds
 * bconv2dPackedBytes bytes and does not overlap `weights`.
 */
export function bconv2dPackWeights(weights: usize, c: i32, kh: i32, kw: i32, cout: i32, dst: usize): void {
  const kpad = patchWords(c, kh, kw);
  if (!usesLanes(c, kh, kw)) {
    memory.copy(dst, weights, <usize>cout * kpad * 4);
    return;
  }
  // Byte k of a lanes filter is byte k % tb of tap k / tb of the file's filter (taps of
  // Cw words); bytes past the last tap and filters past Cout are zero.
  const tb = lanesTapBytes(c), tapBytes = wordsFor(c) << 2, used = kh * kw * tb;
  const kbytes = lanesKBytes(c, kh, kw);
  const blocks = (cout + 15) >> 4;
  for (let b = 0; b < blocks; b++) {
    for (let k = 0; k < kbytes; k++) {
      const at = (k / tb) * tapBytes + k % tb;
      for (let j = 0; j < 16; j++) {
        const o = b * 16 + j;
        store<u8>(dst + (<usize>(b * kbytes + k) << 4) + j, o < cout && k < used ? load<u8>(weights + <usize>(o * kpad * 4 + at)) : 0);
      }
    }
  }
}

/**
 * The lanes patch of the window at (iy0, ix0): per tap the pixel's first `tb` bytes (tb < 4).
 * Each tap stores a whole word, overwriting the previous one's spare bytes; the last
 * one's are cleared, and the patch past them was zeroed once (bconv2dLanes).
 */
// @ts-ignore: decorator
@inline function gatherPatchBytes(input: usize, h: i32, w: i32, kh: i32, kw: i32, tb: i32, iy0: i32, ix0: i32, patch: usize): void {
  let q = patch;
  if (iy0 >= 0 && iy0 + kh <= h && ix0 >= 0 && ix0 + kw <= w) {
    for (let ky = 0; ky < kh; ky++) {
      let px = input + (<usize>((iy0 + ky) * w + ix0) << 2);
      for (let kx = 0; kx < kw; kx++, q += <usize>tb, px += 4) store<u32>(q, load<u32>(px), 0, 1);
    }
  } else {
    for (let ky = 0; ky < kh; ky++) {
      const iy = iy0 + ky;
      for (let kx = 0; kx < kw; kx++, q += <usize>tb) {
        const ix = ix0 + kx;
        store<u32>(q, iy < 0 || iy >= h || ix < 0 || ix >= w ? 0 : load<u32>(input + (<usize>(iy * w + ix) << 2)), 0, 1);
      }
    }
  }
  store<u32>(q, 0, 0, 1);
}

function bconv2dLanes(input: usize, h: i32, w: i32, c: i32, packed: usize, cout: i32,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  transform: usize, flags: i32, output: usize, scratch: usize): void {
  const cw = wordsFor(c);
  const kpad = patchWords(c, kh, kw);
  const tb = lanesTapBytes(c), compact = tb < (cw << 2);
  const kbytes = lanesKBytes(c, kh, kw);
  // popcntPatch's length in words: the compact patch is zero to a whole vector.
  const sumWords = compact ? roundUp(kh * kw * tb + 4, 16) >> 2 : kpad;
  if (compact) memory.fill(scratch, 0, <usize>sumWords << 2);
  const n = kh * kw * c;
  const outCw = wordsFor(cout);
  const patch = scratch;
  const lanesOut = scratch + (<usize>kpad << 2); // 16 i32 counts for a partial last block
  const bitsOut = (flags & FLAG_BITS_OUT) != 0;
  const relu = (flags & FLAG_RELU) != 0;
  const blocks = (cout + 15) >> 4;
  const n4 = i32x4.splat(n);
  const zero = f32x4.splat(0);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      if (compact) gatherPatchBytes(input, h, w, kh, kw, tb, oy * stride - padTop, ox * stride - padLeft, patch);
      else gatherPatch(input, h, w, cw, kh, kw, oy * stride - padTop, ox * stride - padLeft, patch, kpad);
      const sumX: f32 = flags & FLAG_SUM_X ? <f32>(n - 2 * popcntPatch(patch, sumWords, true)) : 0;
      const sumX4 = f32x4.splat(sumX);
      const pos = oy * outW + ox;
      const outF = output + (<usize>pos * cout << 2);
      const outB = output + (<usize>pos * outCw << 2);
      let word: u32 = 0;
      for (let b = 0; b < blocks; b++) {
        let wp = packed + (<usize>(b * kbytes) << 4);
        let xp = patch;
        const xEnd = patch + <usize>kbytes;
        let lo = i16x8.splat(0), hi = lo; // u16 mismatch counts of filters 0-7 and 8-15
        // Harley–Seal along K (kbytes is a multiple of 4): lane j stays filter j through
        // the bitwise carry-save adders, so one popcnt counts 4 bytes (sketch net conv2/3:
        // 1.15-1.2x). Two blocks per patch pass sharing the splats measured 5% slower.
        while (xp < xEnd) {
          const chunkEnd = min(xEnd, xp + (<usize>U8_ACC_STEPS << 2));
          let ones = i8x16.splat(0), twos = ones, fours = ones;
          for (; xp < chunkEnd; xp += 4, wp += 64) {
            const a0 = v128.xor(v128.load8_splat(xp), v128.load(wp));
            const a1 = v128.xor(v128.load8_splat(xp, 1), v128.load(wp, 16));
            const a2 = v128.xor(v128.load8_splat(xp, 2), v128.load(wp, 32));
            const a3 = v128.xor(v128.load8_splat(xp, 3), v128.load(wp, 48));
            const t1 = csaCarry(ones, a0, a1);
            ones = v128.xor(v128.xor(ones, a0), a1);
            const t2 = csaCarry(ones, a2, a3);
            ones = v128.xor(v128.xor(ones, a2), a3);
            fours = i8x16.add(fours, i8x16.popcnt(csaCarry(twos, t1, t2)));
            twos = v128.xor(v128.xor(twos, t1), t2);
          }
          // fours ≤ 8·31 per lane; ones + 2·twos ≤ 24: both fit u8 before widening.
          const rest = hsResidue(ones, twos);
          lo = i16x8.add(lo, i16x8.add(i16x8.shl(i16x8.extend_low_i8x16_u(fours), 2), i16x8.extend_low_i8x16_u(rest)));
          hi = i16x8.add(hi, i16x8.add(i16x8.shl(i16x8.extend_high_i8x16_u(fours), 2), i16x8.extend_high_i8x16_u(rest)));
        }
        // u16 cannot overflow: kbytes ≤ LANES_MAX_BYTES, so a count is ≤ 8·kbytes.
        const o = b << 4;
        const d0 = f32x4.convert_i32x4_s(i32x4.sub(n4, i32x4.shl(i32x4.extend_low_i16x8_u(lo), 1)));
        const d1 = f32x4.convert_i32x4_s(i32x4.sub(n4, i32x4.shl(i32x4.extend_high_i16x8_u(lo), 1)));
        const d2 = f32x4.convert_i32x4_s(i32x4.sub(n4, i32x4.shl(i32x4.extend_low_i16x8_u(hi), 1)));
        const d3 = f32x4.convert_i32x4_s(i32x4.sub(n4, i32x4.shl(i32x4.extend_high_i16x8_u(hi), 1)));
        if (o + 16 <= cout) {
          const y0 = transform4(transform, cout, o, sumX4, d0), y1 = transform4(transform, cout, o + 4, sumX4, d1);
          const y2 = transform4(transform, cout, o + 8, sumX4, d2), y3 = transform4(transform, cout, o + 12, sumX4, d3);
          if (bitsOut) {
            const bits16 = <u32>i32x4.bitmask(f32x4.lt(y0, zero)) | (<u32>i32x4.bitmask(f32x4.lt(y1, zero)) << 4) |
              (<u32>i32x4.bitmask(f32x4.lt(y2, zero)) << 8) | (<u32>i32x4.bitmask(f32x4.lt(y3, zero)) << 12);
            word |= bits16 << (o & 31);
            if ((o & 31) == 16 || o + 16 == cout) { store<u32>(outB + (<usize>(o >> 5) << 2), word); word = 0; }
          } else {
            v128.store(outF + (<usize>o << 2), relu ? relu4(y0) : y0);
            v128.store(outF + (<usize>o << 2), relu ? relu4(y1) : y1, 16);
            v128.store(outF + (<usize>o << 2), relu ? relu4(y2) : y2, 32);
            v128.store(outF + (<usize>o << 2), relu ? relu4(y3) : y3, 48);
          }
        } else {
          // Last, partial block: whole groups of 4 valid lanes vectorized, the rest
          // scalar (the transform arrays end at Cout; Cout = 8 layers were all scalar).
          v128.store(lanesOut, d0); v128.store(lanesOut, d1, 16); v128.store(lanesOut, d2, 32); v128.store(lanesOut, d3, 48);
          let j = 0;
          for (; o + j + 4 <= cout; j += 4) {
            const y = transform4(transform, cout, o + j, sumX4, v128.load(lanesOut + (<usize>j << 2)));
            if (bitsOut) word |= <u32>i32x4.bitmask(f32x4.lt(y, zero)) << ((o + j) & 31);
            else v128.store(outF + (<usize>(o + j) << 2), relu ? relu4(y) : y);
          }
          for (; o + j < cout; j++) {
            const y = transform1(transform, cout, o + j, sumX, load<f32>(lanesOut + (<usize>j << 2)));
            if (bitsOut) {
              if (y < 0) word |= <u32>1 << ((o + j) & 31);
            } else {
              store<f32>(outF + (<usize>(o + j) << 2), relu ? relu1(y) : y);
            }
          }
          if (bitsOut) store<u32>(outB + (<usize>(o >> 5) << 2), word);
        }
      }
    }
  }
}
