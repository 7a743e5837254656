import { describe, expect, it } from 'vitest';
import { BxnFormatError } from '../sdk/errors.js';
import { readBxn, sealBxn, writeBxn, type BxnModelInput } from '../sdk/format/index.js';
import { WIRE_RECORD_BYTES, EXPANDER_RECORD_BYTES, HEADER_BYTES, SECTION_ENTRY_BYTES, TABLE_PREFIX_BYTES, TENSOR_RECORD_BYTES, LAYER_RECORD_BYTES } from '../sdk/format/spec.js';
import type { ExpanderRecord } from '../sdk/format/model.js';
import { xbconvFilterBytes } from '../sdk/layout.js';
import { makeRng, randomModel } from './sdk.helpers.js';

/** The error code readBxn throws, or 'ok'. Anything but a BxnFormatError fails the test. */
function codeOf(bytes: Uint8Array, limits = {}): string {
  try {
    readBxn(bytes, limits);
    return 'ok';
  } catch (e) {
    if (!(e instanceof BxnFormatError)) throw e;
    expect(e.message.length).toBeGreaterThan(10);
    return e.code;
  }
}

const small = (): BxnModelInput => ({
  metadata: { name: 'tiny', producer: 'test', inputShape: [4, 4, 3], normalization: null, labels: ['a', 'b'] },
  layers: [
    { op: 'conv2d', kh: 3, kw: 3, stride: 1, padding: 'same', outChannels: 33, relu: true,
      weights: new Float32Array(3 * 3 * 3 * 40).fill(0.5), bias: new Float32Array(33) },
    { op: 'packSigns' },
    { op: 'bconv2d', kh: 3, kw: 3, stride: 2, padding: 'valid', outChannels: 8, bitsOut: true,
      weights: new Uint32Array(8 * 20), transform: new Float32Array(24).fill(0.5) },
    { op: 'bdense', outChannels: 2, weights: new Uint32Array(2 * 4), transform: new Float32Array(6).fill(1) },
  ],
});

const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const setU32 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(at, v, true);
const sectionEntry = (i: number) => HEADER_BYTES + i * SECTION_ENTRY_BYTES;
const sectionOffset = (b: Uint8Array, type: string) => {
  const count = u32(b, 20);
  for (let i = 0; i < count; i++) {
    const at = sectionEntry(i);
    if (String.fromCharCode(...b.subarray(at, at + 4)) === type) return { entry: at, offset: u32(b, at + 8), length: u32(b, at + 12) };
  }
  throw new Error(`no ${type}`);
};

describe('corrupt files give typed errors', () => {
  const good = writeBxn(small());

  it('the uncorrupted file reads', () => expect(codeOf(good)).toBe('ok'));

  it('bad magic', () => {
    for (let i = 0; i < 8; i++) {
      const b = good.slice();
      b[i] ^= 0x20;
      expect(codeOf(b)).toBe('bad_magic');
    }
    expect(codeOf(new TextEncoder().encode('{"json": true}'))).toBe('bad_magic');
  });

  it('unknown major version is rejected; a newer minor version reads', () => {
    const major = good.slice();
    new DataView(major.buffer).setUint16(8, 2, true);
    expect(codeOf(sealBxn(major))).toBe('unsupported_version');
    new DataView(major.buffer).setUint16(8, 0, true);
    expect(codeOf(sealBxn(major))).toBe('unsupported_version');
    expect(codeOf(writeBxn({ ...small(), version: { major: 1, minor: 7 } }))).toBe('ok');
  });

  it('truncation at every length (so at and around every section boundary) → truncated', () => {
    const boundaries = new Set<number>();
    for (let n = 0; n < good.length; n++) {
      const code = codeOf(good.subarray(0, n));
      if (code !== 'truncated') expect.fail(`truncated to ${n} bytes gave ${code}`);
    }
    for (let i = 0; i < u32(good, 20); i++) { boundaries.add(u32(good, sectionEntry(i) + 8)); boundaries.add(u32(good, sectionEntry(i) + 8) + u32(good, sectionEntry(i) + 12)); }
    expect(boundaries.size).toBeGreaterThanOrEqual(5); // the loop above covered b − 1, b, b + 1 of each
  });

  it('trailing bytes', () => {
    const b = new Uint8Array(good.length + 16);
    b.set(good);
    expect(codeOf(b)).toBe('trailing_bytes');
  });

  it('every single bit flip is detected', () => {
    const codes = new Map<string, number>();
    for (let byte = 0; byte < good.length; byte++)
      for (let bit = 0; bit < 8; bit++) {
        const b = good.slice();
        b[byte] ^= 1 << bit;
        const code = codeOf(b);
        if (code === 'ok') expect.fail(`flipping bit ${bit} of byte ${byte} went unnoticed`);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    expect([...codes.keys()]).toEqual(expect.arrayContaining(['bad_magic', 'checksum_mismatch', 'unsupported_version']));
  });

  it('checksum mismatch in a section, the table and the header', () => {
    const data = sectionOffset(good, 'DATA');
    const b = good.slice();
    b[data.offset + 5] ^= 1;
    expect(codeOf(b)).toBe('checksum_mismatch');
    const t = good.slice();
    setU32(t, 32, u32(t, 32) ^ 1);
    expect(codeOf(t)).toBe('checksum_mismatch');
    const h = good.slice();
    setU32(h, 60, u32(h, 60) ^ 1);
    expect(codeOf(h)).toBe('checksum_mismatch');
  });

  it('a section past the end of the file says where', () => {
    const b = good.slice();
    const data = sectionOffset(b, 'DATA');
    setU32(b, data.entry + 12, data.length + 4096);
    sealBxn(b);
    expect(() => readBxn(b)).toThrow(new RegExp(`section \\d 'DATA' ends at byte ${data.offset + data.length + 4096} but the file has ${b.length} bytes`));
  });

  it('overlapping, out-of-order, gapped and misaligned sections', () => {
    const overlap = good.slice();
    setU32(overlap, sectionEntry(2) + 8, u32(overlap, sectionEntry(1) + 8));
    expect(codeOf(sealBxn(overlap))).toBe('section_overlap');
    const intoTable = good.slice();
    setU32(intoTable, sectionEntry(0) + 8, HEADER_BYTES);
    expect(codeOf(sealBxn(intoTable))).toBe('section_overlap');
    const swapped = good.slice();
    const e1 = swapped.slice(sectionEntry(1), sectionEntry(2));
    swapped.copyWithin(sectionEntry(1), sectionEntry(2), sectionEntry(3));
    swapped.set(e1, sectionEntry(2));
    expect(codeOf(sealBxn(swapped))).toBe('section_order');
    const types = good.slice(); // TENS and LAYR trade names: offsets in order, types not
    const t1 = types.slice(sectionEntry(1), sectionEntry(1) + 4);
    types.copyWithin(sectionEntry(1), sectionEntry(2), sectionEntry(2) + 4);
    types.set(t1, sectionEntry(2));
    expect(codeOf(sealBxn(types))).toBe('section_order');
    const misaligned = good.slice();
    setU32(misaligned, sectionEntry(3) + 8, u32(misaligned, sectionEntry(3) + 8) + 4);
    expect(codeOf(sealBxn(misaligned))).toBe('bad_section_table');
    const gap = good.slice();
    setU32(gap, sectionEntry(3) + 8, u32(gap, sectionEntry(3) + 8) + 16);
    expect(['section_gap', 'section_out_of_bounds']).toContain(codeOf(sealBxn(gap)));
    const dirtyPadding = good.slice();
    const meta = sectionOffset(good, 'META');
    if ((meta.offset + meta.length) % 16 !== 0) {
      dirtyPadding[meta.offset + meta.length] = 1;
      expect(codeOf(sealBxn(dirtyPadding))).toBe('section_gap');
    }
  });

  it('missing, duplicate and unknown sections', () => {
    const renamed = good.slice();
    const data = sectionOffset(renamed, 'DATA');
    renamed.set(new TextEncoder().encode('DAT2'), data.entry);
    expect(codeOf(sealBxn(renamed))).toBe('unsupported_section');
    setU32(renamed, data.entry + 4, 0); // optional now: skipped, so DATA is missing
    expect(codeOf(sealBxn(renamed))).toBe('missing_section');
    const dup = good.slice();
    dup.set(new TextEncoder().encode('TENS'), sectionEntry(2));
    expect(codeOf(sealBxn(dup))).toBe('bad_section_table');
    const note = { type: 'NOTE', required: false, bytes: new TextEncoder().encode('hello') };
    expect(codeOf(writeBxn({ ...small(), extraSections: [note] }))).toBe('ok');
    expect(codeOf(writeBxn({ ...small(), extraSections: [{ ...note, required: true }] }))).toBe('unsupported_section');
    expect(codeOf(writeBxn({ ...small(), extraSections: [{ ...note, type: 'NO!E' }] }))).toBe('bad_section_table');
  });

  it('header fields out of range', () => {
    for (const [at, value] of [[12, 32], [24, 128], [28, 1], [40, 7], [20, 0], [20, 65]] as const) {
      const b = good.slice();
      setU32(b, at, value);
      expect(codeOf(sealBxn(b)), `byte ${at} = ${value}`).toBe('bad_header');
    }
  });

  describe('wiring (WIRE): residual adds and side branches', () => {
    /** [4, 4, 8] f32 → relu → scaleShift → add(relu's, scaleShift's) → relu reading the input (side branch) → add(previous add, it). */
    const wired = (over: Record<number, { input?: number; input2?: number }> = {}): BxnModelInput => {
      const layers: BxnModelInput['layers'] = [
        { op: 'relu' },
        { op: 'scaleShift', scale: new Float32Array(8).fill(2), shift: new Float32Array(8).fill(-1) },
        { op: 'add', input2: 1 },
        { op: 'relu', input: 0 },
        { op: 'add', input: 3, input2: 4, relu: true },
      ];
      for (const [i, o] of Object.entries(over)) Object.assign(layers[Number(i)], o);
      return { metadata: { name: 'w', producer: 'test', inputShape: [4, 4, 8], normalization: null, labels: [] }, layers };
    };
    const wire = (b: Uint8Array) => sectionOffset(b, 'WIRE').offset;
    const edited = (edit: (b: Uint8Array) => void) => { const b = writeBxn(wired()); edit(b); return sealBxn(b); };

    it('a wired file reads as 1.1 with each layer\'s values; a chain has no WIRE and stays 1.0', () => {
      const model = readBxn(writeBxn(wired()));
      expect(model.version).toEqual({ major: 1, minor: 1 });
      expect(model.sections.map((s) => s.type)).toEqual(['META', 'TENS', 'LAYR', 'WIRE', 'DATA']);
      expect(model.layers.map((l) => l.inputs)).toEqual([[0], [1], [2, 1], [0], [3, 4]]);
      const chain = readBxn(writeBxn({ ...wired(), layers: [{ op: 'relu' }, { op: 'relu', input: 1 }] }));
      expect(chain.version.minor).toBe(0);
      expect(chain.sections.map((s) => s.type)).not.toContain('WIRE');
    });

    it('records: a value not computed yet, a second input on a one-input op or none on add, an unused value', () => {
      expect(() => readBxn(writeBxn(wired({ 3: { input: 4 } })))).toThrow(/layer 3 \(relu\) reads value 4, which is not computed yet/);
      expect(codeOf(writeBxn(wired({ 2: { input2: 3 } })))).toBe('bad_wiring');
      expect(codeOf(writeBxn(wired({ 0: { input2: 0 } })))).toBe('bad_wiring'); // relu takes one input
      expect(() => readBxn(edited((b) => setU32(b, wire(b) + TABLE_PREFIX_BYTES + 2 * WIRE_RECORD_BYTES + 4, 0xffffffff))))
        .toThrow(/layer 2 \(add\) adds two values but its WIRE record names no second input/);
      // The last add reads layer 2's output twice: layer 3's is then read by nobody.
      expect(() => readBxn(writeBxn(wired({ 4: { input: 3, input2: 3 } })))).toThrow(/layer 3 \(relu\)'s output is not read by any layer/);
    });

    it('the two values of an add must match; the section is checked like the other tables', () => {
      const mismatched: BxnModelInput = { ...wired(), layers: [{ op: 'avgPool2d', kh: 2, kw: 2, stride: 2, padding: 'valid' }, { op: 'add', input2: 0 }] };
      expect(() => readBxn(writeBxn(mismatched))).toThrow(/layer 1 \(add\) adds layer 0 \(avgPool2d\)'s \[2, 2, 8\] f32 and the input's \[4, 4, 8\] f32/);
      expect(codeOf(edited((b) => setU32(b, wire(b), 4)))).toBe('bad_wiring'); // count ≠ layers
      expect(codeOf(edited((b) => setU32(b, wire(b) + 4, 1)))).toBe('bad_wiring'); // reserved prefix
      expect(codeOf(edited((b) => setU32(b, wire(b) + TABLE_PREFIX_BYTES + 8, 1)))).toBe('bad_wiring'); // reserved record bytes
      // Without the required flag a reader would run the file as a chain: the flag is mandatory.
      const table = (b: Uint8Array) => HEADER_BYTES + 3 * SECTION_ENTRY_BYTES;
      expect(codeOf(edited((b) => setU32(b, table(b) + 4, 0)))).toBe('bad_section_table');
    });
  });

  describe('expander graphs (XGRF) and X-layers', () => {
    const graph = (over: Partial<ExpanderRecord> = {}): ExpanderRecord =>
      ({ generator: 1, balanced: true, seedLo: 42, seedHi: 7, inChannels: 16, outChannels: 16, degree: 8, inGroup: 1, outGroup: 8, ...over });
    /** [5, 5, 16] f32 → xconv2d 3×3 N=16 (graph 0) → packSigns → xbconv2d 3×3 N=9 (graph 1) → unpackSigns. */
    const xModel = (g0: Partial<ExpanderRecord> = {}, g1: Partial<ExpanderRecord> = {}, extra: Partial<BxnModelInput> = {}): BxnModelInput => ({
      metadata: { name: 'x', producer: 'test', inputShape: [5, 5, 16], normalization: null, labels: [] },
      expanders: [graph(g0), graph({ outChannels: 9, inGroup: 8, ...g1 })],
      layers: [
        { op: 'xconv2d', kh: 3, kw: 3, stride: 1, padding: 'same', outChannels: 16, graph: 0,
          weights: new Float32Array(9 * 8 * 16).fill(0.25), bias: new Float32Array(16) },
        { op: 'packSigns' },
        { op: 'xbconv2d', kh: 3, kw: 3, stride: 1, padding: 'valid', outChannels: 9, bitsOut: true, graph: 1,
          weights: new Uint32Array((9 * xbconvFilterBytes(8, 3, 3)) / 4), transform: new Float32Array(27).fill(0.5) },
        { op: 'unpackSigns' },
      ],
      ...extra,
    });
    const xgrf = (b: Uint8Array) => sectionOffset(b, 'XGRF').offset;
    const recordAt = (b: Uint8Array, i: number) => xgrf(b) + TABLE_PREFIX_BYTES + i * EXPANDER_RECORD_BYTES;
    const edited = (edit: (b: Uint8Array) => void) => { const b = writeBxn(xModel()); edit(b); return sealBxn(b); };

    it('a file with X-layers reads: layers carry their record, the weights region counts each index table once', () => {
      const model = readBxn(writeBxn(xModel()));
      expect(model.expanders).toHaveLength(2);
      expect(model.layers[0].graph).toMatchObject({ index: 0, inChannels: 16, degree: 8, inGroup: 1 });
      expect(model.layers[2].graph).toMatchObject({ index: 1, outChannels: 9, inGroup: 8 });
      expect(model.layers[1].graph).toBeNull();
      expect(model.layers[0].macs).toBe(25 * 16 * 9 * 8); // D, not C_in, inputs per output
      const tensorBytes = model.tensors.reduce((n, t) => n + Math.ceil((t.count * 4) / 16) * 16, 0);
      // graph 0: 2 blocks × 8 groups × 4 B = 64; graph 1: 2 blocks × 1 group × 4 B → 16.
      expect(model.weightBytes - tensorBytes).toBe(64 + 16);
    });

    it('a record is checked on its own: unknown generator, flags, sizes, prefix, count, edge cap', () => {
      expect(codeOf(writeBxn(xModel({ generator: 3 })))).toBe('unsupported_expander');
      expect(() => readBxn(writeBxn(xModel({ generator: 3 })))).toThrow(/generator 3 is unknown/);
      expect(codeOf(edited((b) => setU32(b, recordAt(b, 0) + 4, 3)))).toBe('bad_expander'); // flag bit 1
      expect(codeOf(edited((b) => setU32(b, xgrf(b) + 8, 1)))).toBe('bad_expander'); // reserved prefix
      expect(codeOf(edited((b) => setU32(b, xgrf(b), 3)))).toBe('bad_expander'); // count vs length
      expect(codeOf(edited((b) => setU32(b, xgrf(b), 0)))).toBe('bad_expander');
      for (const bad of [{ inGroup: 0 }, { degree: 24 }, { degree: 0 }, { inChannels: 0 }, { outGroup: 300 }, { inGroup: 3 }])
        expect(codeOf(writeBxn(xModel(bad))), JSON.stringify(bad)).toBe('bad_expander');
      expect(codeOf(writeBxn(xModel({ degree: 4 }, { degree: 4 })))).toBe('bad_expander'); // graph 1: D 4 is not whole groups of 8
      const huge = graph({ inChannels: 65536, outChannels: 65536, degree: 65536, outGroup: 1 });
      expect(() => readBxn(writeBxn(xModel({}, {}, { expanders: [graph(), graph({ outChannels: 9, inGroup: 8 }), huge] })))).toThrow(/exceed 16777216/);
    });

    it('generator 2 (grouped) reads and round-trips; its seed, balanced flag and divisibility are checked', () => {
      const g2 = { generator: 2, balanced: false, seedLo: 0, seedHi: 0 };
      for (const shuffled of [false, true]) {
        // graph 0: 16 groups of 1 channel, D 8: G = 2 over 2 blocks; graph 1: 2 groups of 8, D 8 (G 2), 2 blocks.
        const model = readBxn(writeBxn(xModel({ ...g2, shuffled }, { ...g2, shuffled })));
        expect(model.expanders.map((r) => r.shuffled)).toEqual([shuffled, shuffled]);
        expect(model.expanders[0]).toEqual({ ...graph({ ...g2 }), shuffled });
        expect(model.layers[2].graph).toMatchObject({ generator: 2, shuffled, degree: 8, inGroup: 8 });
      }
      const flagsOf = (b: Uint8Array, i: number) => new DataView(b.buffer, b.byteOffset).getUint32(recordAt(b, i) + 4, true);
      const shuffledBytes = writeBxn(xModel({ ...g2, shuffled: true }, g2));
      expect([flagsOf(shuffledBytes, 0), flagsOf(shuffledBytes, 1)]).toEqual([2, 0]);
      expect(readBxn(writeBxn(xModel())).expanders[0]).not.toHaveProperty('shuffled'); // generator 1 records as before
      for (const [bad, message] of [
        [{ ...g2, seedLo: 1 }, /no seed/], [{ ...g2, seedHi: 9 }, /no seed/], [{ ...g2, balanced: true }, /no balanced flag/],
        [{ ...g2, degree: 12, inGroup: 4 }, /do not split into groups/], [{ ...g2, degree: 4 }, /2 output blocks do not split evenly over 4 groups/],
        [{ shuffled: true }, /generator 2 only/],
      ] as [Partial<ExpanderRecord>, RegExp][]) {
        const bytes = writeBxn(xModel(bad));
        expect(codeOf(bytes), JSON.stringify(bad)).toBe('bad_expander');
        expect(() => readBxn(bytes)).toThrow(message);
      }
    });

    it('layers and records must fit each other', () => {
      expect(() => readBxn(writeBxn(xModel({}, {}, { expanders: [graph(), graph({ outChannels: 9, inGroup: 8 }), graph()] })))).toThrow(/record 2 is not used/);
      const layers = xModel().layers;
      expect(codeOf(writeBxn(xModel({}, {}, { layers: [{ ...layers[0], graph: 5 }, ...layers.slice(1)] })))).toBe('bad_layer');
      expect(codeOf(writeBxn(xModel({}, {}, { layers: [layers[0], { ...layers[1], graph: 0 }, ...layers.slice(2)] })))).toBe('bad_layer');
      expect(codeOf(writeBxn(xModel({}, {}, { layers: [{ ...layers[0], graph: undefined }, ...layers.slice(1)] })))).toBe('bad_layer');
      for (const [g0, g1, message] of [
        [{ inChannels: 8 }, {}, /C_in 8 but the input has 16/], [{ outChannels: 15 }, {}, /C_out 15 but the layer has 16/],
        [{ outGroup: 4 }, {}, /outGroup 4/], [{}, { inGroup: 1 }, /whole bytes/],
      ] as [Partial<ExpanderRecord>, Partial<ExpanderRecord>, RegExp][]) {
        const bytes = writeBxn(xModel(g0, g1));
        expect(codeOf(bytes), String(message)).toBe('shape_mismatch');
        expect(() => readBxn(bytes)).toThrow(message);
      }
    });

    it('xbconv2d filter padding bytes must be zero', () => {
      const layers = xModel().layers;
      const weights = new Uint32Array((9 * xbconvFilterBytes(8, 3, 3)) / 4);
      weights[2] = 0xff00; // filter 0 byte 9: past its 9 tap bytes
      expect(codeOf(writeBxn(xModel({}, {}, { layers: [...layers.slice(0, 2), { ...layers[2], weights }, layers[3]] })))).toBe('nonzero_padding');
      weights[2] = 0xff; // byte 8, the last tap: data
      expect(codeOf(writeBxn(xModel({}, {}, { layers: [...layers.slice(0, 2), { ...layers[2], weights }, layers[3]] })))).toBe('ok');
    });
  });

  it('absurd dimensions and caps', () => {
    const huge = small();
    huge.metadata = { ...huge.metadata, inputShape: [65536, 65536, 3] };
    expect(codeOf(writeBxn(huge))).toBe('dimension_overflow');
    const big = small();
    big.metadata = { ...big.metadata, inputShape: [70000, 1, 3] };
    expect(codeOf(writeBxn(big))).toBe('bad_metadata');
    expect(codeOf(good, { maxWeightBytes: 1000 })).toBe('limit_exceeded');
    expect(codeOf(good, { maxArenaBytes: 1000 })).toBe('limit_exceeded');
    expect(codeOf(good, { maxMacs: 1000 })).toBe('limit_exceeded');
    const layr = sectionOffset(good, 'LAYR');
    const rec = layr.offset + TABLE_PREFIX_BYTES;
    for (const [at, value] of [[rec + 12, 0xffffffff], [rec + 4, 65535 | (3 << 16)], [rec + 8, 0], [rec + 16, 99]] as const) {
      const b = good.slice();
      setU32(b, at, value);
      expect(codeOf(sealBxn(b)), `LAYR byte ${at - rec}`).toBe('bad_layer');
    }
    const tens = sectionOffset(good, 'TENS');
    const trec = tens.offset + TABLE_PREFIX_BYTES;
    const count = good.slice();
    setU32(count, trec + 12, 0xffffffff);
    expect(codeOf(sealBxn(count))).toBe('dimension_overflow');
    const tensorCount = good.slice();
    setU32(tensorCount, tens.offset, 0x7fffffff);
    expect(codeOf(sealBxn(tensorCount))).toBe('bad_tensor');
    expect(TENSOR_RECORD_BYTES + LAYER_RECORD_BYTES).toBe(80);
  });

  it('op / shape / dtype inconsistencies', () => {
    const m = small();
    const bitsIntoFloat = { ...m, layers: [m.layers[0], m.layers[2]] };
    expect(codeOf(writeBxn(bitsIntoFloat))).toBe('shape_mismatch');
    const wrongCount = small();
    wrongCount.layers[0].weights = new Float32Array(10);
    expect(codeOf(writeBxn(wrongCount))).toBe('shape_mismatch');
    const endsInBits = { ...m, layers: m.layers.slice(0, 3) };
    expect(codeOf(writeBxn(endsInBits))).toBe('shape_mismatch');
    const denseOnImage = { ...m, layers: [{ op: 'dense' as const, outChannels: 2, weights: new Float32Array(48 * 8), bias: new Float32Array(2) }] };
    expect(codeOf(writeBxn(denseOnImage))).toBe('shape_mismatch');
    const labels = small();
    labels.metadata = { ...labels.metadata, labels: ['only one'] };
    expect(codeOf(writeBxn(labels))).toBe('bad_metadata');
    const window = small();
    window.metadata = { ...window.metadata, inputShape: [2, 2, 3] };
    window.layers[0] = { ...window.layers[0], padding: 'valid' };
    expect(codeOf(writeBxn(window))).toBe('shape_mismatch');
    const reluBits = small();
    reluBits.layers[2] = { ...reluBits.layers[2], relu: true };
    expect(codeOf(writeBxn(reluBits))).toBe('bad_layer');
    const f16Transform = small();
    f16Transform.layers[2] = { ...f16Transform.layers[2], transform: { encoding: 'f16', data: new Float32Array(24) } };
    expect(codeOf(writeBxn(f16Transform))).toBe('bad_layer');
  });

  it('tensor contents: NaN weights, set padding bits, bad metadata JSON', () => {
    const nan = small();
    nan.layers[0].weights = new Float32Array(3 * 3 * 3 * 40).fill(NaN);
    expect(codeOf(writeBxn(nan))).toBe('non_finite');
    const inf16 = small();
    inf16.layers[0].weights = { encoding: 'f16', data: new Float32Array(3 * 3 * 3 * 40).fill(1e6) };
    expect(codeOf(writeBxn(inf16))).toBe('non_finite');
    const padBits = small();
    const w = new Uint32Array(8 * 20);
    w[2 * 20 + 1] = 1 << 5; // bit 33 of a 33-channel patch word
    padBits.layers[2] = { ...padBits.layers[2], weights: w };
    expect(codeOf(writeBxn(padBits))).toBe('nonzero_padding');
    const padWord = small();
    const w2 = new Uint32Array(8 * 20);
    w2[19] = 1; // Kpad = 20 > 3·3·2 = 18
    padWord.layers[2] = { ...padWord.layers[2], weights: w2 };
    expect(codeOf(writeBxn(padWord))).toBe('nonzero_padding');
    // A flip mask (maxPool2dBitsFlip) over 33 channels: bit 1 of word 1 is channel 33, padding.
    const flipModel = (flip: Uint32Array) => { const m = small(); m.layers.splice(2, 0, { op: 'maxPool2dBitsFlip', kh: 1, kw: 1, stride: 1, padding: 'valid', flip }); return m; };
    expect(codeOf(writeBxn(flipModel(new Uint32Array([0xdeadbeef, 1]))))).toBe('ok');
    expect(codeOf(writeBxn(flipModel(new Uint32Array([0xdeadbeef, 3]))))).toBe('nonzero_padding');
    expect(codeOf(writeBxn(flipModel(new Uint32Array([1]))))).toBe('shape_mismatch');
    const meta = good.slice();
    const at = sectionOffset(meta, 'META').offset;
    meta[at] = 0x5b; // '[': no longer an object
    expect(codeOf(sealBxn(meta))).toBe('bad_metadata');
    meta[at] = 0xff; // not UTF-8
    expect(codeOf(sealBxn(meta))).toBe('bad_metadata');
    const badNorm = small();
    badNorm.metadata = { ...badNorm.metadata, normalization: { mean: [0, 0], std: [1] } };
    expect(codeOf(writeBxn(badNorm))).toBe('bad_metadata');
    const zeroStd = small();
    zeroStd.metadata = { ...zeroStd.metadata, normalization: { mean: [0], std: [0] } };
    expect(codeOf(writeBxn(zeroStd))).toBe('bad_metadata');
  });

  it('unused tensors and dangling references', () => {
    const b = good.slice();
    const layr = sectionOffset(b, 'LAYR');
    setU32(b, layr.offset + TABLE_PREFIX_BYTES + 16, 7); // tensor 7 does not exist
    expect(codeOf(sealBxn(b))).toBe('bad_layer');
    const shared = small();
    shared.layers[0].bias = shared.layers[0].weights; // wrong size for a bias
    expect(codeOf(writeBxn(shared))).toBe('shape_mismatch');
  });

  it('random models stay valid; random corruptions of them stay typed', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = makeRng(seed);
      const bytes = writeBxn(randomModel(rng).model);
      expect(codeOf(bytes)).toBe('ok');
      for (let k = 0; k < 50; k++) {
        const b = bytes.slice();
        b[rng.int(0, b.length - 1)] = rng.int(0, 255);
        codeOf(b);
        codeOf(sealBxn(b));
      }
    }
  });
});
