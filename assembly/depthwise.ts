// Depthwise float convolution: one kh×kw filter per channel. Weights [kh, kw, C],
// bias [C], zero padding (through the padded window of conv.ts). SIMD runs four
// channels per vector; the C % 4 tail is scalar.
import { needsPadding, padWindow, paddedWindowBytes } from "./conv";
import { FLAG_RELU } from "./transform";

export function depthwiseConv2dReference(input: usize, h: i32, w: i32, c: i32, weights: usize, bias: usize,
  kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  flags: i32, output: usize, scratch: usize): void {
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let ch = 0; ch < c; ch++) {
        let acc: f32 = load<f32>(bias + (<usize>ch << 2));
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * stride - padTop + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * stride - padLeft + kx;
            if (ix < 0 || ix >= w) continue;
            acc += load<f32>(input + ((<usize>(iy * w + ix) * c + ch) << 2)) * load<f32>(weights + ((<usize>(ky * kw + kx) * c + ch) << 2));
          }
        }
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
        let acc = v128.load(bias + (<usize>ch << 2));
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const x = v128.load(base + ((<usize>(ky * rowStride + kx * c + ch)) << 2));
            acc = f32x4.add(acc, f32x4.mul(x, v128.load(weights + (<usize>((ky * kw + kx) * c + ch) << 2))));
          }
        }
        v128.store(out + (<usize>ch << 2), relu ? f32x4.max(acc, f32x4.splat(0)) : acc);
      }
      for (; ch < c; ch++) {
        let acc = load<f32>(bias + (<usize>ch << 2));
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            acc += load<f32>(base + ((<usize>(ky * rowStride + kx * c + ch)) << 2)) * load<f32>(weights + (<usize>((ky * kw + kx) * c + ch) << 2));
          }
        }
        store<f32>(out + (<usize>ch << 2), relu ? max<f32>(acc, 0) : acc);
      }
    }
  }
}
