import { describe, expect, it } from 'vitest';
import { readBxn, writeBxn } from '../sdk/format/index.js';
import { decodeTensor } from '../sdk/format/decode.js';
import { f16ToF32, f32ToF16, int8ScaleIndex, packFloatFilters, packSigns, unpackSignsF32, packBinaryFilters, patchWords, quantizeInt8 } from '../sdk/layout.js';
import { crc32 } from '../sdk/format/crc32.js';
import { OPS } from '../sdk/ops.js';
import { FORMAT_ERROR_CODES } from '../sdk/errors.js';
import { readFileSync } from 'node:fs';
import { ALL_OPS, makeRng, randomModel, singleOpModel } from './sdk.helpers.js';

describe('format round trip', () => {
  it('CRC32 matches the IEEE check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('the op list covers every op once with distinct codes', () => {
    expect(new Set(OPS.map((o) => o.code)).size).toBe(OPS.length);
    expect(OPS.map((o) => o.name).sort()).toEqual([...ALL_OPS].sort());
  });

  it('random models of every layer kind read back with the same layers and tensors', () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 300; seed++) {
      const rng = makeRng(seed);
      const { model } = seed <= ALL_OPS.length * 3 ? singleOpModel(rng, ALL_OPS[seed % ALL_OPS.length]) : randomModel(rng);
      const bytes = writeBxn(model);
      const parsed = readBxn(bytes);
      expect(parsed.metadata, `seed ${seed}`).toEqual(model.metadata);
      expect(parsed.layers.map((l) => l.op)).toEqual(model.layers.map((l) => l.op));
      for (const [i, layer] of parsed.layers.entries()) {
        seen.add(layer.op);
        const input = model.layers[i];
        for (const [role, index] of Object.entries(layer.tensors)) {
          const given = input[role as 'weights'];
          const decoded = decodeTensor(bytes, parsed.tensors[index]);
          if (given instanceof Float32Array || given instanceof Uint32Array) expect(Array.from(decoded)).toEqual(Array.from(given));
          else if (given && 'q' in given) expect(Array.from(decoded)).toEqual(Array.from(given.q, (q, k) => q * given.scales[int8ScaleIndex(k, given.q.length, given.scales.length, given.lanes)]));
          else if (given && given.encoding === 'f16') expect(Array.from(decoded)).toEqual(Array.from(given.data)); // dyadic: exact in f16
        }
        if (i > 0) expect(layer.input).toEqual(parsed.layers[i - 1].output);
      }
      for (const s of parsed.sections) expect(s.offset % 16).toBe(0);
      for (const t of parsed.tensors) expect(t.byteOffset % 16).toBe(0);
    }
    expect([...seen].sort()).toEqual([...ALL_OPS].sort());
  });

  it('writes the same bytes for the same model (deterministic)', () => {
    const a = writeBxn(randomModel(makeRng(7)).model);
    const b = writeBxn(randomModel(makeRng(7)).model);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('f16 conversion rounds to nearest even and keeps specials', () => {
    for (const v of [0, -0, 1, -2.5, 65504, 6.103515625e-5, 5.960464477539063e-8, 0.1, 1 / 3])
      expect(f16ToF32(f32ToF16(v))).toBeCloseTo(v, 3);
    expect(f32ToF16(65520)).toBe(0x7c00); // rounds up to infinity
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie to even
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Number.isNaN(f16ToF32(f32ToF16(NaN)))).toBe(true);
  });

  it('decoding f16 and int8 tensors matches the plain conversions, for any value', () => {
    const rng = makeRng(77);
    const values = Array.from({ length: 2000 }, (_, i) => (rng() * 2 - 1) * 2 ** rng.int(-26, 15) * (i % 7 === 0 ? 0 : 1));
    const model = writeBxn({
      metadata: { name: 'd', producer: 't', inputShape: [1, 1, 2000], normalization: null, labels: [] },
      layers: [{ op: 'scaleShift', scale: { encoding: 'f16', data: values }, shift: { encoding: 'int8', data: values } }],
    });
    const parsed = readBxn(model);
    const half = decodeTensor(model, parsed.tensors[0]);
    const int8 = decodeTensor(model, parsed.tensors[1]);
    const { q, scales } = quantizeInt8(values, 2000);
    for (let i = 0; i < values.length; i++) {
      expect(half[i]).toBe(Math.fround(f16ToF32(f32ToF16(values[i]))));
      expect(int8[i]).toBe(Math.fround(q[i] * scales[i]));
    }
  });

  it('bit packing: one element at a time lands on bit c % 32 of word c >> 5', () => {
    for (const C of [1, 31, 32, 33, 64, 65]) {
      for (let c = 0; c < C; c++) {
        const v = new Float32Array(2 * C).fill(1);
        v[C + c] = -1;
        const bits = packSigns(v, 2, C);
        const cw = Math.ceil(C / 32);
        expect(Array.from(bits)).toEqual(Array.from({ length: 2 * cw }, (_, i) => (i === cw + (c >> 5) ? (1 << (c & 31)) >>> 0 : 0)));
        expect(Array.from(unpackSignsF32(bits, 2, C))).toEqual(Array.from(v));
      }
    }
    expect(packSigns([0, -0, NaN], 1, 3)[0]).toBe(0); // sign(0) = sign(NaN) = +1
  });

  it('float filters: panels [ceil(N/8), kh, kw, C, 8]; int8 scales follow the output channel', () => {
    const kh = 1, kw = 2, C = 3, N = 10;
    const w = Float32Array.from({ length: kh * kw * C * N }, (_, i) => i + 1);
    const p = packFloatFilters(w, kh * kw * C, N);
    expect(p.length).toBe(2 * 6 * 8);
    const rows = kh * kw * C;
    for (let r = 0; r < rows; r++) for (let o = 0; o < 16; o++)
      expect(p[(Math.floor(o / 8) * rows + r) * 8 + (o % 8)]).toBe(o < N ? w[r * N + o] : 0);
    // Output channel o scaled by 2^o: each scale must come out per channel.
    const scaled = p.map((v, i) => v * 2 ** int8ScaleIndex(i, p.length, 16, 8));
    const { q, scales } = quantizeInt8(scaled, 16, 8);
    for (let i = 0; i < p.length; i++) {
      const o = Math.floor(i / (rows * 8)) * 8 + (i % 8);
      expect(int8ScaleIndex(i, p.length, 16, 8)).toBe(o);
      expect(Math.abs(q[i] * scales[o] - scaled[i])).toBeLessThanOrEqual(scales[o] / 2 + 1e-6); // half a step of its own channel
    }
  });

  it('binary conv weights: [C_out, Kpad] with (ky, kx, cw) patch order and zero pad words', () => {
    const kh = 2, kw = 3, C = 33, N = 2;
    const w = new Float32Array(kh * kw * C * N).fill(1);
    const at = (ky: number, kx: number, c: number, o: number) => ((ky * kw + kx) * C + c) * N + o;
    w[at(1, 2, 32, 1)] = -1;
    const packed = packBinaryFilters(w, kh, kw, C, N);
    const kpad = patchWords(C, kh, kw);
    expect(kpad).toBe(12);
    const expected = new Uint32Array(N * kpad);
    expected[1 * kpad + (1 * kw + 2) * 2 + 1] = 1;
    expect(Array.from(packed)).toEqual(Array.from(expected));
  });
});

describe('FORMAT.md agrees with the code', () => {
  const doc = readFileSync(new URL('../sdk/FORMAT.md', import.meta.url), 'utf8');
  it('every error code is documented', () => {
    for (const code of FORMAT_ERROR_CODES) expect(doc, code).toContain(`\`${code}\``);
  });
});
