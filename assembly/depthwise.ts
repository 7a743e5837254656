// Depthwise float convolution: one kh×kw filter per channel. Weights [kh, kw, C],
// bias [C], zero padding (through the padded window of conv.ts). SIMD runs four
// channels per vector; the C % 4 tail is scalar. int8 weights (per-channel scales)
// run through the same loops.
import { needsPadding, padWindow, paddedWindowBytes } from "./conv";
import { FLAG_RELU } from "./transform";

export function depthwiseConv2dReference(input: usize, h: i32, w: i32, c: i32, weights: usize, bias: usize,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  flags: i32, output: usize, scratch: usize): void {
  depthwiseDirect<f32>(input, h, w, c, weights, 0, bias, kh, kw, stride, padTop, padLeft, outH, outW, flags, output);
}

/** The reference loops for f32 weights (bias first, as before) or int8 weights (y = bias + scale·Σ x·q). */
// @ts-ignore: decorator
@inline function depthwiseDirect<W>(input: usize, h: i32, w: i32, c: i32, weights: usize, scales: usize, bias: usize,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32, flags: i32, output: usize): void {
  const q = sizeof<W>() == 1;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let ch = 0; ch < c; ch++) {
        let acc: f32 = q ? 0 : load<f32>(bias + (<usize>ch << 2));
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * stride - padTop + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * stride - padLeft + kx;
            if (ix < 0 || ix >= w) continue;
            const at = <usize>((ky * kw + kx) * c + ch);
            acc += load<f32>(input + ((<usize>(iy * w + ix) * c + ch) << 2)) * (q ? <f32>load<i8>(weights + at) : load<f32>(weights + (at << 2)));
          }
        }
        if (q) acc = acc * load<f32>(scales + (<usize>ch << 2)) + load<f32>(bias + (<usize>ch << 2));
        store<f32>(output + ((<usize>(oy * outW + ox) * c + ch) << 2), flags & FLAG_RELU ? max<f32>(acc, 0) : acc);
      }
    }
  }
}

export function depthwiseConv2dScratchBytes(c: i32, kh: i32, kw: i32, stride: i32, outH: i32, outW: i32, cout: i32): i32 {
  return paddedWindowBytes(c, kh, kw, stride, outH, outW);
}

export function depthwiseConv2d(input: usize, h: i32, w: i32, c: i32, weights: usize, bias: usize,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  flags: i32, output: usize, scratch: usize): void {
  assert(c > 0 && kh > 0 && kw > 0 && stride > 0 && outH > 0 && outW > 0, "depthwiseConv2d: sizes");
  if (!ASC_FEATURE_SIMD) {
    depthwiseConv2dReference(input, h, w, c, weights, bias, kh, kw, stride, padTop, padLeft, outH, outW, flags, output, scratch);
    return;
  }
  depthwiseChannels<f32>(input, h, w, c, weights, 0, bias, kh, kw, stride, padTop, padLeft, outH, outW, flags, output, scratch);
}

// int8 weights read as stored: q [kh, kw, C] int8 with one f32 scale per channel;
// y = bias + scale[c]·Σ x·q.

export function depthwiseConv2dInt8Reference(input: usize, h: i32, w: i32, c: i32, weights: usize, scales: usize, bias: usize,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  flags: i32, output: usize, scratch: usize): void {
  depthwiseDirect<i8>(input, h, w, c, weights, scales, bias, kh, kw, stride, padTop, padLeft, outH, outW, flags, output);
}

export function depthwiseConv2dInt8(input: usize, h: i32, w: i32, c: i32, weights: usize, scales: usize, bias: usize,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  flags: i32, output: usize, scratch: usize): void {
  assert(c > 0 && kh > 0 && kw > 0 && stride > 0 && outH > 0 && outW > 0, "depthwiseConv2dInt8: sizes");
  if (!ASC_FEATURE_SIMD) {
    depthwiseConv2dInt8Reference(input, h, w, c, weights, scales, bias, kh, kw, stride, padTop, padLeft, outH, outW, flags, output, scratch);
    return;
  }
  depthwiseChannels<i8>(input, h, w, c, weights, scales, bias, kh, kw, stride, padTop, padLeft, outH, outW, flags, output, scratch);
}

/** Four channels per vector; W = f32 weights, or W = i8 weights widened in registers and scaled at the end. */
// @ts-ignore: decorator
@inline function depthwiseChannels<W>(input: usize, h: i32, w: i32, c: i32, weights: usize, scales: usize, bias: usize,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  flags: i32, output: usize, scratch: usize): void {
  const q = sizeof<W>() == 1;
  const E: usize = sizeof<W>();
  let win = input;
  let rowStride = w * c;
  if (needsPadding(h, w, kh, kw, stride, padTop, padLeft, outH, outW)) {
    rowStride = padWindow(input, h, w, c, kh, kw, stride, padTop, padLeft, outH, outW, scratch);
    win = scratch;
  }
  const relu = (flags & FLAG_RELU) != 0;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      const out = output + (<usize>(oy * outW + ox) * c << 2);
      const base = win + ((<usize>(oy * stride) * rowStride + <usize>(ox * stride * c)) << 2);
      let ch = 0;
      for (; ch + 4 <= c; ch += 4) {
        let acc = q ? f32x4.splat(0) : v128.load(bias + (<usize>ch << 2));
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const x = v128.load(base + ((<usize>(ky * rowStride + kx * c + ch)) << 2));
            const wp = weights + <usize>((ky * kw + kx) * c + ch) * E;
            const wv = q ? f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(wp)))) : v128.load(wp);
            acc = f32x4.add(acc, f32x4.mul(x, wv));
          }
        }
        if (q) acc = f32x4.add(f32x4.mul(acc, v128.load(scales + (<usize>ch << 2))), v128.load(bias + (<usize>ch << 2)));
        v128.store(out + (<usize>ch << 2), relu ? f32x4.max(acc, f32x4.splat(0)) : acc);
      }
      for (; ch < c; ch++) {
        let acc: f32 = q ? 0 : load<f32>(bias + (<usize>ch << 2));
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const wp = weights + <usize>((ky * kw + kx) * c + ch) * E;
            acc += load<f32>(base + ((<usize>(ky * rowStride + kx * c + ch)) << 2)) * (q ? <f32>load<i8>(wp) : load<f32>(wp));
          }
        }
        if (q) acc = acc * load<f32>(scales + (<usize>ch << 2)) + load<f32>(bias + (<usize>ch << 2));
        store<f32>(out + (<usize>ch << 2), relu ? max<f32>(acc, 0) : acc);
      }
    }
  }
}
