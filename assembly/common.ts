// Shared helpers for every kernel family. Pointers are byte offsets (usize)
// into linear memory; nothing here allocates.

/** Number of u32 words that hold `c` bits (channels-last bit packing). */
// @ts-ignore: decorator
@inline export function wordsFor(c: i32): i32 {
  return (c + 31) >> 5;
}

/** Rounds `x` up to a multiple of `m` (a power of two). */
// @ts-ignore: decorator
@inline export function roundUp(x: i32, m: i32): i32 {
  return (x + m - 1) & ~(m - 1);
}

/** Words in one binary filter/patch: kh·kw·Cw rounded up to a whole v128 (4 words). */
// @ts-ignore: decorator
@inline export function patchWords(c: i32, kh: i32, kw: i32): i32 {
  return roundUp(kh * kw * wordsFor(c), 4);
}

/** Mask of the valid bits in the last word of a c-bit row. */
// @ts-ignore: decorator
@inline export function lastWordMask(c: i32): u32 {
  const r = c & 31;
  return r == 0 ? 0xffffffff : ((<u32>1 << r) - 1);
}

/** Sum of the four i32 lanes. */
// @ts-ignore: decorator
@inline export function hsumI32x4(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/**
 * Widens an i8x16 popcount accumulator to i32x4. Lanes are u8 counts; an
 * accumulator may absorb at most 31 popcnt vectors (31·8 = 248 ≤ 255) before this.
 */
// @ts-ignore: decorator
@inline export function widenU8(acc: v128): v128 {
  return i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(acc));
}

/** Horizontal sums of four i32x4 vectors as one i32x4: [Σa, Σb, Σc, Σd]. */
// @ts-ignore: decorator
@inline export function hsum4I32x4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 4, 2, 6), i32x4.shuffle(a, b, 1, 5, 3, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 4, 2, 6), i32x4.shuffle(c, d, 1, 5, 3, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/** Most popcnt vectors one u8 accumulator lane may absorb before widening. */
export const U8_ACC_STEPS: i32 = 31;

/** Stores the first `n` (1..3) f32 lanes of `v` at `ptr`. */
// @ts-ignore: decorator
@inline export function storeF32Lanes(ptr: usize, v: v128, n: i32): void {
  store<f32>(ptr, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(ptr, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(ptr, f32x4.extract_lane(v, 2), 8);
}

/** Loads `n` (1..3) f32 values from `ptr` into the low lanes, zeros above. */
// @ts-ignore: decorator
@inline export function loadF32Lanes(ptr: usize, n: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(ptr));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(ptr, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(ptr, 8));
  return v;
}
