/**
 * The .bxn v1 reader. It validates everything (structure, checksums, every record,
 * the layer chain's shapes and dtypes, tensor contents, caps) and only then returns
 * a model; nothing it returns can make a kernel read or write out of bounds.
 */
import { BxnFormatError, BxnInputError, type BxnFormatErrorCode } from '../errors.js';
import { align16, axisGeometry, int8ScaleIndex, wordsFor } from '../layout.js';
import { graphTableBytes, int8AxisOf, OP_BY_CODE, opOf, residentBytes, scratchBytesOf, slotOf, staysInt8, type LayerAttributes, type OpDescriptor, type WindowGeometry } from '../ops.js';
import { GENERATOR_GROUPED, layerGraphError } from '../expander.js';
import { crc32 } from './crc32.js';
import {
  resolveLimits, type BxnLayer, type BxnLimits, type BxnMetadata, type BxnModel, type BxnSection, type BxnTensor,
  type ExpanderRecord, type Normalization, type Shape,
} from './model.js';
import {
  ENCODING_BY_CODE, EXPANDER_FLAG_BALANCED, EXPANDER_FLAG_SHUFFLED, EXPANDER_RECORD_BYTES, KNOWN_GENERATORS, HEADER_BYTES, KNOWN_SECTION_ORDER, LAYER_FLAG_BITS_OUT,
  LAYER_FLAG_RELU, LAYER_RECORD_BYTES, MAGIC, MAX_BYTES, MAX_DIM, MAX_EXPANDERS, MAX_KERNEL, MAX_LABELS, MAX_LAYERS,
  MAX_META_BYTES, MAX_NAME_CHARS, MAX_SECTIONS, MAX_STRIDE, MAX_TENSORS, NO_GRAPH, NO_TENSOR, NO_VALUE, SECTION_WIRING, WIRE_RECORD_BYTES,
  SECTION_DATA, SECTION_ENTRY_BYTES, SECTION_EXPANDERS, SECTION_FLAG_REQUIRED, SECTION_LAYERS, SECTION_META,
  SECTION_TENSORS, TABLE_PREFIX_BYTES, TENSOR_RECORD_BYTES, VERSION_MAJOR, type TensorRole,
} from './spec.js';

const fail = (code: BxnFormatErrorCode, message: string): never => {
  throw new BxnFormatError(code, message);
};

const hex = (n: number) => '0x' + (n >>> 0).toString(16).padStart(8, '0');

/**
 * The caller's bytes, copied: everything is validated and decoded from the copy, so a
 * caller who changes its buffer later (or during an await) cannot reach the kernels.
 */
export function privateCopy(input: ArrayBufferView | ArrayBuffer, what = 'the model'): Uint8Array {
  // Tag checks and isView, not instanceof: buffers from another realm (iframe, vm context) are accepted.
  const tag = Object.prototype.toString.call(input);
  let buffer: ArrayBufferLike, offset = 0, length: number;
  if (ArrayBuffer.isView(input)) { buffer = input.buffer; offset = input.byteOffset; length = input.byteLength; }
  else if (tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]') { buffer = input as ArrayBuffer; length = buffer.byteLength; }
  else throw new BxnInputError('bad_argument', `${what} must be an ArrayBuffer or a typed array (Uint8Array) of .bxn bytes, got ${tag.slice(8, -1)}`);
  if ((buffer as { detached?: boolean }).detached === true || isDetached(buffer))
    throw new BxnInputError('bad_argument', `${what} is a detached ArrayBuffer (it was transferred, e.g. to a worker); pass the bytes before transferring, or a copy`);
  return new Uint8Array(buffer, offset, length).slice();
}

/** Engines without ArrayBuffer.prototype.detached: a detached buffer cannot back a view. */
function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false;
  try { new Uint8Array(buffer); return false; } catch { return true; }
}

export function readBxn(input: ArrayBufferView | ArrayBuffer, limits?: BxnLimits): BxnModel {
  const caps = resolveLimits(limits);
  return readTrustedCopy(privateCopy(input), caps);
}

/** readBxn on bytes only the reader holds (see privateCopy), with resolved caps. */
export function readTrustedCopy(bytes: Uint8Array, caps: Readonly<Required<BxnLimits>>): BxnModel {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => view.getUint32(at, true);

  if (bytes.length > caps.maxFileBytes) fail('limit_exceeded', `the file has ${bytes.length} bytes, over the ${caps.maxFileBytes}-byte cap (maxFileBytes)`);
  // ---- header ----
  for (let i = 0; i < Math.min(MAGIC.length, bytes.length); i++)
    if (bytes[i] !== MAGIC[i]) fail('bad_magic', `byte ${i} of the magic is ${bytes[i]}, expected ${MAGIC[i]}: not a .bxn file`);
  if (bytes.length < HEADER_BYTES) fail('truncated', `the header needs ${HEADER_BYTES} bytes but the file has ${bytes.length}`);
  const major = view.getUint16(8, true);
  const minor = view.getUint16(10, true);
  if (major !== VERSION_MAJOR)
    fail('unsupported_version', `format version ${major}.${minor}: this reader understands version ${VERSION_MAJOR}.x`);
  const headerCrc = crc32(bytes, 0, 60);
  if (headerCrc !== u32(60)) fail('checksum_mismatch', `header CRC32 is ${hex(headerCrc)} but byte 60 says ${hex(u32(60))}`);
  if (u32(12) !== HEADER_BYTES) fail('bad_header', `header size field (byte 12) is ${u32(12)}, expected ${HEADER_BYTES}`);
  if (u32(24) !== HEADER_BYTES) fail('bad_header', `section table offset (byte 24) is ${u32(24)}, expected ${HEADER_BYTES}`);
  if (u32(28) !== 0) fail('bad_header', `header flags (byte 28) are ${hex(u32(28))}, expected 0`);
  for (let at = 36; at < 60; at += 4) if (u32(at) !== 0) fail('bad_header', `reserved header bytes ${at}..${at + 3} are not zero`);
  const sectionCount = u32(20);
  if (sectionCount < 1 || sectionCount > MAX_SECTIONS)
    fail('bad_header', `section count (byte 20) is ${sectionCount}, allowed 1..${MAX_SECTIONS}`);
  const fileBytes = u32(16);
  if (bytes.length < fileBytes) fail('truncated', `the header declares ${fileBytes} bytes but the file has ${bytes.length}`);
  if (bytes.length > fileBytes) fail('trailing_bytes', `the header declares ${fileBytes} bytes but the file has ${bytes.length}`);

  // ---- section table ----
  const tableEnd = HEADER_BYTES + sectionCount * SECTION_ENTRY_BYTES;
  if (tableEnd > fileBytes) fail('truncated', `the section table ends at byte ${tableEnd} but the file has ${fileBytes} bytes`);
  const tableCrc = crc32(bytes, HEADER_BYTES, tableEnd);
  if (tableCrc !== u32(32)) fail('checksum_mismatch', `section table CRC32 is ${hex(tableCrc)} but header byte 32 says ${hex(u32(32))}`);

  const sections: BxnSection[] = [];
  let expectedOffset = align16(tableEnd);
  let previousOffset = 0;
  for (let i = 0; i < sectionCount; i++) {
    const at = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    let type = '';
    for (let k = 0; k < 4; k++) {
      const ch = bytes[at + k];
      if (!((ch >= 0x30 && ch <= 0x39) || (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x61 && ch <= 0x7a)))
        fail('bad_section_table', `section ${i}: type byte ${k} is ${ch}, types are 4 ASCII letters or digits`);
      type += String.fromCharCode(ch);
    }
    const where = `section ${i} '${type}'`;
    const flags = u32(at + 4);
    const offset = u32(at + 8);
    const length = u32(at + 12);
    if (flags & ~SECTION_FLAG_REQUIRED) fail('bad_section_table', `${where}: unknown flags ${hex(flags)}`);
    for (let r = 20; r < 32; r += 4) if (u32(at + r) !== 0) fail('bad_section_table', `${where}: reserved entry bytes ${r}..${r + 3} are not zero`);
    if (offset % 16 !== 0) fail('bad_section_table', `${where} starts at byte ${offset}, which is not 16-byte aligned`);
    if (offset + length > fileBytes)
      fail('section_out_of_bounds', `${where} ends at byte ${offset + length} but the file has ${fileBytes} bytes`);
    if (offset < tableEnd) fail('section_overlap', `${where} starts at byte ${offset}, inside the header or section table (ends at ${tableEnd})`);
    if (i > 0 && offset < previousOffset)
      fail('section_order', `${where} starts at byte ${offset}, before section ${i - 1} (byte ${previousOffset}); sections must be in file order`);
    previousOffset = offset;
    sections.push({ type, required: (flags & SECTION_FLAG_REQUIRED) !== 0, offset, length, crc: u32(at + 16) });
  }
  // In order: now each section must start exactly at the 16-byte boundary after the previous one.
  for (const [i, { type, offset, length }] of sections.entries()) {
    if (offset < expectedOffset)
      fail('section_overlap', `section ${i} '${type}' starts at byte ${offset} but the previous section ends at byte ${expectedOffset}`);
    if (offset > expectedOffset)
      fail('section_gap', `section ${i} '${type}' starts at byte ${offset}; it must start at the next 16-byte boundary, byte ${expectedOffset}`);
    expectedOffset = align16(offset + length);
  }
  if (expectedOffset !== fileBytes)
    fail('section_gap', `the last section ends at byte ${expectedOffset} (aligned) but the file has ${fileBytes} bytes`);
  // Alignment padding between and after sections must be zero so every byte is covered by a rule.
  for (let i = 0; i < sections.length; i++) {
    const end = sections[i].offset + sections[i].length;
    const next = i + 1 < sections.length ? sections[i + 1].offset : fileBytes;
    for (let b = end; b < next; b++) if (bytes[b] !== 0) fail('section_gap', `padding byte ${b} after section ${i} '${sections[i].type}' is not zero`);
  }
  for (let b = tableEnd; b < align16(tableEnd); b++) if (bytes[b] !== 0) fail('section_gap', `padding byte ${b} after the section table is not zero`);

  for (let i = 0; i < sections.length; i++) {
    const s = sections[i];
    const crc = crc32(bytes, s.offset, s.offset + s.length);
    if (crc !== s.crc)
      fail('checksum_mismatch', `section ${i} '${s.type}' (bytes ${s.offset}..${s.offset + s.length}) has CRC32 ${hex(crc)} but the table says ${hex(s.crc)}`);
  }

  // ---- which sections: known ones once each, in order; unknown required ones rejected ----
  const byType = new Map<string, BxnSection>();
  let lastKnownRank = -1;
  for (const [i, s] of sections.entries()) {
    const rank = KNOWN_SECTION_ORDER.indexOf(s.type);
    if (rank < 0) {
      if (s.required) fail('unsupported_section', `section ${i} '${s.type}' is marked required but this reader does not know it`);
      continue;
    }
    if (byType.has(s.type)) fail('bad_section_table', `section ${i}: a second '${s.type}' section`);
    if (!s.required) fail('bad_section_table', `section ${i} '${s.type}' must be marked required`);
    if (rank < lastKnownRank)
      fail('section_order', `section ${i} '${s.type}' comes after '${KNOWN_SECTION_ORDER[lastKnownRank]}'; the order is ${KNOWN_SECTION_ORDER.join(', ')}`);
    lastKnownRank = rank;
    byType.set(s.type, s);
  }
  for (const type of [SECTION_META, SECTION_TENSORS, SECTION_LAYERS, SECTION_DATA])
    if (!byType.has(type)) fail('missing_section', `the file has no '${type}' section`);
  const metaSection = byType.get(SECTION_META)!;
  const tensorSection = byType.get(SECTION_TENSORS)!;
  const layerSection = byType.get(SECTION_LAYERS)!;
  const dataSection = byType.get(SECTION_DATA)!;

  const metadata = readMetadata(bytes, metaSection);
  const expanderSection = byType.get(SECTION_EXPANDERS);
  const expanders = expanderSection ? readExpanders(view, expanderSection) : [];

  const tensors = readTensors(view, tensorSection, dataSection);
  const wiringSection = byType.get(SECTION_WIRING);
  const layers = readLayers(view, layerSection, wiringSection, tensors, expanders, metadata, caps);

  // Every tensor is used; the weights region (each tensor once per resident form, 16-aligned) fits the cap.
  const users = tensors.map(() => [] as { layer: BxnLayer; role: TensorRole }[]);
  for (const layer of layers)
    for (const [role, index] of Object.entries(layer.tensors) as [TensorRole, number][]) users[index].push({ layer, role });
  let weightBytes = 0;
  for (const t of tensors) {
    if (users[t.index].length === 0) fail('bad_tensor', `tensor ${t.index} is not used by any layer`);
    const slots = new Map(users[t.index].map(({ layer, role }) => { const s = slotOf(layer, role); return [staysInt8(t, s), s] as const; }));
    for (const s of slots.values()) weightBytes += align16(residentBytes(t, s));
  }
  // Every graph record is used; each one's index table is built once at load, in the weights region.
  const usedGraphs = new Set(layers.flatMap((l) => (l.graph ? [l.graph.index] : [])));
  for (const [i, g] of expanders.entries()) {
    if (!usedGraphs.has(i)) fail('bad_expander', `'XGRF' record ${i} is not used by any layer`);
    weightBytes += align16(graphTableBytes(g));
  }
  if (weightBytes > caps.maxWeightBytes)
    fail('limit_exceeded', `decoded weights need ${weightBytes} bytes, over the ${caps.maxWeightBytes}-byte cap (maxWeightBytes)`);
  for (const t of tensors) checkTensorContents(bytes, t, users[t.index]);

  return { version: { major, minor }, metadata, sections, tensors, layers, expanders, weightBytes, bytes };
}

// ---------------------------------------------------------------------------

function readMetadata(bytes: Uint8Array, section: BxnSection): BxnMetadata {
  const bad = (what: string) => fail('bad_metadata', `'META' (byte ${section.offset}): ${what}`);
  if (section.length > MAX_META_BYTES) bad(`${section.length} bytes, the limit is ${MAX_META_BYTES}`);
  const b = section.offset;
  if (section.length >= 3 && bytes[b] === 0xef && bytes[b + 1] === 0xbb && bytes[b + 2] === 0xbf)
    bad('starts with a UTF-8 byte-order mark; META is JSON text without one');
  let json: unknown;
  try {
    // ignoreBOM: a mark is never stripped silently (rejected above).
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(section.offset, section.offset + section.length));
    json = JSON.parse(text);
  } catch (e) {
    bad(`not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('must be a JSON object');
  const m = json as Record<string, unknown>;
  const shortString = (key: string) => {
    const v = m[key];
    if (typeof v !== 'string' || codePoints(v) > MAX_NAME_CHARS) bad(`'${key}' must be a string of at most ${MAX_NAME_CHARS} characters`);
    return v as string;
  };
  const name = shortString('name');
  const producer = shortString('producer');
  const shape = m.inputShape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d >= 1 && d <= MAX_DIM))
    bad(`'inputShape' must be [H, W, C] with integers in 1..${MAX_DIM}`);
  const inputShape = shape as [number, number, number];
  const channels = inputShape[2];
  const perChannel = (v: unknown, key: string, nonZero: boolean): number[] => {
    if (!Array.isArray(v) || (v.length !== 1 && v.length !== channels) ||
        !v.every((x) => typeof x === 'number' && Number.isFinite(Math.fround(x)) && (!nonZero || Math.fround(x) !== 0)))
      bad(`normalization '${key}' must be 1 or ${channels} numbers, finite${nonZero ? ' and non-zero' : ''} as f32`);
    return v as number[];
  };
  let normalization: Normalization | null = null;
  const n = m.normalization;
  if (n !== null && n !== undefined) {
    if (typeof n !== 'object' || Array.isArray(n)) bad(`'normalization' must be null or an object`);
    const keys = Object.keys(n as object).sort().join(',');
    const o = n as Record<string, unknown>;
    if (keys === 'mean,std') normalization = { mean: perChannel(o.mean, 'mean', false), std: perChannel(o.std, 'std', true) };
    else if (keys === 'offset,scale') normalization = { scale: perChannel(o.scale, 'scale', false), offset: perChannel(o.offset, 'offset', false) };
    else bad(`'normalization' must have exactly {mean, std} or {scale, offset}, got {${keys}}`);
  }
  const labels = m.labels ?? [];
  if (!Array.isArray(labels) || labels.length > MAX_LABELS ||
      !labels.every((l) => typeof l === 'string' && codePoints(l) <= MAX_NAME_CHARS))
    bad(`'labels' must be at most ${MAX_LABELS} strings of at most ${MAX_NAME_CHARS} characters`);
  return { name, producer, inputShape, normalization, labels: labels as string[] };
}

/** Length in Unicode code points (FORMAT.md's "characters"), not UTF-16 units. */
function codePoints(s: string): number {
  if (s.length <= MAX_NAME_CHARS) return s.length; // never more code points than units
  let n = 0;
  for (let i = 0; i < s.length; i++, n++) {
    const u = s.charCodeAt(i);
    if (u >= 0xd800 && u < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
  }
  return n;
}

/** XGRF records (FORMAT.md §10), each checked on its own; layers check them against their shapes. */
function readExpanders(view: DataView, section: BxnSection): ExpanderRecord[] {
  const u32 = (at: number) => view.getUint32(section.offset + at, true);
  const u16 = (at: number) => view.getUint16(section.offset + at, true);
  const where = `'XGRF' (byte ${section.offset})`;
  if (section.length < TABLE_PREFIX_BYTES) fail('bad_expander', `${where} is ${section.length} bytes, shorter than its ${TABLE_PREFIX_BYTES}-byte prefix`);
  const count = u32(0);
  if (count < 1 || count > MAX_EXPANDERS) fail('bad_expander', `${where} declares ${count} records, allowed 1..${MAX_EXPANDERS}`);
  if (section.length !== TABLE_PREFIX_BYTES + count * EXPANDER_RECORD_BYTES)
    fail('bad_expander', `${where} declares ${count} records (${TABLE_PREFIX_BYTES + count * EXPANDER_RECORD_BYTES} bytes) but is ${section.length} bytes`);
  for (let r = 4; r < TABLE_PREFIX_BYTES; r += 4) if (u32(r) !== 0) fail('bad_expander', `${where}: reserved prefix bytes ${r}..${r + 3} are not zero`);
  const records: ExpanderRecord[] = [];
  for (let i = 0; i < count; i++) {
    const at = TABLE_PREFIX_BYTES + i * EXPANDER_RECORD_BYTES;
    const rec = `'XGRF' record ${i} (byte ${section.offset + at})`;
    const generator = u32(at), flags = u32(at + 4);
    if (!KNOWN_GENERATORS.includes(generator))
      fail('unsupported_expander', `${rec}: graph generator ${generator} is unknown to this reader (it knows ${KNOWN_GENERATORS.join(', ')})`);
    if (flags & ~(EXPANDER_FLAG_BALANCED | EXPANDER_FLAG_SHUFFLED)) fail('bad_expander', `${rec}: unknown flags ${hex(flags)}`);
    const shuffled = (flags & EXPANDER_FLAG_SHUFFLED) !== 0;
    const g: ExpanderRecord = {
      generator, balanced: (flags & EXPANDER_FLAG_BALANCED) !== 0, ...(generator === GENERATOR_GROUPED ? { shuffled } : {}), seedLo: u32(at + 8), seedHi: u32(at + 12),
      inChannels: u32(at + 16), outChannels: u32(at + 20), degree: u32(at + 24), inGroup: u16(at + 28), outGroup: u16(at + 30),
    };
    const problem = layerGraphError({ ...g, shuffled }); // generator 1 rejects bit 1, generator 2 bit 0 and a seed
    if (problem) fail('bad_expander', `${rec}: ${problem}`);
    records.push(g);
  }
  return records;
}

function readTensors(view: DataView, section: BxnSection, data: BxnSection): BxnTensor[] {
  const base = section.offset;
  const u32 = (at: number) => view.getUint32(base + at, true);
  if (section.length < TABLE_PREFIX_BYTES) fail('bad_tensor', `'TENS' is ${section.length} bytes, shorter than its ${TABLE_PREFIX_BYTES}-byte prefix`);
  const count = u32(0);
  if (count > MAX_TENSORS) fail('bad_tensor', `'TENS' declares ${count} tensors, the limit is ${MAX_TENSORS}`);
  if (section.length !== TABLE_PREFIX_BYTES + count * TENSOR_RECORD_BYTES)
    fail('bad_tensor', `'TENS' declares ${count} tensors (${TABLE_PREFIX_BYTES + count * TENSOR_RECORD_BYTES} bytes) but is ${section.length} bytes`);
  for (let r = 4; r < TABLE_PREFIX_BYTES; r += 4) if (u32(r) !== 0) fail('bad_tensor', `'TENS' reserved prefix bytes ${r}..${r + 3} are not zero`);
  const tensors: BxnTensor[] = [];
  let previousEnd = 0;
  for (let i = 0; i < count; i++) {
    const at = TABLE_PREFIX_BYTES + i * TENSOR_RECORD_BYTES;
    const where = `tensor ${i} (record at byte ${base + at})`;
    const code = view.getUint8(base + at);
    const encoding = ENCODING_BY_CODE[code];
    if (!encoding) fail('bad_tensor', `${where}: unknown encoding ${code}`);
    if (view.getUint8(base + at + 1) | view.getUint8(base + at + 2) | view.getUint8(base + at + 3))
      fail('bad_tensor', `${where}: reserved bytes 1..3 are not zero`);
    for (let r = 24; r < TENSOR_RECORD_BYTES; r += 4) if (u32(at + r) !== 0) fail('bad_tensor', `${where}: reserved bytes ${r}..${r + 3} are not zero`);
    const offset = u32(at + 4);
    const byteLength = u32(at + 8);
    const elements = u32(at + 12);
    const channels = u32(at + 16);
    const lanes = u32(at + 20);
    if (elements < 1) fail('bad_tensor', `${where}: element count is 0`);
    if (elements * 4 > MAX_BYTES) fail('dimension_overflow', `${where}: ${elements} elements decode to more than ${MAX_BYTES} bytes`);
    if (encoding === 'int8') {
      if (channels < 1 || elements % channels !== 0)
        fail('bad_tensor', `${where}: int8 channel count ${channels} must be ≥ 1 and divide the element count ${elements}`);
      if (lanes !== 0 && lanes !== 8) fail('bad_tensor', `${where}: int8 lanes ${lanes}; allowed 0 (channels innermost) or 8 (panels)`);
      if (lanes !== 0 && channels % lanes !== 0) fail('bad_tensor', `${where}: int8 channel count ${channels} is not a multiple of ${lanes} lanes`);
    } else if (channels !== 0 || lanes !== 0) fail('bad_tensor', `${where}: channels ${channels} and lanes ${lanes} must be 0 for ${encoding}`);
    const expectedLength = encoding === 'f16' ? elements * 2 : encoding === 'int8' ? channels * 4 + elements : elements * 4;
    if (byteLength !== expectedLength)
      fail('bad_tensor', `${where}: ${byteLength} bytes, but ${elements} ${encoding} elements take ${expectedLength}`);
    if (offset % 16 !== 0) fail('bad_tensor', `${where}: offset ${offset} in 'DATA' is not 16-byte aligned`);
    if (offset < previousEnd)
      fail('bad_tensor', `${where}: starts at byte ${offset} of 'DATA', before the previous tensor ends (${previousEnd}); tensors must not overlap and must be in order`);
    if (offset + byteLength > data.length)
      fail('bad_tensor', `${where}: ends at byte ${offset + byteLength} of 'DATA' but the section has ${data.length} bytes`);
    previousEnd = offset + byteLength;
    tensors.push({ index: i, encoding, count: elements, channels, lanes, byteOffset: data.offset + offset, byteLength });
  }
  return tensors;
}

const shapeText = (s: Shape) => `[${s.h}, ${s.w}, ${s.c}] ${s.dtype}`;
const activationBytes = (s: Shape) => s.h * s.w * (s.dtype === 'bits' ? wordsFor(s.c) : s.c) * 4;

/** One LAYR record, checked against its op descriptor (fields, flags, tensor slots and encodings). */
interface LayerRecord {
  spec: OpDescriptor;
  kh: number; kw: number; stride: number; padding: 'same' | 'valid'; outChannels: number; relu: boolean; bitsOut: boolean;
  tensorIds: Partial<Record<TensorRole, number>>;
  graph: (ExpanderRecord & { index: number }) | null;
}

/**
 * WIRE (FORMAT.md §8): per layer the value it reads and, for two-input ops, the second;
 * raw here, checked against the layers in readLayers.
 */
function readWiring(view: DataView, section: BxnSection, layerCount: number): { input: number; input2: number }[] {
  const base = section.offset;
  const u32 = (at: number) => view.getUint32(base + at, true);
  const where = `'WIRE' (byte ${base})`;
  if (section.length < TABLE_PREFIX_BYTES) fail('bad_wiring', `${where} is ${section.length} bytes, shorter than its ${TABLE_PREFIX_BYTES}-byte prefix`);
  const count = u32(0);
  if (count !== layerCount) fail('bad_wiring', `${where} has ${count} records but 'LAYR' has ${layerCount} layers`);
  if (section.length !== TABLE_PREFIX_BYTES + count * WIRE_RECORD_BYTES)
    fail('bad_wiring', `${where} declares ${count} records (${TABLE_PREFIX_BYTES + count * WIRE_RECORD_BYTES} bytes) but is ${section.length} bytes`);
  for (let r = 4; r < TABLE_PREFIX_BYTES; r += 4) if (u32(r) !== 0) fail('bad_wiring', `${where}: reserved prefix bytes ${r}..${r + 3} are not zero`);
  const wires: { input: number; input2: number }[] = [];
  for (let i = 0; i < count; i++) {
    const at = TABLE_PREFIX_BYTES + i * WIRE_RECORD_BYTES;
    for (let r = 8; r < WIRE_RECORD_BYTES; r += 4) if (u32(at + r) !== 0) fail('bad_wiring', `${where} record ${i}: reserved bytes ${r}..${r + 3} are not zero`);
    wires.push({ input: u32(at), input2: u32(at + 4) });
  }
  return wires;
}

function readLayers(
  view: DataView, section: BxnSection, wiring: BxnSection | undefined, tensors: BxnTensor[], expanders: ExpanderRecord[], metadata: BxnMetadata,
  caps: Readonly<Required<BxnLimits>>,
): BxnLayer[] {
  const base = section.offset;
  const u32 = (at: number) => view.getUint32(base + at, true);
  if (section.length < TABLE_PREFIX_BYTES) fail('bad_layer', `'LAYR' is ${section.length} bytes, shorter than its ${TABLE_PREFIX_BYTES}-byte prefix`);
  const count = u32(0);
  if (count < 1 || count > MAX_LAYERS) fail('bad_layer', `'LAYR' declares ${count} layers, allowed 1..${MAX_LAYERS}`);
  if (section.length !== TABLE_PREFIX_BYTES + count * LAYER_RECORD_BYTES)
    fail('bad_layer', `'LAYR' declares ${count} layers (${TABLE_PREFIX_BYTES + count * LAYER_RECORD_BYTES} bytes) but is ${section.length} bytes`);
  for (let r = 4; r < TABLE_PREFIX_BYTES; r += 4) if (u32(r) !== 0) fail('bad_layer', `'LAYR' reserved prefix bytes ${r}..${r + 3} are not zero`);

  const wires = wiring ? readWiring(view, wiring, count) : null;
  // Value 0 is the normalized input, value v the output of layer v − 1; without WIRE layer i reads value i.
  const [h0, w0, c0] = metadata.inputShape;
  const values: Shape[] = [{ h: h0, w: w0, c: c0, dtype: 'f32' }];
  const layers: BxnLayer[] = [];
  const valueName = (v: number) => (v === 0 ? 'the input' : `layer ${v - 1} (${layers[v - 1].op})`);
  const used = new Array<boolean>(count + 1).fill(false);
  let totalMacs = 0;
  for (let i = 0; i < count; i++) {
    const record = readLayerRecord(view, base + TABLE_PREFIX_BYTES + i * LAYER_RECORD_BYTES, i, tensors, expanders);
    const where = `layer ${i} (${record.spec.name})`;
    const { input, input2 } = wires ? wires[i] : { input: i, input2: NO_VALUE };
    if (input > i) fail('bad_wiring', `${where} reads value ${input}, which is not computed yet (values 0..${i}: the input, then layer outputs)`);
    const inputs = [input];
    if (record.spec.inputs === 2) {
      if (input2 === NO_VALUE) fail('bad_wiring', `${where} adds two values but its WIRE record names no second input`);
      if (input2 > i) fail('bad_wiring', `${where} reads value ${input2} as its second input, which is not computed yet`);
      const [a, b] = [values[input], values[input2]];
      if (a.h !== b.h || a.w !== b.w || a.c !== b.c || a.dtype !== b.dtype)
        fail('shape_mismatch', `${where} adds ${valueName(input)}'s ${shapeText(a)} and ${valueName(input2)}'s ${shapeText(b)}; they must match`);
      inputs.push(input2);
    } else if (input2 !== NO_VALUE) fail('bad_wiring', `${where} has one input but its WIRE record names a second (${input2}; ${hex(NO_VALUE)} otherwise)`);
    for (const v of inputs) used[v] = true;
    const layer = inferLayer(record, i, values[input], valueName(input), tensors, caps);
    layer.inputs = inputs;
    totalMacs += layer.macs;
    if (totalMacs > caps.maxMacs) fail('limit_exceeded', `layer ${i} (${layer.op}): the model needs more than ${caps.maxMacs} multiply-accumulates (maxMacs)`);
    layers.push(layer);
    values.push(layer.output);
  }
  // Every value but the model output is read by some layer (a dead branch is a damaged or crafted file).
  for (let v = 0; v < count; v++) if (!used[v]) fail('bad_wiring', `${valueName(v)}'s output is not read by any layer; only the last layer's output is the model's`);
  const shape = values[count];
  if (shape.dtype !== 'f32') fail('shape_mismatch', `the last layer outputs ${shapeText(shape)}; a model must end in f32 (add unpackSigns or a float-output layer)`);
  const outputs = shape.h * shape.w * shape.c;
  if (metadata.labels.length !== 0 && metadata.labels.length !== outputs)
    fail('bad_metadata', `'META' has ${metadata.labels.length} labels but the model outputs ${outputs} values`);
  return layers;
}

function readLayerRecord(view: DataView, at: number, i: number, tensors: BxnTensor[], expanders: ExpanderRecord[]): LayerRecord {
  const code = view.getUint8(at);
  const found = OP_BY_CODE.get(code);
  if (!found) fail('bad_layer', `layer ${i} (record at byte ${at}): unknown op code ${code}`);
  const spec = found as OpDescriptor;
  const bad = (what: string) => fail('bad_layer', `layer ${i} (${spec.name}): ${what}`);
  const u32 = (r: number) => view.getUint32(at + r, true);
  const flags = view.getUint8(at + 1);
  const paddingCode = view.getUint8(at + 2);
  const kh = view.getUint16(at + 4, true);
  const kw = view.getUint16(at + 6, true);
  const stride = view.getUint16(at + 8, true);
  const outChannels = u32(12);
  if (view.getUint8(at + 3) !== 0 || view.getUint16(at + 10, true) !== 0) bad('reserved bytes 3, 10, 11 are not zero');
  const graphRef = u32(32);
  let graph: LayerRecord['graph'] = null;
  if (spec.attributes.graph) {
    if (graphRef >= expanders.length)
      bad(`graph ${graphRef} does not exist (${expanders.length} 'XGRF' records)`);
    graph = { ...expanders[graphRef], index: graphRef };
  } else if (graphRef !== NO_GRAPH) bad(`graph field is ${graphRef}; only X-layers read a graph (${hex(NO_GRAPH)} otherwise)`);
  for (let r = 36; r < LAYER_RECORD_BYTES; r += 4) if (u32(r) !== 0) bad(`reserved bytes ${r}..${r + 3} are not zero`);
  if (flags & ~(LAYER_FLAG_RELU | LAYER_FLAG_BITS_OUT)) bad(`unknown flags ${flags}`);
  const relu = (flags & LAYER_FLAG_RELU) !== 0;
  const bitsOut = (flags & LAYER_FLAG_BITS_OUT) !== 0;
  const allowed = spec.attributes;
  if (relu && !allowed.relu) bad('the relu flag is not allowed for this op');
  if (bitsOut && !allowed.bitsOut) bad('the bit-output flag is not allowed for this op');
  if (relu && bitsOut) bad('relu and bit output are exclusive');
  if (paddingCode > 1) bad(`padding ${paddingCode}; 0 = valid, 1 = same`);
  if (allowed.window) {
    if (kh < 1 || kh > MAX_KERNEL || kw < 1 || kw > MAX_KERNEL) bad(`kernel ${kh}×${kw}, allowed 1..${MAX_KERNEL}`);
    if (stride < 1 || stride > MAX_STRIDE) bad(`stride ${stride}, allowed 1..${MAX_STRIDE}`);
  } else if (kh || kw || stride || paddingCode) bad('kh, kw, stride and padding must be 0 for this op');
  if (allowed.outChannels ? outChannels < 1 || outChannels > MAX_DIM : outChannels !== 0)
    bad(allowed.outChannels ? `outChannels ${outChannels}, allowed 1..${MAX_DIM}` : 'outChannels must be 0 for this op');
  const tensorIds: Partial<Record<TensorRole, number>> = {};
  for (let r = 0; r < 4; r++) {
    const ref = view.getInt32(at + 16 + 4 * r, true);
    const slot = spec.tensors[r];
    if (!slot) {
      if (ref !== NO_TENSOR) bad(`tensor slot ${r} must be ${NO_TENSOR}`);
      continue;
    }
    if (ref < 0 || ref >= tensors.length) bad(`${slot.role} tensor ${ref} does not exist (${tensors.length} tensors)`);
    const t = tensors[ref];
    if (!slot.encodings.includes(t.encoding)) bad(`${slot.role} tensor ${t.index} is ${t.encoding}; allowed: ${slot.encodings.join(', ')}`);
    tensorIds[slot.role] = t.index;
  }
  return { spec, kh, kw, stride, padding: paddingCode === 1 ? 'same' : 'valid', outChannels, relu, bitsOut, tensorIds, graph };
}

/** Shape inference from the descriptor, then the sizes: tensors, activation, scratch, caps. */
function inferLayer(
  r: LayerRecord, i: number, input: Shape, previous: string, tensors: BxnTensor[], caps: Readonly<Required<BxnLimits>>,
): BxnLayer {
  const { spec, kh, kw, stride, padding, outChannels, relu, bitsOut, tensorIds, graph } = r;
  const where = `layer ${i} (${spec.name})`;
  const mismatch = (what: string): never => fail('shape_mismatch', `${where}: ${what}`);
  if (spec.input !== 'any' && input.dtype !== spec.input) mismatch(`needs ${spec.input} input but ${previous} gives ${shapeText(input)}`);
  let window: WindowGeometry | null = null;
  if (spec.attributes.window) {
    const gy = axisGeometry(input.h, kh, stride, padding);
    const gx = axisGeometry(input.w, kw, stride, padding);
    if (!gy || !gx) return mismatch(`a ${kh}×${kw} valid window does not fit input ${shapeText(input)}`);
    window = { outH: gy.out, outW: gx.out, padTop: gy.padBefore, padLeft: gx.padBefore };
  }
  const attributes: LayerAttributes = { kh, kw, stride, outChannels, relu, bitsOut, window, graph };
  const { output, macs, tensors: expected } = spec.infer(input, attributes, mismatch);
  if (output.c > 2 ** 31) fail('dimension_overflow', `${where}: output ${shapeText(output)} is too large`);
  const outBytes = activationBytes(output);
  if (outBytes > MAX_BYTES) fail('dimension_overflow', `${where}: output ${shapeText(output)} needs ${outBytes} bytes, over 2^31`);
  if (outBytes > caps.maxArenaBytes)
    fail('limit_exceeded', `${where}: output ${shapeText(output)} needs ${outBytes} bytes, over the ${caps.maxArenaBytes}-byte arena cap (maxArenaBytes)`);
  let weightBytes = 0;
  for (const slot of spec.tensors) {
    const count = expected[slot.role]!;
    if (count * 4 > MAX_BYTES) fail('dimension_overflow', `${where}: the ${slot.role} tensor would need ${count * 4} bytes, over 2^31`);
    const t = tensors[tensorIds[slot.role]!];
    if (t.count !== count) mismatch(`${slot.role} tensor ${t.index} has ${t.count} elements; input ${shapeText(input)} needs ${count}`);
    if (t.encoding === 'int8') {
      const axis = int8AxisOf(slot.int8Axis, count, outChannels);
      if (t.channels !== axis.channels || t.lanes !== axis.lanes)
        mismatch(`int8 ${slot.role} tensor ${t.index} has ${t.channels} scales in ${t.lanes} lanes; its layout needs ${axis.channels} in ${axis.lanes}`);
    }
    weightBytes += residentBytes(t, slot);
  }
  const layer: BxnLayer = {
    index: i, op: spec.name, kh, kw, stride, padding, padTop: window?.padTop ?? 0, padLeft: window?.padLeft ?? 0,
    outChannels, relu, bitsOut, tensors: tensorIds, graph, inputs: [i], input, output, macs, scratchBytes: 0, weightBytes,
  };
  // Computed in doubles from the descriptor (the kernels' i32 versions wrap at 2^31).
  const scratch = scratchBytesOf(layer);
  if (scratch > MAX_BYTES) fail('dimension_overflow', `${where}: kernel scratch of ${scratch} bytes, over 2^31`);
  if (scratch > caps.maxArenaBytes)
    fail('limit_exceeded', `${where}: kernel scratch of ${scratch} bytes, over the ${caps.maxArenaBytes}-byte arena cap (maxArenaBytes)`);
  layer.scratchBytes = scratch;
  return layer;
}

/**
 * Float tensors finite after decoding to f32; binary weights follow their op's content
 * rule, checked once per distinct (tensor, layout) however many layers share the tensor.
 */
function checkTensorContents(bytes: Uint8Array, t: BxnTensor, users: { layer: BxnLayer; role: TensorRole }[]): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + t.byteOffset, t.byteLength);
  const first = users[0];
  const where = `tensor ${t.index} (${t.encoding}, ${first.role} of layer ${first.layer.index} ${first.layer.op})`;
  if (t.encoding === 'f32') {
    for (let i = 0; i < t.count; i++)
      if (!Number.isFinite(view.getFloat32(i * 4, true))) fail('non_finite', `${where}: element ${i} is ${view.getFloat32(i * 4, true)}`);
  } else if (t.encoding === 'f16') {
    for (let i = 0; i < t.count; i++)
      if ((view.getUint16(i * 2, true) & 0x7c00) === 0x7c00) fail('non_finite', `${where}: element ${i} is not finite`);
  } else if (t.encoding === 'int8') {
    // Decoding rounds q · scale to f32: a finite scale times |q| ≤ 128 can still overflow.
    for (let c = 0; c < t.channels; c++) {
      const s = view.getFloat32(c * 4, true);
      if (!Number.isFinite(s)) fail('non_finite', `${where}: channel scale ${c} is ${s}`);
    }
    const scalesBytes = t.channels * 4;
    for (let i = 0; i < t.count; i++) {
      const v = Math.fround(view.getInt8(scalesBytes + i) * view.getFloat32(int8ScaleIndex(i, t.count, t.channels, t.lanes) * 4, true));
      if (!Number.isFinite(v)) fail('non_finite', `${where}: element ${i} decodes to ${v} (q × scale overflows f32)`);
    }
  } else {
    const word = (i: number) => view.getUint32(i * 4, true);
    const checked = new Set<string>();
    for (const { layer, role } of users) {
      const rule = opOf(layer).contents;
      if (!rule || rule.role !== role) continue;
      const key = rule.key(layer);
      if (checked.has(key)) continue;
      checked.add(key);
      const problem = rule.check(word, layer);
      if (problem) fail('nonzero_padding', `${where}: ${problem}`);
    }
  }
}
