// Training-only kernels, built into build/bexnet.train.wasm (entry: this file),
// never into the sdk's wasm. tools/train/wasm-kernels.ts registers them for
// tfjs-backend-wasm, whose shipped conv gradients run at 4–6 GMAC/s here.
//
// Weight gradient of a float conv (TF layouts: x [N,H,W,C], dy [N,Ho,Wo,Co],
// dw [kh,kw,C,Co]):
//   dw[ky,kx,ci,co] = Σ_{n,oy,ox} xpad[n, oy·s+ky, ox·s+kx, ci] · dy[n,oy,ox,co]
// a GEMM whose inner dimension is every output position. The input gradient
// needs no kernel of its own: for stride 1 it is conv2d (re-exported below) of
// dy with the filter rotated 180° and its channel axes swapped; for stride > 1 it
// is conv2d as a GEMM (dy × Wᵀ, a 1×1 conv) followed by `col2im`. `maxPoolGrad`
// routes pooled gradients back (the JS versions ran 3-6× slower inside a full
// training step than alone, whatever V8 made of them there); the depthwise
// gradients are the wasm backend's missing DepthwiseConv2dNativeBackprop*.
import { roundUp } from "./common";

export { conv2d, conv2dScratchBytes } from "./conv";

/** Plain loops with bounds checks (zero padding). Overwrites dw. */
export function convFilterGradReference(x: usize, n: i32, h: i32, w: i32, c: i32, dy: usize,
  outH: i32, outW: i32, cout: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, dw: usize): void {
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      for (let ci = 0; ci < c; ci++) {
        for (let co = 0; co < cout; co++) {
          let acc: f32 = 0;
          for (let b = 0; b < n; b++) {
            for (let oy = 0; oy < outH; oy++) {
              const iy = oy * stride + ky - padTop;
              if (iy < 0 || iy >= h) continue;
              for (let ox = 0; ox < outW; ox++) {
                const ix = ox * stride + kx - padLeft;
                if (ix < 0 || ix >= w) continue;
                acc += load<f32>(x + ((<usize>((b * h + iy) * w + ix) * c + ci) << 2)) *
                  load<f32>(dy + ((<usize>((b * outH + oy) * outW + ox) * cout + co) << 2));
              }
            }
          }
          store<f32>(dw + ((<usize>((ky * kw + kx) * c + ci) * cout + co) << 2), acc);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function windowRows(k: i32, stride: i32, out: i32): i32 { return (out - 1) * stride + k; }

/** Scratch convFilterGrad needs: padded x, padded dy, and the padded accumulator. */
export function convFilterGradScratchBytes(n: i32, c: i32, outH: i32, outW: i32, cout: i32, kh: i32, kw: i32, stride: i32): usize {
  const cp = roundUp(c, 4), op = roundUp(cout, 8);
  const win = <usize>windowRows(kh, stride, outH) * windowRows(kw, stride, outW) * cp;
  return (<usize>n * win + <usize>n * outH * outW * op + <usize>kh * kw * cp * op) << 2;
}

/**
 * SIMD: inputs are first copied to zero-padded layouts (spatial padding, C up to
 * a multiple of 4, Co up to 8) so the inner loop has no bounds or tails. Tiles
 * of 4 input channels × 8 output channels (8 f32x4 accumulators) sweep the
 * positions of a block of images sized to stay in L2, then move to the next tile.
 */
export function convFilterGrad(x: usize, n: i32, h: i32, w: i32, c: i32, dy: usize,
  outH: i32, outW: i32, cout: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, dw: usize, scratch: usize): void {
  assert(n > 0 && c > 0 && cout > 0 && kh > 0 && kw > 0 && stride > 0 && outH > 0 && outW > 0, "convFilterGrad: sizes");
  if (!ASC_FEATURE_SIMD) { convFilterGradReference(x, n, h, w, c, dy, outH, outW, cout, kh, kw, stride, padTop, padLeft, dw); return; }
  const cp = roundUp(c, 4), op = roundUp(cout, 8);
  const hp = windowRows(kh, stride, outH), wp = windowRows(kw, stride, outW);
  const winFloats = <usize>hp * wp * cp, dyFloats = <usize>outH * outW * op;
  const win = scratch;
  const dyp = win + (<usize>n * winFloats << 2);
  const acc = dyp + (<usize>n * dyFloats << 2);
  padImages(x, n, h, w, c, cp, hp, wp, padTop, padLeft, win);
  padChannels(dy, <usize>n * outH * outW, cout, op, dyp);
  memory.fill(acc, 0, <usize>kh * kw * cp * op << 2);

  const block = max(1, <i32>((<usize>1 << 16) / (winFloats + dyFloats))); // ≈ 256 KB of x and dy per block
  const xStep = <usize>(stride * cp) << 2, xRow = <usize>(stride * wp * cp) << 2, dStep = <usize>op << 2;
  for (let n0 = 0; n0 < n; n0 += block) {
    const n1 = min(n, n0 + block);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        for (let cb = 0; cb < cp; cb += 4) {
          const xTap = <usize>((ky * wp + kx) * cp + cb) << 2;
          for (let ob = 0; ob < op; ob += 8) {
            const ap = acc + ((<usize>((ky * kw + kx) * cp + cb) * op + ob) << 2);
            let a00 = v128.load(ap), a01 = v128.load(ap, 16);
            let a10 = v128.load(ap + dStep), a11 = v128.load(ap + dStep, 16);
            let a20 = v128.load(ap + 2 * dStep), a21 = v128.load(ap + 2 * dStep, 16);
            let a30 = v128.load(ap + 3 * dStep), a31 = v128.load(ap + 3 * dStep, 16);
            for (let b = n0; b < n1; b++) {
              let xr = win + (<usize>b * winFloats << 2) + xTap;
              let dp = dyp + ((<usize>b * dyFloats + ob) << 2);
              for (let oy = 0; oy < outH; oy++, xr += xRow) {
                let xp = xr;
                const dEnd = dp + <usize>outW * dStep;
                for (; dp < dEnd; dp += dStep, xp += xStep) {
                  const d0 = v128.load(dp), d1 = v128.load(dp, 16);
                  const s0 = v128.load32_splat(xp), s1 = v128.load32_splat(xp + 4);
                  const s2 = v128.load32_splat(xp + 8), s3 = v128.load32_splat(xp + 12);
                  a00 = f32x4.add(a00, f32x4.mul(s0, d0)); a01 = f32x4.add(a01, f32x4.mul(s0, d1));
                  a10 = f32x4.add(a10, f32x4.mul(s1, d0)); a11 = f32x4.add(a11, f32x4.mul(s1, d1));
                  a20 = f32x4.add(a20, f32x4.mul(s2, d0)); a21 = f32x4.add(a21, f32x4.mul(s2, d1));
                  a30 = f32x4.add(a30, f32x4.mul(s3, d0)); a31 = f32x4.add(a31, f32x4.mul(s3, d1));
                }
              }
            }
            v128.store(ap, a00); v128.store(ap, a01, 16);
            v128.store(ap + dStep, a10); v128.store(ap + dStep, a11, 16);
            v128.store(ap + 2 * dStep, a20); v128.store(ap + 2 * dStep, a21, 16);
            v128.store(ap + 3 * dStep, a30); v128.store(ap + 3 * dStep, a31, 16);
          }
        }
      }
    }
  }
  // Drop the channel padding: acc [kh,kw,cp,op] -> dw [kh,kw,c,cout].
  for (let t = 0; t < kh * kw; t++) {
    for (let ci = 0; ci < c; ci++) {
      memory.copy(dw + ((<usize>(t * c + ci) * cout) << 2), acc + ((<usize>(t * cp + ci) * op) << 2), <usize>cout << 2);
    }
  }
}

/** x [n,h,w,c] -> zero-padded [n,hp,wp,cp] with the image at (padTop, padLeft). */
function padImages(x: usize, n: i32, h: i32, w: i32, c: i32, cp: i32, hp: i32, wp: i32, padTop: i32, padLeft: i32, out: usize): void {
  const total = <usize>n * hp * wp * cp << 2;
  memory.fill(out, 0, total);
  const y0 = max(0, padTop), y1 = min(hp, h + padTop), x0 = max(0, padLeft), x1 = min(wp, w + padLeft);
  for (let b = 0; b < n; b++) {
    for (let yy = y0; yy < y1; yy++) {
      const src = x + ((<usize>((b * h + yy - padTop) * w + x0 - padLeft) * c) << 2);
      const dst = out + ((<usize>((b * hp + yy) * wp + x0) * cp) << 2);
      if (c == cp) { memory.copy(dst, src, <usize>(x1 - x0) * c << 2); continue; }
      for (let xx = 0; xx < x1 - x0; xx++) memory.copy(dst + (<usize>xx * cp << 2), src + (<usize>xx * c << 2), <usize>c << 2);
    }
  }
}

/** rows × c floats -> rows × cp floats, zero tail. */
function padChannels(src: usize, rows: usize, c: i32, cp: i32, out: usize): void {
  if (c == cp) { memory.copy(out, src, rows * c << 2); return; }
  for (let r: usize = 0; r < rows; r++) {
    memory.copy(out + (r * cp << 2), src + (r * c << 2), <usize>c << 2);
    memory.fill(out + ((r * cp + c) << 2), 0, <usize>(cp - c) << 2);
  }
}

/**
 * Scatter-adds patch rows back to the image: cols [n·outH·outW, kh·kw·c] ->
 * dx [n,h,w,c] (overwritten), skipping taps that fall in the padding.
 */
export function col2im(cols: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, stride: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, dx: usize): void {
  memory.fill(dx, 0, <usize>n * h * w * c << 2);
  let src = cols;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * stride + ky - padTop;
          if (iy < 0 || iy >= h) { src += <usize>kw * c << 2; continue; }
          for (let kx = 0; kx < kw; kx++, src += <usize>c << 2) {
            const ix = ox * stride + kx - padLeft;
            if (ix < 0 || ix >= w) continue;
            const dst = dx + ((<usize>((b * h + iy) * w + ix) * c) << 2);
            for (let ch = 0; ch < c; ch++) {
              const o = <usize>ch << 2;
              store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
            }
          }
        }
      }
    }
  }
}

/**
 * Max-pool gradient: each window's dy goes to the first maximum in scan order
 * (tfjs-backend-cpu's tie rule). x [n,h,w,c], dy [n,outH,outW,c] -> dx [n,h,w,c].
 * Four channels at a time: the running maximum and the byte offset of its
 * pixel live in two v128s, updated with a strict greater-than mask.
 */
export function maxPoolGrad(x: usize, dy: usize, n: i32, h: i32, w: i32, c: i32, ph: i32, pw: i32, stride: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, dx: usize): void {
  memory.fill(dx, 0, <usize>n * h * w * c << 2);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const y0 = max(0, oy * stride - padTop), y1 = min(h, oy * stride - padTop + ph);
      for (let ox = 0; ox < outW; ox++) {
        const x0 = max(0, ox * stride - padLeft), x1 = min(w, ox * stride - padLeft + pw);
        if (y0 >= y1 || x0 >= x1) continue; // window entirely in padding
        const g = dy + ((<usize>((b * outH + oy) * outW + ox) * c) << 2);
        const first = (<usize>((b * h + y0) * w + x0) * c) << 2;
        let ch = 0;
        if (ASC_FEATURE_SIMD) {
          for (; ch + 4 <= c; ch += 4) {
            const o = <usize>ch << 2;
            let best = v128.load(x + first + o);
            let at = i32x4.splat(<i32>first);
            for (let iy = y0; iy < y1; iy++) {
              for (let ix = x0; ix < x1; ix++) {
                const pix = (<usize>((b * h + iy) * w + ix) * c) << 2;
                const v = v128.load(x + pix + o);
                const gt = f32x4.gt(v, best);
                best = v128.bitselect(v, best, gt);
                at = v128.bitselect(i32x4.splat(<i32>pix), at, gt);
              }
            }
            addAt(dx + o, <usize>i32x4.extract_lane(at, 0), load<f32>(g + o));
            addAt(dx + o + 4, <usize>i32x4.extract_lane(at, 1), load<f32>(g + o + 4));
            addAt(dx + o + 8, <usize>i32x4.extract_lane(at, 2), load<f32>(g + o + 8));
            addAt(dx + o + 12, <usize>i32x4.extract_lane(at, 3), load<f32>(g + o + 12));
          }
        }
        for (; ch < c; ch++) {
          const o = <usize>ch << 2;
          let best = load<f32>(x + first + o);
          let at = first;
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) {
              const pix = (<usize>((b * h + iy) * w + ix) * c) << 2;
              const v = load<f32>(x + pix + o);
              if (v > best) { best = v; at = pix; }
            }
          }
          addAt(dx + o, at, load<f32>(g + o));
        }
      }
    }
  }
}

/**
 * Depthwise gradients (multiplier 1; TF layouts x [n,h,w,c], dy [n,outH,outW,c], w [kh,kw,c]):
 *   dw[ky,kx,ch] = Σ_{b,oy,ox} x[b, oy·s+ky−padTop, ox·s+kx−padLeft, ch] · dy[b,oy,ox,ch]
 *   dx[b,iy,ix,ch] = Σ over the taps that read (iy, ix) of dy · w
 * Every tap pairs one pixel of x (or dx) with one of dy, channel by channel: four
 * channels per vector, a scalar tail. The references are the same loops one channel at a time.
 */
export function depthwiseFilterGradReference(x: usize, n: i32, h: i32, w: i32, c: i32, dy: usize,
  outH: i32, outW: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, dw: usize): void {
  depthwiseGrad(false, x, n, h, w, c, dy, outH, outW, kh, kw, stride, padTop, padLeft, dw, false);
}
export function depthwiseFilterGrad(x: usize, n: i32, h: i32, w: i32, c: i32, dy: usize,
  outH: i32, outW: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, dw: usize): void {
  depthwiseGrad(false, x, n, h, w, c, dy, outH, outW, kh, kw, stride, padTop, padLeft, dw, ASC_FEATURE_SIMD);
}
export function depthwiseInputGradReference(wts: usize, n: i32, h: i32, w: i32, c: i32, dy: usize,
  outH: i32, outW: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, dx: usize): void {
  depthwiseGrad(true, wts, n, h, w, c, dy, outH, outW, kh, kw, stride, padTop, padLeft, dx, false);
}
export function depthwiseInputGrad(wts: usize, n: i32, h: i32, w: i32, c: i32, dy: usize,
  outH: i32, outW: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, dx: usize): void {
  depthwiseGrad(true, wts, n, h, w, c, dy, outH, outW, kh, kw, stride, padTop, padLeft, dx, ASC_FEATURE_SIMD);
}

/** toInput: dx (+= dy·w at each tap's pixel), `src` = w; else dw (+= x·dy at each tap), `src` = x. Overwrites `out`. */
// @ts-ignore: decorator
@inline function depthwiseGrad(toInput: bool, src: usize, n: i32, h: i32, w: i32, c: i32, dy: usize,
  outH: i32, outW: i32, kh: i32, kw: i32, stride: i32, padTop: i32, padLeft: i32, out: usize, simd: bool): void {
  memory.fill(out, 0, (toInput ? <usize>n * h * w * c : <usize>kh * kw * c) << 2);
  const rowBytes = <usize>c << 2;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const g = dy + <usize>((b * outH + oy) * outW + ox) * rowBytes;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * stride + ky - padTop;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * stride + kx - padLeft;
            if (ix < 0 || ix >= w) continue;
            const pix = <usize>((b * h + iy) * w + ix) * rowBytes, tap = <usize>(ky * kw + kx) * rowBytes;
            // dx: out at the pixel, the weight row is read; dw: out at the tap, the input pixel is read.
            const acc = out + (toInput ? pix : tap), other = src + (toInput ? tap : pix);
            let ch = 0;
            if (ASC_FEATURE_SIMD && simd) {
              for (; ch + 4 <= c; ch += 4) {
                const o = <usize>ch << 2;
                v128.store(acc + o, f32x4.add(v128.load(acc + o), f32x4.mul(v128.load(other + o), v128.load(g + o))));
              }
            }
            for (; ch < c; ch++) {
              const o = <usize>ch << 2;
              store<f32>(acc + o, load<f32>(acc + o) + load<f32>(other + o) * load<f32>(g + o));
            }
          }
        }
      }
    }
  }
}

/**
 * Per-channel sums of a [rows, c] f32 matrix (the last axis kept): out[j] = Σ_r x[r, j].
 * Batch-norm moments and bias gradients reduce every axis but the channels; the wasm
 * backend transposes the activations first and its Sum/Mean took 10-25 ms per call at
 * batch 128 (40% of a MobileNet step). One pass, rows in order: blocks of CHANNEL_SUM_ROWS
 * rows add in f32 into a partial per channel, each partial then into an f64 total, so
 * the rounding error grows with the block, not with N·H·W. `scratch` holds 12·c bytes.
 */
export function channelSumsReference(x: usize, rows: i32, c: i32, out: usize, scratch: usize): void {
  channelSumsOf(x, rows, c, out, scratch, false);
}
export function channelSums(x: usize, rows: i32, c: i32, out: usize, scratch: usize): void {
  channelSumsOf(x, rows, c, out, scratch, ASC_FEATURE_SIMD);
}
// @ts-ignore: decorator
@inline const CHANNEL_SUM_ROWS = 64;

// @ts-ignore: decorator
@inline function channelSumsOf(x: usize, rows: i32, c: i32, out: usize, scratch: usize, simd: bool): void {
  const totals = scratch, partial = scratch + (<usize>c << 3), rowBytes = <usize>c << 2;
  memory.fill(totals, 0, <usize>c << 3);
  for (let r0 = 0; r0 < rows; r0 += CHANNEL_SUM_ROWS) {
    const r1 = min(rows, r0 + CHANNEL_SUM_ROWS);
    memory.copy(partial, x + <usize>r0 * rowBytes, rowBytes);
    for (let r = r0 + 1; r < r1; r++) {
      const row = x + <usize>r * rowBytes;
      let ch = 0;
      if (ASC_FEATURE_SIMD && simd) {
        for (; ch + 4 <= c; ch += 4) {
          const o = <usize>ch << 2;
          v128.store(partial + o, f32x4.add(v128.load(partial + o), v128.load(row + o)));
        }
      }
      for (; ch < c; ch++) {
        const o = <usize>ch << 2;
        store<f32>(partial + o, load<f32>(partial + o) + load<f32>(row + o));
      }
    }
    for (let ch = 0; ch < c; ch++) {
      const t = totals + (<usize>ch << 3);
      store<f64>(t, load<f64>(t) + <f64>load<f32>(partial + (<usize>ch << 2)));
    }
  }
  for (let ch = 0; ch < c; ch++) store<f32>(out + (<usize>ch << 2), <f32>load<f64>(totals + (<usize>ch << 3)));
}

// @ts-ignore: decorator
@inline function addAt(base: usize, off: usize, v: f32): void {
  store<f32>(base + off, load<f32>(base + off) + v);
}

/** First byte of linear memory the caller may use. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
