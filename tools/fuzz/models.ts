/**
 * Random valid .bxn models of every layer kind, with values chosen so that f32 kernels and
 * the f64 reference agree exactly on every sign; a ~200 KB model of realistic shape. Used by
 * the sdk tests, tools/fuzz.ts and tools/soak.ts (tools import nothing from test/).
 */
import { packBinaryFilters, packBinaryWeightsByOutput, packFloatFilters, packXBinaryFilters, packXBinaryWeightsByBlock, roundUp, axisGeometry, wordsFor, type Padding } from '../../sdk/layout.js';
import type { BxnMetadata, ExpanderRecord } from '../../sdk/format/model.js';
import { OPS, type OpName } from '../../sdk/ops.js';
import type { BxnModelInput, LayerInput, TensorInput } from '../../sdk/format/writer.js';
import type { RandomSource as Rng } from '../../sdk/prng.js';

// ---- random models ----
interface State { h: number; w: number; c: number; bits: boolean; exact: boolean; accumulated: boolean }

const CHANNELS = [1, 2, 3, 8, 31, 32, 33, 40, 64];

/** Random dyadic weights; as f32, f16 (exact) or int8 with power-of-two scales (exact). */
function floatTensor(rng: Rng, count: number, channels: number, allowQuantized: boolean, lanes = 0): TensorInput {
  const kind = allowQuantized ? rng.pick(['f32', 'f32', 'f16', 'int8'] as const) : 'f32';
  if (kind === 'int8') {
    // Power-of-two scales: q · scale is exact, so the reference sees exactly what the kernels see.
    const scales = new Float32Array(channels).map(() => 2 ** -rng.int(3, 5));
    const q = new Int8Array(count).map(() => rng.int(-12, 12));
    return { encoding: 'int8', q, scales, lanes };
  }
  const data = new Float32Array(count).map(() => rng.dyadic(16, 1));
  return kind === 'f16' ? { encoding: 'f16', data } : data;
}

export function randomSigns(rng: Rng, count: number): Float32Array {
  return new Float32Array(count).map(() => (rng() < 0.5 ? -1 : 1));
}

/** Transform [A | B | C] that never yields y = 0 for bit outputs (margin ≥ 1/8). */
export function transform(rng: Rng, n: number, cout: number, bitsOut: boolean): Float32Array {
  const t = new Float32Array(3 * cout);
  const threshold = bitsOut && rng() < 0.5; // XNOR integer-threshold form with flip bits
  for (let o = 0; o < cout; o++) {
    if (threshold) {
      t[o] = 0;
      t[cout + o] = rng() < 0.5 ? -1 : 1;
      t[2 * cout + o] = rng.int(-Math.ceil(n / 4), Math.ceil(n / 4)) + 0.5;
    } else {
      t[o] = rng() < 0.5 ? 0 : rng.dyadic(4, 1);
      t[cout + o] = rng.dyadic(4, 1) || 0.25;
      t[2 * cout + o] = bitsOut ? (2 * rng.int(-16, 15) + 1) / 8 : rng.dyadic(8, 2);
    }
  }
  return t;
}

function pickWindow(rng: Rng, s: State): { kh: number; kw: number; stride: number; padding: Padding } | null {
  for (let tries = 0; tries < 8; tries++) {
    const kh = rng.int(1, 3), kw = rng.int(1, 3), stride = rng.int(1, 2);
    const padding: Padding = rng() < 0.5 ? 'same' : 'valid';
    if (axisGeometry(s.h, kh, stride, padding) && axisGeometry(s.w, kw, stride, padding)) return { kh, kw, stride, padding };
  }
  return null;
}

/**
 * BINARY_WEIGHTS_ON_SUMS: (x)conv2dBinaryWeights only on inputs no earlier layer summed.
 * y = A·Σx + B·(Σx − 2·negSum) cancels large sums to small outputs, so on the output of
 * another float sum f32 rounding can pass the run tests' 1e-4 tolerance (their kernel
 * tests check the numerics; here the point is wiring and plumbing).
 */

/** Keep the f64 reference quick: bound the MACs of one layer. */
const MAX_LAYER_MACS = 400_000;

/** An X-layer's graph over `cin` channels: groups of 1–8 channels (whole bytes for binary), any degree, blocks of 8 outputs; expander or grouped. */
function randomGraph(rng: Rng, cin: number, cout: number, binary: boolean): ExpanderRecord | null {
  const options = (binary ? [8, 16] : [1, 2, 4, 8]).filter((g) => cin % g === 0);
  if (options.length === 0) return null;
  const inGroup = rng.pick(options);
  if (rng() < 0.3) {
    // Generator 2 (grouped, FORMAT.md §10): a degree d whose G = n/d groups split the blocks evenly (d = n always does).
    const n = cin / inGroup, m = Math.ceil(cout / 8);
    const ds = Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0 && m % (n / d) === 0);
    return { generator: 2, balanced: false, shuffled: rng() < 0.5, seedLo: 0, seedHi: 0, inChannels: cin, outChannels: cout, degree: inGroup * rng.pick(ds), inGroup, outGroup: 8 };
  }
  return {
    generator: 1, balanced: rng() < 0.7, seedLo: (rng() * 2 ** 32) >>> 0, seedHi: (rng() * 2 ** 32) >>> 0,
    inChannels: cin, outChannels: cout, degree: inGroup * rng.int(1, cin / inGroup), inGroup, outGroup: 8,
  };
}

type Step = { layer: LayerInput; next: State; graph?: ExpanderRecord };

function tryOp(rng: Rng, op: OpName, s: State): Step | null {
  const float = !s.bits;
  const win = OPS.find((o) => o.name === op)!.attributes.window
    ? pickWindow(rng, s) : null;
  const geo = win && { oh: axisGeometry(s.h, win.kh, win.stride, win.padding)!.out, ow: axisGeometry(s.w, win.kw, win.stride, win.padding)!.out };
  const cout = rng.pick(CHANNELS);
  const accumulate = (next: Omit<State, 'exact' | 'accumulated'>): State =>
    ({ ...next, exact: s.exact && !s.accumulated, accumulated: true });
  switch (op) {
    case 'conv2d': case 'conv2dBinaryWeights': {
      if (!float || !win || geo!.oh * geo!.ow * cout * win.kh * win.kw * s.c > MAX_LAYER_MACS) return null;
      if (op === 'conv2dBinaryWeights' && s.accumulated) return null; // see BINARY_WEIGHTS_ON_SUMS
      const hwio = randomSigns(rng, win.kh * win.kw * s.c * cout);
      const weights = op === 'conv2d'
        ? (rng() < 0.5 ? packFloatFilters(hwio.map((v) => v * rng.dyadic(16, 1)), win.kh * win.kw * s.c, cout)
          : floatTensor(rng, win.kh * win.kw * s.c * roundUp(cout, 8), roundUp(cout, 8), true, 8))
        : packBinaryWeightsByOutput(hwio, win.kh, win.kw, s.c, cout);
      // Bit outputs (a first layer feeding a sign) only where the sum is exact in f32, so the
      // reference's sign is the kernels' sign.
      const bitsOut = op === 'conv2d' && s.exact && !s.accumulated && rng() < 0.3;
      const relu = !bitsOut && rng() < 0.5;
      const extra = op === 'conv2d'
        ? { bias: new Float32Array(cout).map(() => rng.dyadic(16, 1)) }
        : { transform: transform(rng, win.kh * win.kw * s.c, cout, false) };
      if (bitsOut) return { layer: { op, ...win, outChannels: cout, bitsOut, weights, ...extra }, next: { h: geo!.oh, w: geo!.ow, c: cout, bits: true, exact: true, accumulated: false } };
      return { layer: { op, ...win, outChannels: cout, relu, weights, ...extra },
        next: accumulate({ h: geo!.oh, w: geo!.ow, c: cout, bits: false }) };
    }
    case 'depthwiseConv2d': {
      if (!float || !win) return null;
      return { layer: { op, ...win, outChannels: s.c, relu: rng() < 0.5,
        weights: floatTensor(rng, win.kh * win.kw * s.c, s.c, true), bias: new Float32Array(s.c).map(() => rng.dyadic(16, 1)) },
        next: accumulate({ h: geo!.oh, w: geo!.ow, c: s.c, bits: false }) };
    }
    case 'bconv2d': {
      if (float || !win || geo!.oh * geo!.ow * cout * win.kh * win.kw * s.c > 4 * MAX_LAYER_MACS) return null;
      const bitsOut = rng() < 0.6;
      const weights = packBinaryFilters(randomSigns(rng, win.kh * win.kw * s.c * cout), win.kh, win.kw, s.c, cout);
      return { layer: { op, ...win, outChannels: cout, bitsOut, relu: !bitsOut && rng() < 0.5, weights,
        transform: transform(rng, win.kh * win.kw * s.c, cout, bitsOut) },
        next: bitsOut ? { h: geo!.oh, w: geo!.ow, c: cout, bits: true, exact: true, accumulated: false }
          : { h: geo!.oh, w: geo!.ow, c: cout, bits: false, exact: true, accumulated: true } };
    }
    case 'bdense': {
      if (float) return null;
      const bitsOut = rng() < 0.5;
      const weights = packBinaryFilters(randomSigns(rng, s.h * s.w * s.c * cout), s.h, s.w, s.c, cout);
      return { layer: { op, outChannels: cout, bitsOut, relu: !bitsOut && rng() < 0.5, weights,
        transform: transform(rng, s.h * s.w * s.c, cout, bitsOut) },
        next: { h: 1, w: 1, c: cout, bits: bitsOut, exact: true, accumulated: !bitsOut } };
    }
    case 'dense': {
      if (!float || s.h !== 1 || s.w !== 1 || s.c * cout > MAX_LAYER_MACS) return null;
      return { layer: { op, outChannels: cout, relu: rng() < 0.3,
        weights: floatTensor(rng, s.c * roundUp(cout, 8), roundUp(cout, 8), true, 8),
        bias: new Float32Array(cout).map(() => rng.dyadic(16, 1)) },
        next: accumulate({ h: 1, w: 1, c: cout, bits: false }) };
    }
    case 'packSigns': case 'packSignsAffine': {
      if (!float || !s.exact) return null;
      const extra = op === 'packSignsAffine'
        ? { scale: new Float32Array(s.c).map(() => rng.dyadic(4, 2) || 0.5), shift: new Float32Array(s.c).map(() => rng.dyadic(8, 1)) }
        : {};
      return { layer: { op, ...extra }, next: { ...s, bits: true, exact: true, accumulated: false } };
    }
    case 'unpackSigns':
      return float ? null : { layer: { op }, next: { ...s, bits: false, exact: true, accumulated: false } };
    case 'maxPool2d': case 'maxPool2dBits': case 'avgPool2d': {
      if (!win || float !== (op !== 'maxPool2dBits')) return null;
      return { layer: { op, ...win }, next: { ...s, h: geo!.oh, w: geo!.ow, exact: op === 'avgPool2d' ? false : s.exact } };
    }
    case 'maxPool2dBitsFlip': {
      if (!win || float) return null;
      const flip = new Uint32Array(wordsFor(s.c)).map(() => (rng() * 2 ** 32) >>> 0);
      if (s.c % 32) flip[flip.length - 1] &= 2 ** (s.c % 32) - 1; // padding bits zero
      return { layer: { op, ...win, flip }, next: { ...s, h: geo!.oh, w: geo!.ow } };
    }
    case 'globalAvgPool':
      return float ? { layer: { op }, next: { ...s, h: 1, w: 1, exact: false } } : null;
    case 'scaleShift':
      if (!float) return null;
      return { layer: { op, relu: rng() < 0.5, scale: floatTensor(rng, s.c, s.c, false), shift: floatTensor(rng, s.c, s.c, false) },
        next: accumulate({ ...s }) };
    case 'relu': return float ? { layer: { op }, next: s } : null;
    case 'softmax': return float ? { layer: { op }, next: { ...s, exact: false } } : null;
    case 'flatten':
      if (s.bits && s.c % 32 !== 0 && s.h * s.w !== 1) return null;
      return { layer: { op }, next: { ...s, h: 1, w: 1, c: s.h * s.w * s.c } };
    case 'xconv2d': case 'xdense': {
      const dense = op === 'xdense';
      if (!float || (dense ? s.h !== 1 || s.w !== 1 : !win)) return null;
      const graph = randomGraph(rng, s.c, cout, false);
      const taps = dense ? 1 : win!.kh * win!.kw, oh = dense ? 1 : geo!.oh, ow = dense ? 1 : geo!.ow;
      if (!graph || oh * ow * cout * taps * graph.degree > MAX_LAYER_MACS) return null;
      const rows = taps * graph.degree;
      const weights = rng() < 0.5 ? packFloatFilters(new Float32Array(rows * cout).map(() => rng.dyadic(16, 1)), rows, cout)
        : floatTensor(rng, rows * roundUp(cout, 8), roundUp(cout, 8), true, 8);
      const bias = new Float32Array(cout).map(() => rng.dyadic(16, 1));
      const bitsOut = !dense && s.exact && !s.accumulated && rng() < 0.3; // as conv2d: only where the sum is exact
      const layer: LayerInput = { op, ...(dense ? {} : win), outChannels: cout, weights, bias, ...(bitsOut ? { bitsOut } : { relu: rng() < 0.5 }) };
      return { layer, graph, next: bitsOut ? { h: oh, w: ow, c: cout, bits: true, exact: true, accumulated: false } : accumulate({ h: oh, w: ow, c: cout, bits: false }) };
    }
    case 'xbconv2d': {
      if (float || !win) return null;
      const graph = randomGraph(rng, s.c, cout, true);
      if (!graph || geo!.oh * geo!.ow * cout * win.kh * win.kw * graph.degree > 4 * MAX_LAYER_MACS) return null;
      const bitsOut = rng() < 0.6, n = win.kh * win.kw * graph.degree;
      const weights = new Uint32Array(packXBinaryFilters(randomSigns(rng, n * cout), win.kh, win.kw, graph.degree, cout).buffer);
      return { layer: { op, ...win, outChannels: cout, bitsOut, relu: !bitsOut && rng() < 0.5, weights, transform: transform(rng, n, cout, bitsOut) },
        graph,
        next: bitsOut ? { h: geo!.oh, w: geo!.ow, c: cout, bits: true, exact: true, accumulated: false }
          : { h: geo!.oh, w: geo!.ow, c: cout, bits: false, exact: true, accumulated: true } };
    }
    case 'xconv2dBinaryWeights': {
      if (!float || !win || s.accumulated) return null; // see BINARY_WEIGHTS_ON_SUMS
      const graph = randomGraph(rng, s.c, cout, false);
      if (!graph || geo!.oh * geo!.ow * cout * win.kh * win.kw * graph.degree > MAX_LAYER_MACS) return null;
      const n = win.kh * win.kw * graph.degree;
      const weights = new Uint32Array(packXBinaryWeightsByBlock(randomSigns(rng, n * cout), win.kh, win.kw, graph.degree, cout).buffer);
      return { layer: { op, ...win, outChannels: cout, relu: rng() < 0.5, weights, transform: transform(rng, n, cout, false) },
        graph, next: accumulate({ h: geo!.oh, w: geo!.ow, c: cout, bits: false }) };
    }
    case 'add': return null; // two inputs: randomModel wires it (addStep)
    default: {
      // Exact-value generation is op-specific; a new op fails the typecheck here until it has one.
      const missing: never = op;
      throw new Error(`no random layer for op ${missing}`);
    }
  }
}

export interface RandomModel { model: BxnModelInput; input: () => Float32Array | Uint8Array }

export const ALL_OPS: OpName[] = OPS.map((op) => op.name);

/**
 * The residual add after value `cur` (state s): with an earlier value of the same float shape,
 * either directly (a skip connection; the earlier value's other reader may have run in place,
 * which the planner must not allow) or through a one-layer side branch reading it (a layer
 * whose input is not the previous layer's output). Null when no earlier value fits.
 */
function addSteps(rng: Rng, values: State[], cur: number): { side: Step & { from: number } | null; add: Step; input2From: 'side' | number } | null {
  const s = values[cur];
  if (s.bits) return null;
  const fits = values.map((v, i) => i).filter((i) => !values[i].bits && values[i].h === s.h && values[i].w === s.w && values[i].c === s.c);
  if (fits.length === 0) return null;
  const from = rng.pick(fits);
  const next = { ...s, exact: s.exact && values[from].exact, accumulated: true };
  const add: Step = { layer: { op: 'add', input: cur, relu: rng() < 0.5 }, next };
  if (from < cur && rng() < 0.5) {
    const side = tryOp(rng, rng.pick(['relu', 'scaleShift'] as const), values[from]);
    if (side) return { side: { ...side, from }, add, input2From: 'side' };
  }
  return { side: null, add, input2From: from };
}

/** A random model of 2..maxLayers layers (a chain with residual adds and side branches), optionally starting with `first`; f32 out. */
export function randomModel(rng: Rng, opts: { maxLayers?: number; ops?: OpName[]; first?: OpName[]; only?: boolean } = {}): RandomModel {
  const ops = opts.ops ?? ALL_OPS;
  const h = rng.int(1, 9), w = rng.int(1, 9), c = rng.pick([1, 2, 3, 8, 31, 33]);
  let s: State = { h, w, c, bits: false, exact: true, accumulated: false };
  const layers: LayerInput[] = [];
  const expanders: ExpanderRecord[] = [];
  const values: State[] = [s]; // values[v]: the model input, then each layer's output
  const place = (step: Step) => {
    if (step.graph) { step.layer.graph = expanders.length; expanders.push(step.graph); }
    layers.push(step.layer);
    s = step.next;
    values.push(s);
  };
  const placeOp = (op: OpName): boolean => {
    if (op === 'add') {
      const wired = addSteps(rng, values, values.length - 1);
      if (!wired) return false;
      if (wired.side) place({ ...wired.side, layer: { ...wired.side.layer, input: wired.side.from } });
      place({ ...wired.add, layer: { ...wired.add.layer, input2: wired.input2From === 'side' ? values.length - 1 : wired.input2From } });
      return true;
    }
    const step = tryOp(rng, op, s);
    if (step) place(step);
    return step !== null;
  };
  const target = opts.only ? 0 : rng.int(2, opts.maxLayers ?? 7);
  for (const op of opts.first ?? []) {
    if (!placeOp(op)) throw new Error(`randomModel: cannot place ${op} after ${JSON.stringify(s)}`);
  }
  for (let tries = 0; layers.length < target && tries < 200; tries++) placeOp(rng.pick(ops));
  if (s.bits) { layers.push({ op: 'unpackSigns' }); s = { ...s, bits: false }; }
  const outputs = s.h * s.w * s.c;
  const byteInput = rng() < 0.3;
  const normalization = byteInput ? { scale: [1 / 64], offset: [-2] }
    : rng.pick([null, { mean: [rng.dyadic(8, 1)], std: [rng.pick([0.5, 1, 2])] }, { scale: Array.from({ length: c }, () => rng.dyadic(4, 1)), offset: [0.125] }]);
  const metadata: BxnMetadata = {
    name: `random-${layers.length}`, producer: 'tools/fuzz/models.ts', inputShape: [h, w, c], normalization,
    labels: rng() < 0.5 ? Array.from({ length: outputs }, (_, i) => `class ${i}`) : [],
  };
  const input = () => byteInput
    ? new Uint8Array(h * w * c).map(() => rng.int(0, 255))
    : new Float32Array(h * w * c).map(() => rng.dyadic(8, 2));
  return { model: { metadata, layers, ...(expanders.length ? { expanders } : {}) }, input };
}

/** One op, wrapped so its input and output are what the op needs (pack before, unpack after). */
export function singleOpModel(rng: Rng, op: OpName): RandomModel {
  for (let attempt = 0; attempt < 200; attempt++) {
    const input = OPS.find((o) => o.name === op)!.input;
    const bitsIn = input === 'bits' || (input === 'any' && rng() < 0.5);
    const first: OpName[] = bitsIn ? ['packSigns', op] : op === 'dense' || op === 'xdense' ? ['flatten', op] : [op];
    try {
      return randomModel(rng, { first, only: true });
    } catch { /* shape did not fit; draw again */ }
  }
  throw new Error(`singleOpModel: could not build ${op}`);
}


// ---- a ~200 KB model of realistic shape (load-time target, soak) ----
export function model200k(rng: Rng): RandomModel {
  const signs = (n: number) => randomSigns(rng, n);
  const bconv = (cin: number, cout: number, stride: number, bitsOut: boolean): LayerInput => ({
    op: 'bconv2d', kh: 3, kw: 3, stride, padding: 'same', outChannels: cout, bitsOut,
    weights: packBinaryFilters(signs(9 * cin * cout), 3, 3, cin, cout), transform: transform(rng, 9 * cin, cout, bitsOut),
  });
  const layers: LayerInput[] = [
    { op: 'conv2d', kh: 3, kw: 3, stride: 1, padding: 'same', outChannels: 64, relu: false,
      weights: packFloatFilters(new Float32Array(27 * 64).map(() => rng.dyadic(16, 1)), 27, 64), bias: new Float32Array(64) },
    { op: 'packSigns' },
    bconv(64, 128, 2, true),
    { op: 'maxPool2dBits', kh: 2, kw: 2, stride: 2, padding: 'valid' },
    bconv(128, 256, 1, true),
    bconv(256, 256, 2, false),
    { op: 'globalAvgPool' },
    { op: 'dense', outChannels: 100, weights: packFloatFilters(new Float32Array(256 * 100).map(() => rng.dyadic(16, 1)), 256, 100),
      bias: new Float32Array(100) },
    { op: 'softmax' },
  ];
  const metadata: BxnMetadata = {
    name: 'model-200k', producer: 'tools/fuzz/models.ts', inputShape: [32, 32, 3],
    normalization: { scale: [1 / 127.5], offset: [-1] }, labels: Array.from({ length: 100 }, (_, i) => `class ${i}`),
  };
  return { model: { metadata, layers }, input: () => new Uint8Array(32 * 32 * 3).map(() => rng.int(0, 255)) };
}

