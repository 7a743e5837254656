/**
 * Structurally valid hostile models, built from the op registry: every file has correct
 * CRCs and a consistent section table (writeBxn seals it), tensors sized by each
 * descriptor's shape inference, so the semantic checks and the kernels are what gets
 * attacked: windows larger than inputs, extreme strides, huge channel counts, shared
 * tensors, values that decode to non-finite f32, sizes at the caps' edges.
 */
import { axisGeometry, type Padding } from '../../sdk/layout.js';
import type { ExpanderRecord, Normalization, Shape } from '../../sdk/format/model.js';
import type { TensorEncoding, TensorRole } from '../../sdk/format/spec.js';
import { writeBxn, type LayerInput, type TensorInput } from '../../sdk/format/writer.js';
import { OPS, type LayerAttributes, type OpDescriptor, type WindowGeometry } from '../../sdk/ops.js';
import type { RandomSource as Rng } from '../../sdk/prng.js';

/** Biggest tensor the generator writes (elements, 512 KiB): keeps generation fast; caps are reached through shapes. */
const MAX_GENERATED = 1 << 17;
const EXTREME_DIMS = [1, 2, 3, 7, 31, 32, 33, 64, 255, 1024, 4093, 65535, 65536];

function pickDim(rng: Rng): number {
  return rng() < 0.7 ? rng.int(1, 24) : rng.pick(EXTREME_DIMS);
}

/** Float values of a tensor; sometimes ones that are finite in the file but not after decoding. */
function floatTensor(rng: Rng, encoding: TensorEncoding, count: number, channels: number, lanes: number): TensorInput {
  const hostile = rng() < 0.15;
  if (encoding === 'int8') {
    const scales = new Float32Array(channels).map(() => (hostile && rng() < 0.5 ? rng.pick([3e38, -3e38, 2.7e36, 1e-45]) : 2 ** -rng.int(0, 8)));
    const q = new Int8Array(count).map(() => (hostile ? rng.pick([127, -128, -127]) : rng.int(-20, 20)));
    return { encoding: 'int8', q, scales, lanes };
  }
  const extreme = encoding === 'f16' ? [65504, -65504, 1e5, 6e-8] : [3.4e38, -3.4e38, Infinity, NaN, 1e-45];
  const data = new Float32Array(count).map(() => (hostile && rng() < 0.3 ? rng.pick(extreme) : rng() * 4 - 2));
  return encoding === 'f16' ? { encoding: 'f16', data } : data;
}

function bitsTensor(rng: Rng, count: number): Uint32Array {
  const words = new Uint32Array(count);
  const kind = rng.int(0, 2); // zeros (always valid), all ones, random (padding bits set unless C % 32 == 0)
  if (kind === 1) words.fill(0xffffffff);
  if (kind === 2) for (let i = 0; i < count; i++) words[i] = (rng() * 2 ** 32) >>> 0;
  return words;
}

function windowFor(rng: Rng, op: OpDescriptor, x: Shape): { attrs: Pick<LayerInput, 'kh' | 'kw' | 'stride' | 'padding'>; window: WindowGeometry | null } {
  if (!op.attributes.window) return { attrs: {}, window: null };
  const big = rng() < 0.3;
  const kh = big ? rng.pick([16, 33, 64]) : rng.int(1, 5), kw = big ? rng.pick([16, 33, 64]) : rng.int(1, 5);
  const stride = rng() < 0.2 ? 16 : rng.int(1, 3);
  const padding: Padding = rng() < 0.6 ? 'same' : 'valid';
  const gy = axisGeometry(x.h, kh, stride, padding), gx = axisGeometry(x.w, kw, stride, padding);
  const window = gy && gx ? { outH: gy.out, outW: gx.out, padTop: gy.padBefore, padLeft: gx.padBefore } : null;
  return { attrs: { kh, kw, stride, padding }, window };
}

/**
 * An XGRF record for an X-layer: mostly one that fits (C_in = the input's channels, C_out =
 * the layer's N, blocks of 8), sometimes with a field at or past its limit (zero or odd
 * groups, D over C_in, C_out of 65536, an unknown generator, the edge cap).
 */
function graphFor(rng: Rng, cin: number, cout: number): ExpanderRecord {
  const inGroup = rng.pick([1, 2, 4, 8, 8, 16].filter((g) => cin % g === 0).concat(cin % 8 === 0 ? [8] : [1]));
  const g: ExpanderRecord = {
    generator: 1, balanced: rng() < 0.5, seedLo: (rng() * 2 ** 32) >>> 0, seedHi: (rng() * 2 ** 32) >>> 0,
    inChannels: cin, outChannels: cout, degree: inGroup * rng.int(1, Math.max(1, Math.floor(cin / inGroup))), inGroup, outGroup: 8,
  };
  if (rng() < 0.25) {
    const field = rng.pick(['generator', 'inGroup', 'outGroup', 'degree', 'inChannels', 'outChannels'] as const);
    if (field === 'generator') g.generator = rng.pick([0, 2, 3, 0xffffffff]); // 2 with a seed is bad_expander, others unsupported
    else if (field === 'inGroup' || field === 'outGroup') g[field] = rng.pick([0, 3, 7, 256, 65535]);
    else g[field] = rng.pick([0, cin + 1, 65536, 65537, 2 ** 31, 0xffffffff]);
  }
  return g;
}

/** One hostile model (written, sealed); its sizes aim at the fuzz caps' edges (65488-wide rows, 64×64 windows, 65536 channels). */
export function hostileModel(rng: Rng): Uint8Array {
  const inputShape: [number, number, number] = rng() < 0.1
    ? [1, rng.pick([65488, 65536, 4093]), rng.pick([1, 3, 16])] // one long row: extreme geometry near the arena cap
    : [pickDim(rng), pickDim(rng), rng() < 0.8 ? rng.int(1, 40) : rng.pick(EXTREME_DIMS)];
  let x: Shape = { h: inputShape[0], w: inputShape[1], c: inputShape[2], dtype: 'f32' };
  const layers: LayerInput[] = [];
  const expanders: ExpanderRecord[] = [];
  const pool = new Map<string, TensorInput>(); // tensors by (role, encoding, count): shared on purpose
  const target = rng.int(1, 6);
  for (let tries = 0; layers.length < target && tries < 40; tries++) {
    const op = rng.pick(OPS);
    if (op.input !== 'any' && op.input !== x.dtype && rng() < 0.95) continue;
    const { attrs, window } = windowFor(rng, op, x);
    if (op.attributes.window && !window && rng() < 0.8) continue;
    const outChannels = op.name === 'depthwiseConv2d' && rng() < 0.9 ? x.c
      : op.attributes.outChannels ? (rng() < 0.7 ? rng.int(1, 70) : rng.pick(EXTREME_DIMS)) : undefined;
    const bitsOut = op.attributes.bitsOut && rng() < 0.5;
    const relu = op.attributes.relu && !bitsOut && rng() < 0.5;
    // X-layers: a new graph, or one an earlier layer uses (shared records), or now and then an index past the end.
    let graph: LayerAttributes['graph'] = null, graphRef: number | undefined;
    if (op.attributes.graph) {
      if (expanders.length && rng() < 0.3) graphRef = rng.int(0, expanders.length - 1);
      else { graphRef = expanders.length; expanders.push(graphFor(rng, x.c, outChannels ?? 1)); }
      graph = { ...expanders[graphRef], index: graphRef };
      if (rng() < 0.03) graphRef = expanders.length + rng.int(0, 3);
    }
    const a: LayerAttributes = { kh: attrs.kh ?? 0, kw: attrs.kw ?? 0, stride: attrs.stride ?? 0, outChannels: outChannels ?? 0, relu, bitsOut, window, graph };
    let inferred;
    try {
      inferred = op.infer(x, a, (what) => { throw new Error(what); });
    } catch {
      if (rng() < 0.9) continue; // mostly keep chains consistent; sometimes write the mismatch
      inferred = null;
    }
    const layer: LayerInput = { op: op.name, ...attrs, outChannels, relu, bitsOut, graph: graphRef };
    let tooBig = false;
    for (const slot of op.tensors) {
      const inferredCount = inferred?.tensors[slot.role];
      // A hostile graph can make shape inference give no sensible count: write some count anyway.
      const right = inferredCount !== undefined && Number.isInteger(inferredCount) && inferredCount > 0 ? inferredCount : rng.int(1, 64);
      const count = rng() < 0.05 ? Math.max(1, right + rng.int(-1, 1)) : right; // off by one now and then
      if (count > MAX_GENERATED) { tooBig = true; break; }
      const encoding = rng.pick(slot.encodings);
      const key = `${slot.role}:${encoding}:${count}`;
      const shared = pool.get(key);
      if (shared && rng() < 0.6) { layer[slot.role as TensorRole] = shared; continue; }
      const channels = slot.int8Axis === 'panels' ? Math.ceil((outChannels ?? 1) / 8) * 8 : slot.int8Axis === 'outChannels' ? (outChannels ?? 1) : count;
      const lanes = slot.int8Axis === 'panels' ? 8 : 0;
      const t = encoding === 'bits' ? bitsTensor(rng, count)
        : floatTensor(rng, encoding, count, count % channels === 0 ? channels : count, count % channels === 0 ? lanes : 0);
      pool.set(key, t);
      layer[slot.role as TensorRole] = t;
    }
    if (tooBig) continue;
    layers.push(layer);
    if (inferred) x = inferred.output;
    // Shared-tensor chains: repeat a shape-preserving layer many times over one tensor.
    if (inferred && rng() < 0.05 && x.h === inferred.output.h && op.tensors.length && shapePreserving(op, x, a))
      for (let k = rng.int(2, 200); k > 0; k--) layers.push(layer);
  }
  if (layers.length === 0) layers.push({ op: 'relu' });
  if (x.dtype === 'bits') layers.push({ op: 'unpackSigns' });
  const normalization: Normalization | null = rng() < 0.1
    ? rng.pick([{ mean: [0], std: [1e-300] }, { scale: [1e39], offset: [0] }, { mean: [3e38], std: [1e-30] }, { scale: [1e-40], offset: [1] }])
    : null;
  if (expanders.length && rng() < 0.03) expanders.push(graphFor(rng, 8, 8)); // an unused record
  return writeBxn({ metadata: { name: 'hostile', producer: 'tools/fuzz/hostile.ts', inputShape, normalization, labels: [] }, layers, ...(expanders.length ? { expanders } : {}) });
}

function shapePreserving(op: OpDescriptor, x: Shape, a: LayerAttributes): boolean {
  try {
    const out = op.infer(x, a, (what) => { throw new Error(what); }).output;
    return out.h === x.h && out.w === x.w && out.c === x.c && out.dtype === x.dtype;
  } catch { return false; }
}
