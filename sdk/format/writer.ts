/** The .bxn v1 writer (used by tools/export and the tests). See FORMAT.md. */
import { crc32 } from './crc32.js';
import { align16, f32ToF16, quantizeInt8, type Padding } from '../layout.js';
import { int8AxisOf, OP_BY_NAME, type OpName } from '../ops.js';
import type { BxnMetadata, ExpanderRecord } from './model.js';
import {
  ENCODING_CODES, EXPANDER_FLAG_BALANCED, EXPANDER_FLAG_SHUFFLED, EXPANDER_RECORD_BYTES, HEADER_BYTES, LAYER_FLAG_BITS_OUT, LAYER_FLAG_RELU, LAYER_RECORD_BYTES, MAGIC,
  NO_GRAPH, NO_TENSOR, NO_VALUE, SECTION_DATA, SECTION_ENTRY_BYTES, SECTION_EXPANDERS, SECTION_FLAG_REQUIRED, SECTION_WIRING,
  SECTION_LAYERS, SECTION_META, SECTION_TENSORS, TABLE_PREFIX_BYTES, TENSOR_RECORD_BYTES, VERSION_MAJOR, VERSION_MINOR, VERSION_MINOR_WIRE,
  WIRE_RECORD_BYTES,
  type TensorEncoding,
} from './spec.js';

/** A tensor to write. Float data in 'f16' / 'int8' is converted by the writer. */
export type TensorInput =
  | Float32Array // shorthand for { encoding: 'f32' }
  | Uint32Array // shorthand for { encoding: 'bits' }
  | { encoding: 'bits'; data: Uint32Array }
  | { encoding: 'f32' | 'f16'; data: ArrayLike<number> }
  | { encoding: 'int8'; data: ArrayLike<number> } // quantized per output channel by the writer
  | { encoding: 'int8'; q: Int8Array; scales: Float32Array; lanes: number };

export interface LayerInput {
  op: OpName;
  kh?: number;
  kw?: number;
  stride?: number;
  padding?: Padding;
  outChannels?: number;
  relu?: boolean;
  bitsOut?: boolean;
  weights?: TensorInput;
  bias?: TensorInput;
  transform?: TensorInput;
  scale?: TensorInput;
  shift?: TensorInput;
  flip?: TensorInput;
  /** X-layers: index of the layer's record in `expanders`. */
  graph?: number;
  /** The value the layer reads (0 the model input, v the output of layer v − 1); default the previous layer's. */
  input?: number;
  /** `add`: the second value. A model with either field off the chain gets a WIRE section (format 1.1). */
  input2?: number;
}

export interface ExtraSection { type: string; required: boolean; bytes: Uint8Array }

export interface BxnModelInput {
  metadata: BxnMetadata;
  layers: LayerInput[];
  /** XGRF records the X-layers name by index (FORMAT.md §10). */
  expanders?: ExpanderRecord[];
  /** Optional sections written after DATA (for forward-compatibility tests). */
  extraSections?: ExtraSection[];
  /** Overrides for tests; real files use 1.0. */
  version?: { major: number; minor: number };
  /** Raw op codes by layer index (tests of unknown op codes). */
  rawOpCodes?: Record<number, number>;
  /** META bytes written as given instead of JSON.stringify(metadata) (tests of the META rules). */
  rawMeta?: Uint8Array;
}

interface EncodedTensor { encoding: TensorEncoding; bytes: Uint8Array; count: number; channels: number; lanes: number }

function encodeTensor(t: TensorInput, axis: { channels: number; lanes: number }): EncodedTensor {
  if (t instanceof Float32Array) t = { encoding: 'f32', data: t };
  else if (t instanceof Uint32Array) t = { encoding: 'bits', data: t };
  switch (t.encoding) {
    case 'bits': {
      const copy = new Uint32Array(t.data);
      return { encoding: 'bits', bytes: new Uint8Array(copy.buffer), count: copy.length, channels: 0, lanes: 0 };
    }
    case 'f32': {
      const copy = Float32Array.from(t.data);
      return { encoding: 'f32', bytes: new Uint8Array(copy.buffer), count: copy.length, channels: 0, lanes: 0 };
    }
    case 'f16': {
      const halfs = new Uint16Array(t.data.length);
      for (let i = 0; i < halfs.length; i++) halfs[i] = f32ToF16(t.data[i]);
      return { encoding: 'f16', bytes: new Uint8Array(halfs.buffer), count: halfs.length, channels: 0, lanes: 0 };
    }
    case 'int8': {
      const { q, scales, lanes } = 'q' in t ? t : { ...quantizeInt8(t.data, axis.channels, axis.lanes), lanes: axis.lanes };
      const bytes = new Uint8Array(scales.length * 4 + q.length);
      bytes.set(new Uint8Array(scales.buffer, scales.byteOffset, scales.byteLength), 0);
      bytes.set(new Uint8Array(q.buffer, q.byteOffset, q.length), scales.length * 4);
      return { encoding: 'int8', bytes, count: q.length, channels: scales.length, lanes };
    }
  }
}

const dataLength = (t: TensorInput): number =>
  t instanceof Float32Array || t instanceof Uint32Array ? t.length : 'q' in t ? t.q.length : t.data.length;

export function writeBxn(model: BxnModelInput): Uint8Array {
  // Tensors, deduplicated by object identity so shared tensors are stored once.
  const tensorIndex = new Map<TensorInput, number>();
  const tensors: EncodedTensor[] = [];
  const layerRefs: number[][] = [];
  for (const layer of model.layers) {
    const spec = OP_BY_NAME.get(layer.op);
    const refs: number[] = [];
    for (const { role, int8Axis } of spec?.tensors ?? []) {
      const t = layer[role];
      if (t === undefined) { refs.push(NO_TENSOR); continue; }
      let index = tensorIndex.get(t);
      if (index === undefined) {
        index = tensors.length;
        tensors.push(encodeTensor(t, int8AxisOf(int8Axis, dataLength(t), layer.outChannels ?? 1)));
        tensorIndex.set(t, index);
      }
      refs.push(index);
    }
    layerRefs.push(refs);
  }

  // DATA: each tensor at a 16-byte aligned offset.
  const tensorOffsets: number[] = [];
  let dataBytes = 0;
  for (const t of tensors) {
    tensorOffsets.push(dataBytes);
    dataBytes = align16(dataBytes + t.bytes.length);
  }
  const data = new Uint8Array(dataBytes);
  tensors.forEach((t, i) => data.set(t.bytes, tensorOffsets[i]));

  const meta = model.rawMeta ?? new TextEncoder().encode(JSON.stringify(model.metadata));

  const tens = new Uint8Array(TABLE_PREFIX_BYTES + tensors.length * TENSOR_RECORD_BYTES);
  const tv = new DataView(tens.buffer);
  tv.setUint32(0, tensors.length, true);
  tensors.forEach((t, i) => {
    const at = TABLE_PREFIX_BYTES + i * TENSOR_RECORD_BYTES;
    tv.setUint8(at, ENCODING_CODES[t.encoding]);
    tv.setUint32(at + 4, tensorOffsets[i], true);
    tv.setUint32(at + 8, t.bytes.length, true);
    tv.setUint32(at + 12, t.count, true);
    tv.setUint32(at + 16, t.channels, true);
    tv.setUint32(at + 20, t.lanes, true);
  });

  const layr = new Uint8Array(TABLE_PREFIX_BYTES + model.layers.length * LAYER_RECORD_BYTES);
  const lv = new DataView(layr.buffer);
  lv.setUint32(0, model.layers.length, true);
  model.layers.forEach((layer, i) => {
    const at = TABLE_PREFIX_BYTES + i * LAYER_RECORD_BYTES;
    const spec = OP_BY_NAME.get(layer.op);
    lv.setUint8(at, model.rawOpCodes?.[i] ?? spec?.code ?? 0);
    lv.setUint8(at + 1, (layer.relu ? LAYER_FLAG_RELU : 0) | (layer.bitsOut ? LAYER_FLAG_BITS_OUT : 0));
    lv.setUint8(at + 2, layer.padding === 'same' ? 1 : 0);
    lv.setUint16(at + 4, layer.kh ?? 0, true);
    lv.setUint16(at + 6, layer.kw ?? 0, true);
    lv.setUint16(at + 8, layer.stride ?? 0, true);
    lv.setUint32(at + 12, layer.outChannels ?? 0, true);
    for (let r = 0; r < 4; r++) lv.setInt32(at + 16 + 4 * r, layerRefs[i][r] ?? NO_TENSOR, true);
    lv.setUint32(at + 32, layer.graph ?? NO_GRAPH, true);
  });

  const sections: { type: string; required: boolean; bytes: Uint8Array }[] = [
    { type: SECTION_META, required: true, bytes: meta },
    { type: SECTION_TENSORS, required: true, bytes: tens },
    { type: SECTION_LAYERS, required: true, bytes: layr },
  ];
  const wired = model.layers.some((l, i) => (l.input !== undefined && l.input !== i) || l.input2 !== undefined);
  if (wired) sections.push({ type: SECTION_WIRING, required: true, bytes: encodeWiring(model.layers) });
  if (model.expanders) sections.push({ type: SECTION_EXPANDERS, required: true, bytes: encodeExpanders(model.expanders) });
  sections.push({ type: SECTION_DATA, required: true, bytes: data });
  for (const extra of model.extraSections ?? []) sections.push(extra);

  // Layout: header, section table, then sections back to back at 16-byte boundaries.
  const tableBytes = sections.length * SECTION_ENTRY_BYTES;
  const offsets: number[] = [];
  let end = align16(HEADER_BYTES + tableBytes);
  for (const s of sections) {
    offsets.push(end);
    end = align16(end + s.bytes.length);
  }
  const file = new Uint8Array(end);
  const fv = new DataView(file.buffer);
  file.set(MAGIC, 0);
  fv.setUint16(8, model.version?.major ?? VERSION_MAJOR, true);
  fv.setUint16(10, model.version?.minor ?? (wired ? VERSION_MINOR_WIRE : VERSION_MINOR), true);
  fv.setUint32(12, HEADER_BYTES, true);
  fv.setUint32(16, file.length, true);
  fv.setUint32(20, sections.length, true);
  fv.setUint32(24, HEADER_BYTES, true);
  sections.forEach((s, i) => {
    const at = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    for (let k = 0; k < 4; k++) file[at + k] = s.type.charCodeAt(k);
    fv.setUint32(at + 4, s.required ? SECTION_FLAG_REQUIRED : 0, true);
    fv.setUint32(at + 8, offsets[i], true);
    fv.setUint32(at + 12, s.bytes.length, true);
    file.set(s.bytes, offsets[i]);
  });
  return sealBxn(file);
}

function encodeWiring(layers: LayerInput[]): Uint8Array {
  const bytes = new Uint8Array(TABLE_PREFIX_BYTES + layers.length * WIRE_RECORD_BYTES);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, layers.length, true);
  layers.forEach((l, i) => {
    const at = TABLE_PREFIX_BYTES + i * WIRE_RECORD_BYTES;
    v.setUint32(at, l.input ?? i, true);
    v.setUint32(at + 4, l.input2 ?? NO_VALUE, true);
  });
  return bytes;
}

function encodeExpanders(records: ExpanderRecord[]): Uint8Array {
  const bytes = new Uint8Array(TABLE_PREFIX_BYTES + records.length * EXPANDER_RECORD_BYTES);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, records.length, true);
  records.forEach((r, i) => {
    const at = TABLE_PREFIX_BYTES + i * EXPANDER_RECORD_BYTES;
    v.setUint32(at, r.generator, true);
    v.setUint32(at + 4, (r.balanced ? EXPANDER_FLAG_BALANCED : 0) | (r.shuffled ? EXPANDER_FLAG_SHUFFLED : 0), true);
    v.setUint32(at + 8, r.seedLo, true);
    v.setUint32(at + 12, r.seedHi, true);
    v.setUint32(at + 16, r.inChannels, true);
    v.setUint32(at + 20, r.outChannels, true);
    v.setUint32(at + 24, r.degree, true);
    v.setUint16(at + 28, r.inGroup, true);
    v.setUint16(at + 30, r.outGroup, true);
  });
  return bytes;
}

/**
 * Recompute every CRC (sections, table, header) in place from the current bytes.
 * The writer's last step; fuzzers use it to get past the checksums to the validators.
 * Best effort on malformed files: entries pointing outside the file are skipped.
 */
export function sealBxn(file: Uint8Array): Uint8Array {
  if (file.length < HEADER_BYTES) return file;
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const count = v.getUint32(20, true);
  const tableEnd = HEADER_BYTES + count * SECTION_ENTRY_BYTES;
  if (count > 1024 || tableEnd > file.length) return file;
  for (let i = 0; i < count; i++) {
    const at = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    const offset = v.getUint32(at + 8, true);
    const length = v.getUint32(at + 12, true);
    if (offset + length <= file.length) v.setUint32(at + 16, crc32(file, offset, offset + length), true);
  }
  v.setUint32(32, crc32(file, HEADER_BYTES, tableEnd), true);
  v.setUint32(60, crc32(file, 0, 60), true);
  return file;
}
