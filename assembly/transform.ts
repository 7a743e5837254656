// The output transform of every binary-weight kernel, written once: a scalar
// form (one channel) and a SIMD form (four channels) doing the same IEEE f32
// operations in the same order, so reference and SIMD results are bit-identical.
//
//   y = A[o]·sumX + B[o]·dot + C[o]
//
// `dot` is the ±1 dot product of window and filter, `sumX` the window's Σx
// (both integers for binary inputs, float sums for float inputs). The caller
// then writes y (optionally ReLU'd) or the next layer's sign bit (y < 0).
// Transform memory: f32 [A(Cout) | B(Cout) | C(Cout)].

export const FLAG_RELU: i32 = 1;
export const FLAG_BITS_OUT: i32 = 2;
export const FLAG_SUM_X: i32 = 4;

// @ts-ignore: decorator
@inline export function transform1(transform: usize, cout: i32, o: i32, sumX: f32, dot: f32): f32 {
  const p = transform + (<usize>o << 2);
  const a = load<f32>(p);
  const b = load<f32>(p + (<usize>cout << 2));
  const c = load<f32>(p + (<usize>cout << 3));
  return (a * sumX + b * dot) + c;
}

/** Channels o..o+3; needs o + 4 <= cout. */
// @ts-ignore: decorator
@inline export function transform4(transform: usize, cout: i32, o: i32, sumX: v128, dot: v128): v128 {
  const p = transform + (<usize>o << 2);
  const a = v128.load(p);
  const b = v128.load(p + (<usize>cout << 2));
  const c = v128.load(p + (<usize>cout << 3));
  return f32x4.add(f32x4.add(f32x4.mul(a, sumX), f32x4.mul(b, dot)), c);
}

/** ReLU as used after the transform (f32.max, so -0 and NaN behave as in SIMD). */
// @ts-ignore: decorator
@inline export function relu1(y: f32): f32 {
  return max<f32>(y, 0);
}

// @ts-ignore: decorator
@inline export function relu4(y: v128): v128 {
  return f32x4.max(y, f32x4.splat(0));
}
