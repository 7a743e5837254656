// Per-channel and per-element float ops: folded batch norm (scale/shift), ReLU,
// softmax, the residual add. Safe to run in place (output == an input).
import { FLAG_RELU } from "./transform";

export function scaleShiftReference(input: usize, pixels: i32, c: i32, scale: usize, shift: usize, flags: i32, output: usize): void {
  for (let p = 0; p < pixels; p++) {
    for (let ch = 0; ch < c; ch++) {
      const o = (<usize>p * c + ch) << 2;
      const y = load<f32>(input + o) * load<f32>(scale + (<usize>ch << 2)) + load<f32>(shift + (<usize>ch << 2));
      store<f32>(output + o, flags & FLAG_RELU ? max<f32>(y, 0) : y);
    }
  }
}

export function scaleShift(input: usize, pixels: i32, c: i32, scale: usize, shift: usize, flags: i32, output: usize): void {
  if (!ASC_FEATURE_SIMD) { scaleShiftReference(input, pixels, c, scale, shift, flags, output); return; }
  const relu = (flags & FLAG_RELU) != 0;
  for (let p = 0; p < pixels; p++) {
    const row = <usize>p * c << 2;
    let ch = 0;
    for (; ch + 4 <= c; ch += 4) {
      const o = <usize>ch << 2;
      const y = f32x4.add(f32x4.mul(v128.load(input + row + o), v128.load(scale + o)), v128.load(shift + o));
      v128.store(output + row + o, relu ? f32x4.max(y, f32x4.splat(0)) : y);
    }
    for (; ch < c; ch++) {
      const o = <usize>ch << 2;
      const y = load<f32>(input + row + o) * load<f32>(scale + o) + load<f32>(shift + o);
      store<f32>(output + row + o, relu ? max<f32>(y, 0) : y);
    }
  }
}

export function relu(input: usize, n: i32, output: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) v128.store(output + (<usize>i << 2), f32x4.max(v128.load(input + (<usize>i << 2)), f32x4.splat(0)));
  }
  for (; i < n; i++) store<f32>(output + (<usize>i << 2), max<f32>(load<f32>(input + (<usize>i << 2)), 0));
}

/** Numerically stable softmax (subtracts the maximum first). */
export function softmax(input: usize, n: i32, output: usize): void {
  let m: f32 = -Infinity;
  for (let i = 0; i < n; i++) m = max<f32>(m, load<f32>(input + (<usize>i << 2)));
  let s: f32 = 0;
  for (let i = 0; i < n; i++) {
    const e = Mathf.exp(load<f32>(input + (<usize>i << 2)) - m);
    store<f32>(output + (<usize>i << 2), e);
    s += e;
  }
  const inv: f32 = 1 / s;
  for (let i = 0; i < n; i++) store<f32>(output + (<usize>i << 2), load<f32>(output + (<usize>i << 2)) * inv);
}

export function addReference(a: usize, b: usize, n: i32, flags: i32, output: usize): void {
  for (let i = 0; i < n; i++) {
    const y = load<f32>(a + (<usize>i << 2)) + load<f32>(b + (<usize>i << 2));
    store<f32>(output + (<usize>i << 2), flags & FLAG_RELU ? max<f32>(y, 0) : y);
  }
}

/** The residual add: output = a + b over n floats (ReLU'd with flag 1). */
export function add(a: usize, b: usize, n: i32, flags: i32, output: usize): void {
  if (!ASC_FEATURE_SIMD) { addReference(a, b, n, flags, output); return; }
  const relu = (flags & FLAG_RELU) != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const y = f32x4.add(v128.load(a + o), v128.load(b + o));
    v128.store(output + o, relu ? f32x4.max(y, f32x4.splat(0)) : y);
  }
  for (; i < n; i++) {
    const y = load<f32>(a + (<usize>i << 2)) + load<f32>(b + (<usize>i << 2));
    store<f32>(output + (<usize>i << 2), relu ? max<f32>(y, 0) : y);
  }
}
