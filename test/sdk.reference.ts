/**
 * A plain TypeScript reference executor for .bxn models, written from
 * ARCHITECTURE.md / EXPORTS.md semantics and independent of the kernels:
 * binary tensors are held as ±1 floats, sums are f64, float outputs rounded to f32.
 */
import { decodeTensor } from '../sdk/format/decode.js';
import { panelIndex, patchWords, wordsFor, xbconvFilterBytes } from '../sdk/layout.js';
import { layerChannelTable } from '../sdk/expander.js';
import type { BxnLayer, BxnModel } from '../sdk/format/model.js';

/** A value between layers: ±1 entries when `bits`. */
interface Value { h: number; w: number; c: number; bits: boolean; data: Float64Array }

const f32 = Math.fround;

export function referenceRun(model: BxnModel, input: ArrayLike<number>): Float32Array {
  const [h, w, c] = model.metadata.inputShape;
  const norm = model.metadata.normalization;
  const data = new Float64Array(h * w * c);
  const at = (v: number[], ch: number) => (v.length === 1 ? v[0] : v[ch]);
  for (let i = 0; i < data.length; i++) {
    const ch = i % c;
    let x = input[i];
    if (norm && 'mean' in norm) x = (x - at(norm.mean, ch)) / at(norm.std, ch);
    if (norm && 'scale' in norm) x = x * at(norm.scale, ch) + at(norm.offset, ch);
    data[i] = f32(x);
  }
  // values[0] the input, values[v] layer v − 1's output; each layer reads the values its WIRE record names.
  const values: Value[] = [{ h, w, c, bits: false, data }];
  const tensors = model.tensors.map((t) => decodeTensor(model.bytes, t));
  for (const layer of model.layers)
    values.push(referenceLayer(layer, values[layer.inputs[0]], (role) => tensors[layer.tensors[role]!], values[layer.inputs[1]]));
  return Float32Array.from(values[values.length - 1].data);
}

type Tensor = (role: keyof BxnLayer['tensors']) => Float32Array | Uint32Array;

function referenceLayer(l: BxnLayer, x: Value, tensor: Tensor, x2?: Value): Value {
  const { h: H, w: W, c: C } = x;
  const oh = l.output.h, ow = l.output.w, N = l.outChannels;
  const out = (c: number, bits: boolean, h = oh, w = ow): Value => ({ h, w, c, bits, data: new Float64Array(h * w * c) });
  const px = (y: number, xx: number, c: number) => x.data[(y * W + xx) * C + c];
  const inside = (y: number, xx: number) => y >= 0 && y < H && xx >= 0 && xx < W;
  // Output of the binary transform y = A·Σx + B·dot + C, then ReLU or sign.
  const transformOut = (tr: Float32Array, o: number, sumX: number, dot: number) => {
    const y = tr[o] * sumX + tr[N + o] * dot + tr[2 * N + o];
    if (l.bitsOut) return y < 0 ? -1 : 1;
    return f32(l.relu ? Math.max(0, y) : y);
  };
  const bit = (words32: Uint32Array, wordIndex: number, b: number) => (words32[wordIndex] >>> b) & 1;

  switch (l.op) {
    case 'conv2d': case 'depthwiseConv2d': {
      const wts = tensor('weights') as Float32Array, bias = tensor('bias') as Float32Array;
      const depthwise = l.op === 'depthwiseConv2d';
      const rows = l.kh * l.kw * C; // conv2d weights are panels [ceil(N/8), kh, kw, C, 8]
      const r = out(depthwise ? C : N, l.bitsOut);
      for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < r.c; o++) {
        let s = bias[o];
        for (let ky = 0; ky < l.kh; ky++) for (let kx = 0; kx < l.kw; kx++) {
          const y = oy * l.stride + ky - l.padTop, xx = ox * l.stride + kx - l.padLeft;
          if (!inside(y, xx)) continue; // zero padding
          if (depthwise) s += px(y, xx, o) * wts[(ky * l.kw + kx) * C + o];
          else for (let c = 0; c < C; c++) s += px(y, xx, c) * wts[panelIndex(o, (ky * l.kw + kx) * C + c, rows)];
        }
        r.data[(oy * ow + ox) * r.c + o] = l.bitsOut ? (s < 0 ? -1 : 1) : f32(l.relu ? Math.max(0, s) : s);
      }
      return r;
    }
    case 'bconv2d': case 'bdense': {
      const dense = l.op === 'bdense';
      const kh = dense ? H : l.kh, kw = dense ? W : l.kw, stride = dense ? 1 : l.stride;
      const padTop = dense ? 0 : l.padTop, padLeft = dense ? 0 : l.padLeft;
      const wbits = tensor('weights') as Uint32Array, tr = tensor('transform') as Float32Array;
      const kpad = patchWords(C, kh, kw), cw = wordsFor(C);
      const r = out(N, l.bitsOut, dense ? 1 : oh, dense ? 1 : ow);
      for (let oy = 0; oy < r.h; oy++) for (let ox = 0; ox < r.w; ox++) for (let o = 0; o < N; o++) {
        let dot = 0, sumX = 0;
        for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
          const y = oy * stride + ky - padTop, xx = ox * stride + kx - padLeft;
          for (let c = 0; c < C; c++) {
            const v = inside(y, xx) ? px(y, xx, c) : 1; // one-padding
            const wv = bit(wbits, o * kpad + (ky * kw + kx) * cw + (c >> 5), c & 31) ? -1 : 1;
            dot += v * wv;
            sumX += v;
          }
        }
        r.data[(oy * r.w + ox) * N + o] = transformOut(tr, o, sumX, dot);
      }
      return r;
    }
    case 'conv2dBinaryWeights': {
      const wbits = tensor('weights') as Uint32Array, tr = tensor('transform') as Float32Array;
      const nw = wordsFor(N);
      const r = out(N, false);
      for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < N; o++) {
        let dot = 0, sumX = 0;
        for (let ky = 0; ky < l.kh; ky++) for (let kx = 0; kx < l.kw; kx++) {
          const y = oy * l.stride + ky - l.padTop, xx = ox * l.stride + kx - l.padLeft;
          if (!inside(y, xx)) continue; // zero padding
          for (let c = 0; c < C; c++) {
            const v = px(y, xx, c);
            dot += bit(wbits, ((ky * l.kw + kx) * C + c) * nw + (o >> 5), o & 31) ? -v : v;
            sumX += v;
          }
        }
        r.data[(oy * ow + ox) * N + o] = transformOut(tr, o, sumX, dot);
      }
      return r;
    }
    case 'dense': {
      const wts = tensor('weights') as Float32Array, bias = tensor('bias') as Float32Array;
      const r = out(N, false, 1, 1);
      for (let o = 0; o < N; o++) {
        let s = bias[o];
        for (let k = 0; k < C; k++) s += x.data[k] * wts[panelIndex(o, k, C)]; // panels [ceil(N/8), K, 8]
        r.data[o] = f32(l.relu ? Math.max(0, s) : s);
      }
      return r;
    }
    case 'packSigns': case 'packSignsAffine': {
      const scale = l.op === 'packSignsAffine' ? (tensor('scale') as Float32Array) : null;
      const shift = l.op === 'packSignsAffine' ? (tensor('shift') as Float32Array) : null;
      const r = out(C, true, H, W);
      for (let i = 0; i < r.data.length; i++) {
        const v = scale ? f32(f32(x.data[i] * scale[i % C]) + shift![i % C]) : x.data[i];
        r.data[i] = v < 0 ? -1 : 1;
      }
      return r;
    }
    case 'unpackSigns': return { ...x, bits: false };
    case 'maxPool2d': case 'maxPool2dBits': case 'maxPool2dBitsFlip': case 'avgPool2d': {
      const r = out(C, x.bits, oh, ow);
      // maxPool2dBitsFlip: channels whose flip bit is 1 take the min of their ±1 values.
      const flip = l.op === 'maxPool2dBitsFlip' ? (tensor('flip') as Uint32Array) : null;
      for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let c = 0; c < C; c++) {
        let max = -Infinity, min = Infinity, sum = 0, count = 0;
        for (let ky = 0; ky < l.kh; ky++) for (let kx = 0; kx < l.kw; kx++) {
          const y = oy * l.stride + ky - l.padTop, xx = ox * l.stride + kx - l.padLeft;
          if (!inside(y, xx)) continue; // padded cells ignored
          const v = px(y, xx, c);
          max = Math.max(max, v); min = Math.min(min, v); sum += v; count++;
        }
        const flipped = flip !== null && ((flip[c >> 5] >>> (c & 31)) & 1) === 1;
        r.data[(oy * ow + ox) * C + c] = l.op === 'avgPool2d' ? f32(sum / count) : flipped ? min : max;
      }
      return r;
    }
    case 'globalAvgPool': {
      const r = out(C, false, 1, 1);
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let p = 0; p < H * W; p++) s += x.data[p * C + c];
        r.data[c] = f32(s / (H * W));
      }
      return r;
    }
    case 'scaleShift': {
      const scale = tensor('scale') as Float32Array, shift = tensor('shift') as Float32Array;
      const r = out(C, false, H, W);
      for (let i = 0; i < r.data.length; i++) {
        const v = x.data[i] * scale[i % C] + shift[i % C];
        r.data[i] = f32(l.relu ? Math.max(0, v) : v);
      }
      return r;
    }
    case 'relu': return { ...x, data: x.data.map((v) => Math.max(0, v)) };
    case 'add': return { ...x, data: x.data.map((v, i) => { const y = f32(v + x2!.data[i]); return l.relu ? Math.max(0, y) : y; }) };
    case 'softmax': {
      let max = -Infinity, sum = 0;
      for (const v of x.data) max = Math.max(max, v);
      const e = x.data.map((v) => Math.exp(v - max));
      for (const v of e) sum += v;
      return { ...x, data: e.map((v) => f32(v / sum)) };
    }
    case 'flatten': return { h: 1, w: 1, c: H * W * C, bits: x.bits, data: x.data };
    case 'xconv2d': case 'xdense': case 'xbconv2d': {
      // The dense op with every unconnected weight zero: output o reads channels[o·D ..] (generator
      // checked against the C vectors in expander.test.ts), in the weights' order.
      const g = l.graph!, D = g.degree, channels = layerChannelTable(g);
      const dense = l.op === 'xdense', binary = l.op === 'xbconv2d';
      const kh = dense ? 1 : l.kh, kw = dense ? 1 : l.kw;
      const r = out(N, l.bitsOut, dense ? 1 : oh, dense ? 1 : ow);
      const wts = tensor('weights'), kx = binary ? xbconvFilterBytes(D, kh, kw) : 0;
      for (let oy = 0; oy < r.h; oy++) for (let ox = 0; ox < r.w; ox++) for (let o = 0; o < N; o++) {
        let s = binary ? 0 : (tensor('bias') as Float32Array)[o], sumX = 0;
        for (let ky = 0; ky < kh; ky++) for (let kx2 = 0; kx2 < kw; kx2++) {
          const y = dense ? 0 : oy * l.stride + ky - l.padTop, xx = dense ? 0 : ox * l.stride + kx2 - l.padLeft;
          for (let k = 0; k < D; k++) {
            const c = channels[o * D + k], tap = ky * kw + kx2;
            if (binary) {
              const v = inside(y, xx) ? px(y, xx, c) : 1, b = tap * D + k; // one-padding
              const byte = (o * kx + (b >> 3)), wv = ((wts[byte >> 2] >>> (8 * (byte & 3) + (b & 7))) & 1) ? -1 : 1;
              s += v * wv;
              sumX += v;
            } else if (inside(y, xx)) s += px(y, xx, c) * wts[panelIndex(o, tap * D + k, kh * kw * D)];
          }
        }
        r.data[(oy * r.w + ox) * N + o] = binary ? transformOut(tensor('transform') as Float32Array, o, sumX, s)
          : l.bitsOut ? (s < 0 ? -1 : 1) : f32(l.relu ? Math.max(0, s) : s);
      }
      return r;
    }
    case 'xconv2dBinaryWeights': {
      // conv2dBinaryWeights on the graph's channels: byte r of block o>>3 holds output o's bit of row r.
      const g = l.graph!, D = g.degree, channels = layerChannelTable(g), rows = l.kh * l.kw * D;
      const r = out(N, false, oh, ow), wts = tensor('weights');
      for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < N; o++) {
        let dot = 0, sumX = 0;
        for (let ky = 0; ky < l.kh; ky++) for (let kx2 = 0; kx2 < l.kw; kx2++) {
          const y = oy * l.stride + ky - l.padTop, xx = ox * l.stride + kx2 - l.padLeft;
          if (!inside(y, xx)) continue; // zero padding
          for (let k = 0; k < D; k++) {
            const v = px(y, xx, channels[o * D + k]), byte = (o >> 3) * rows + (ky * l.kw + kx2) * D + k;
            dot += ((wts[byte >> 2] >>> (8 * (byte & 3) + (o & 7))) & 1) ? -v : v;
            sumX += v;
          }
        }
        r.data[(oy * ow + ox) * N + o] = transformOut(tensor('transform') as Float32Array, o, sumX, dot);
      }
      return r;
    }
    default: {
      // Written apart from sdk/ops.ts on purpose (an oracle must not share the code it checks);
      // a new op in the registry's OpName fails the typecheck here until it has a reference.
      const missing: never = l.op;
      throw new Error(`no reference for op ${missing}`);
    }
  }
}
