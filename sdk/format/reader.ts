/**
 * The .bxn v1 reader. It validates everything (structure, checksums, every record,
 * the layer chain's shapes and dtypes, tensor contents, caps) and only then returns
 * a model; nothing it returns can make a kernel read or write out of bounds.
 */
import { BxnFormatError, type BxnFormatErrorCode } from '../errors.js';
import { crc32 } from './crc32.js';
import { align16, axisGeometry, bconvKpad, roundUp, words } from './layout.js';
import {
  DEFAULT_LIMITS, type BxnLayer, type BxnLimits, type BxnMetadata, type BxnModel, type BxnSection, type BxnTensor,
  type Normalization, type Shape,
} from './model.js';
import {
  ENCODING_BY_CODE, EXPANDER_OP_CODES, EXPANDER_RECORD_BYTES, HEADER_BYTES, KNOWN_SECTION_ORDER, LAYER_FLAG_BITS_OUT,
  LAYER_FLAG_RELU, LAYER_RECORD_BYTES, MAGIC, MAX_BYTES, MAX_DIM, MAX_EXPANDERS, MAX_KERNEL, MAX_LABELS, MAX_LAYERS,
  MAX_META_BYTES, MAX_NAME_CHARS, MAX_SECTIONS, MAX_STRIDE, MAX_TENSORS, NO_GRAPH, NO_TENSOR, OP_BY_CODE,
  SECTION_DATA, SECTION_ENTRY_BYTES, SECTION_EXPANDERS, SECTION_FLAG_REQUIRED, SECTION_LAYERS, SECTION_META,
  SECTION_TENSORS, TABLE_PREFIX_BYTES, TENSOR_RECORD_BYTES, VERSION_MAJOR, type OpSpec, type TensorRole,
} from './spec.js';

const fail = (code: BxnFormatErrorCode, message: string): never => {
  throw new BxnFormatError(code, message);
};

const hex = (n: number) => '0x' + (n >>> 0).toString(16).padStart(8, '0');

export function readBxn(input: ArrayBufferView | ArrayBuffer, limits: BxnLimits = {}): BxnModel {
  // isView, not instanceof: typed arrays from another realm (iframe, vm context) are accepted as they are.
  const bytes = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
  const caps = { ...DEFAULT_LIMITS, ...limits };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => view.getUint32(at, true);

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
  const expanders = byType.get(SECTION_EXPANDERS);
  if (expanders) rejectExpanders(view, expanders);

  const tensors = readTensors(view, tensorSection, dataSection);
  const layers = readLayers(view, layerSection, tensors, metadata, caps);

  // Every tensor is used; the weights region (decoded, each 16-aligned) fits the cap.
  const users = tensors.map(() => [] as { layer: BxnLayer; role: TensorRole }[]);
  for (const layer of layers)
    for (const [role, index] of Object.entries(layer.tensors) as [TensorRole, number][]) users[index].push({ layer, role });
  let weightBytes = 0;
  for (const t of tensors) {
    if (users[t.index].length === 0) fail('bad_tensor', `tensor ${t.index} is not used by any layer`);
    weightBytes += align16(t.count * 4);
  }
  if (weightBytes > caps.maxWeightBytes)
    fail('limit_exceeded', `decoded weights need ${weightBytes} bytes, over the ${caps.maxWeightBytes}-byte cap (maxWeightBytes)`);
  for (const t of tensors) checkTensorContents(bytes, t, users[t.index]);

  return { version: { major, minor }, metadata, sections, tensors, layers, weightBytes, bytes };
}

// ---------------------------------------------------------------------------

function readMetadata(bytes: Uint8Array, section: BxnSection): BxnMetadata {
  const bad = (what: string) => fail('bad_metadata', `'META' (byte ${section.offset}): ${what}`);
  if (section.length > MAX_META_BYTES) bad(`${section.length} bytes, the limit is ${MAX_META_BYTES}`);
  let json: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(section.offset, section.offset + section.length));
    json = JSON.parse(text);
  } catch (e) {
    bad(`not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('must be a JSON object');
  const m = json as Record<string, unknown>;
  const shortString = (key: string) => {
    const v = m[key];
    if (typeof v !== 'string' || v.length > MAX_NAME_CHARS) bad(`'${key}' must be a string of at most ${MAX_NAME_CHARS} characters`);
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
        !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!nonZero || x !== 0)))
      bad(`normalization '${key}' must be 1 or ${channels} finite${nonZero ? ', non-zero' : ''} numbers`);
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
      !labels.every((l) => typeof l === 'string' && l.length <= MAX_NAME_CHARS))
    bad(`'labels' must be at most ${MAX_LABELS} strings of at most ${MAX_NAME_CHARS} characters`);
  return { name, producer, inputShape, normalization, labels: labels as string[] };
}

function rejectExpanders(view: DataView, section: BxnSection): never {
  const u32 = (at: number) => view.getUint32(section.offset + at, true);
  const where = `'XGRF' (byte ${section.offset})`;
  if (section.length < TABLE_PREFIX_BYTES) fail('truncated', `${where} is ${section.length} bytes, shorter than its ${TABLE_PREFIX_BYTES}-byte prefix`);
  const count = u32(0);
  if (count < 1 || count > MAX_EXPANDERS || section.length !== TABLE_PREFIX_BYTES + count * EXPANDER_RECORD_BYTES)
    fail('bad_section_table', `${where}: ${count} records do not fit its ${section.length} bytes`);
  const at = TABLE_PREFIX_BYTES;
  const [generator, cin, cout, degree] = [u32(at), u32(at + 16), u32(at + 20), u32(at + 24)];
  return fail('unsupported_expander',
    `${where} holds ${count} expander graph record(s) (first: generator ${generator}, C_in ${cin}, C_out ${cout}, D ${degree}); ` +
    'expander-graph layers are unsupported until X-Nets is implemented');
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
const activationBytes = (s: Shape) => s.h * s.w * (s.dtype === 'bits' ? words(s.c) : s.c) * 4;

function readLayers(
  view: DataView, section: BxnSection, tensors: BxnTensor[], metadata: BxnMetadata, caps: Required<BxnLimits>,
): BxnLayer[] {
  const base = section.offset;
  const u32 = (at: number) => view.getUint32(base + at, true);
  if (section.length < TABLE_PREFIX_BYTES) fail('bad_layer', `'LAYR' is ${section.length} bytes, shorter than its ${TABLE_PREFIX_BYTES}-byte prefix`);
  const count = u32(0);
  if (count < 1 || count > MAX_LAYERS) fail('bad_layer', `'LAYR' declares ${count} layers, allowed 1..${MAX_LAYERS}`);
  if (section.length !== TABLE_PREFIX_BYTES + count * LAYER_RECORD_BYTES)
    fail('bad_layer', `'LAYR' declares ${count} layers (${TABLE_PREFIX_BYTES + count * LAYER_RECORD_BYTES} bytes) but is ${section.length} bytes`);
  for (let r = 4; r < TABLE_PREFIX_BYTES; r += 4) if (u32(r) !== 0) fail('bad_layer', `'LAYR' reserved prefix bytes ${r}..${r + 3} are not zero`);

  const [h0, w0, c0] = metadata.inputShape;
  let shape: Shape = { h: h0, w: w0, c: c0, dtype: 'f32' };
  let previous = 'the input';
  let totalMacs = 0;
  const layers: BxnLayer[] = [];
  for (let i = 0; i < count; i++) {
    const at = TABLE_PREFIX_BYTES + i * LAYER_RECORD_BYTES;
    const code = view.getUint8(base + at);
    if (EXPANDER_OP_CODES[code])
      fail('unsupported_expander', `layer ${i}: op ${code} (${EXPANDER_OP_CODES[code]}) is an expander-graph layer, unsupported until X-Nets is implemented`);
    const op = OP_BY_CODE.get(code);
    if (!op) fail('bad_layer', `layer ${i} (record at byte ${base + at}): unknown op code ${code}`);
    const spec = op as OpSpec;
    const where = `layer ${i} (${spec.name})`;
    const bad = (what: string) => fail('bad_layer', `${where}: ${what}`);
    const flags = view.getUint8(base + at + 1);
    const paddingCode = view.getUint8(base + at + 2);
    const kh = view.getUint16(base + at + 4, true);
    const kw = view.getUint16(base + at + 6, true);
    const stride = view.getUint16(base + at + 8, true);
    const outChannels = u32(at + 12);
    const refs = [0, 1, 2, 3].map((r) => view.getInt32(base + at + 16 + 4 * r, true));
    if (view.getUint8(base + at + 3) !== 0 || view.getUint16(base + at + 10, true) !== 0) bad('reserved bytes 3, 10, 11 are not zero');
    if (u32(at + 32) !== NO_GRAPH) bad(`graph field is ${u32(at + 32)}; only expander layers (X-Nets) use it`);
    for (let r = 36; r < LAYER_RECORD_BYTES; r += 4) if (u32(at + r) !== 0) bad(`reserved bytes ${r}..${r + 3} are not zero`);
    if (flags & ~(LAYER_FLAG_RELU | LAYER_FLAG_BITS_OUT)) bad(`unknown flags ${flags}`);
    const relu = (flags & LAYER_FLAG_RELU) !== 0;
    const bitsOut = (flags & LAYER_FLAG_BITS_OUT) !== 0;
    if (relu && !spec.allowRelu) bad('the relu flag is not allowed for this op');
    if (bitsOut && !spec.allowBitsOut) bad('the bit-output flag is not allowed for this op');
    if (relu && bitsOut) bad('relu and bit output are exclusive');
    if (paddingCode > 1) bad(`padding ${paddingCode}; 0 = valid, 1 = same`);
    if (spec.window) {
      if (kh < 1 || kh > MAX_KERNEL || kw < 1 || kw > MAX_KERNEL) bad(`kernel ${kh}×${kw}, allowed 1..${MAX_KERNEL}`);
      if (stride < 1 || stride > MAX_STRIDE) bad(`stride ${stride}, allowed 1..${MAX_STRIDE}`);
    } else if (kh || kw || stride || paddingCode) bad('kh, kw, stride and padding must be 0 for this op');
    if (spec.outChannels ? outChannels < 1 || outChannels > MAX_DIM : outChannels !== 0)
      bad(spec.outChannels ? `outChannels ${outChannels}, allowed 1..${MAX_DIM}` : 'outChannels must be 0 for this op');
    const tensorIds: Partial<Record<TensorRole, number>> = {};
    for (let r = 0; r < 4; r++) {
      const slot = spec.tensors[r];
      if (!slot) {
        if (refs[r] !== NO_TENSOR) bad(`tensor slot ${r} must be ${NO_TENSOR}`);
        continue;
      }
      if (refs[r] < 0 || refs[r] >= tensors.length) bad(`${slot.role} tensor ${refs[r]} does not exist (${tensors.length} tensors)`);
      const t = tensors[refs[r]];
      if (!slot.encodings.includes(t.encoding)) bad(`${slot.role} tensor ${t.index} is ${t.encoding}; allowed: ${slot.encodings.join(', ')}`);
      tensorIds[slot.role] = t.index;
    }

    // Shapes and dtypes along the chain.
    const mismatch = (what: string) => fail('shape_mismatch', `${where}: ${what}`);
    const input = shape;
    if (spec.name !== 'flatten' && input.dtype !== spec.input)
      mismatch(`needs ${spec.input} input but ${previous} gives ${shapeText(input)}`);
    const padding = paddingCode === 1 ? 'same' : 'valid';
    let out: Shape = { ...input };
    let padTop = 0;
    let padLeft = 0;
    let macs = input.h * input.w * input.c; // element-wise default
    if (spec.window) {
      const gy = axisGeometry(input.h, kh, stride, padding);
      const gx = axisGeometry(input.w, kw, stride, padding);
      if (!gy || !gx) mismatch(`a ${kh}×${kw} valid window does not fit input ${shapeText(input)}`);
      out = { h: gy!.out, w: gx!.out, c: input.c, dtype: input.dtype };
      padTop = gy!.padBefore;
      padLeft = gx!.padBefore;
    }
    const expect: Partial<Record<TensorRole, { count: number; channels: number; lanes?: number }>> = {};
    const C = input.c;
    const N = outChannels;
    switch (spec.name) {
      case 'conv2d':
        out = { ...out, c: N, dtype: 'f32' };
        expect.weights = { count: kh * kw * C * roundUp(N, 8), channels: roundUp(N, 8), lanes: 8 };
        expect.bias = { count: N, channels: N };
        macs = out.h * out.w * N * kh * kw * C;
        break;
      case 'bconv2d':
        out = { ...out, c: N, dtype: bitsOut ? 'bits' : 'f32' };
        expect.weights = { count: N * bconvKpad(kh, kw, C), channels: 0 };
        expect.transform = { count: 3 * N, channels: 0 };
        macs = out.h * out.w * N * kh * kw * C;
        break;
      case 'bdense':
        out = { h: 1, w: 1, c: N, dtype: bitsOut ? 'bits' : 'f32' };
        expect.weights = { count: N * bconvKpad(input.h, input.w, C), channels: 0 };
        expect.transform = { count: 3 * N, channels: 0 };
        macs = N * input.h * input.w * C;
        break;
      case 'conv2dBinaryWeights':
        out = { ...out, c: N, dtype: 'f32' };
        expect.weights = { count: kh * kw * C * words(N), channels: 0 };
        expect.transform = { count: 3 * N, channels: 0 };
        macs = out.h * out.w * N * kh * kw * C;
        break;
      case 'depthwiseConv2d':
        if (N !== C) mismatch(`outChannels ${N} must equal the input channels ${C}`);
        expect.weights = { count: kh * kw * C, channels: C };
        expect.bias = { count: C, channels: C };
        macs = out.h * out.w * C * kh * kw;
        break;
      case 'dense':
        if (input.h !== 1 || input.w !== 1) mismatch(`needs a [1, 1, K] input (add flatten) but ${previous} gives ${shapeText(input)}`);
        out = { h: 1, w: 1, c: N, dtype: 'f32' };
        expect.weights = { count: C * roundUp(N, 8), channels: roundUp(N, 8), lanes: 8 };
        expect.bias = { count: N, channels: N };
        macs = C * N;
        break;
      case 'packSigns':
        out = { ...input, dtype: 'bits' };
        break;
      case 'packSignsAffine':
        out = { ...input, dtype: 'bits' };
        expect.scale = expect.shift = { count: C, channels: C };
        break;
      case 'unpackSigns':
        out = { ...input, dtype: 'f32' };
        break;
      case 'maxPool2d': case 'maxPool2dBits': case 'avgPool2d':
        macs = out.h * out.w * C * kh * kw;
        break;
      case 'globalAvgPool':
        out = { h: 1, w: 1, c: C, dtype: 'f32' };
        break;
      case 'scaleShift':
        expect.scale = expect.shift = { count: C, channels: C };
        break;
      case 'relu': case 'softmax':
        break;
      case 'flatten':
        if (input.dtype === 'bits' && C % 32 !== 0 && input.h * input.w !== 1)
          mismatch(`flattening bits ${shapeText(input)} is not a no-op (C must be a multiple of 32); binary dense reads [H, W, C] directly`);
        out = { h: 1, w: 1, c: input.h * input.w * C, dtype: input.dtype };
        break;
    }
    if (out.c > 2 ** 31) fail('dimension_overflow', `${where}: output ${shapeText(out)} is too large`);
    const outBytes = activationBytes(out);
    if (outBytes > MAX_BYTES) fail('dimension_overflow', `${where}: output ${shapeText(out)} needs ${outBytes} bytes, over 2^31`);
    if (outBytes > caps.maxArenaBytes)
      fail('limit_exceeded', `${where}: output ${shapeText(out)} needs ${outBytes} bytes, over the ${caps.maxArenaBytes}-byte arena cap (maxArenaBytes)`);
    let weightBytes = 0;
    for (const [role, e] of Object.entries(expect) as [TensorRole, { count: number; channels: number; lanes?: number }][]) {
      if (e.count * 4 > MAX_BYTES) fail('dimension_overflow', `${where}: the ${role} tensor would need ${e.count * 4} bytes, over 2^31`);
      const t = tensors[tensorIds[role]!];
      if (t.count !== e.count) mismatch(`${role} tensor ${t.index} has ${t.count} elements; input ${shapeText(input)} needs ${e.count}`);
      if (t.encoding === 'int8' && (t.channels !== e.channels || t.lanes !== (e.lanes ?? 0)))
        mismatch(`int8 ${role} tensor ${t.index} has ${t.channels} scales in ${t.lanes} lanes; its layout needs ${e.channels} in ${e.lanes ?? 0}`);
      weightBytes += t.count * 4;
    }
    totalMacs += macs;
    if (totalMacs > caps.maxMacs) fail('limit_exceeded', `${where}: the model needs more than ${caps.maxMacs} multiply-accumulates (maxMacs)`);
    layers.push({
      index: i, op: spec.name, kh, kw, stride, padding, padTop, padLeft, outChannels, relu, bitsOut,
      tensors: tensorIds, input, output: out, macs, weightBytes,
    });
    shape = out;
    previous = `layer ${i} (${spec.name})`;
  }
  if (shape.dtype !== 'f32') fail('shape_mismatch', `the last layer outputs ${shapeText(shape)}; a model must end in f32 (add unpackSigns or a float-output layer)`);
  const outputs = shape.h * shape.w * shape.c;
  if (metadata.labels.length !== 0 && metadata.labels.length !== outputs)
    fail('bad_metadata', `'META' has ${metadata.labels.length} labels but the model outputs ${outputs} values`);
  return layers;
}

/** Float tensors finite; padding bits and words of binary weights zero. */
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
    for (let c = 0; c < t.channels; c++) {
      const s = view.getFloat32(c * 4, true);
      if (!Number.isFinite(s)) fail('non_finite', `${where}: channel scale ${c} is ${s}`);
    }
  } else {
    for (const { layer, role } of users) {
      if (role !== 'weights') continue;
      const word = (i: number) => view.getUint32(i * 4, true);
      const padBits = (w: number, used: number, at: string) => {
        if (used % 32 !== 0 && w >>> (used % 32) !== 0) fail('nonzero_padding', `${where}: padding bits set in word ${at}`);
      };
      if (layer.op === 'bconv2d' || layer.op === 'bdense') {
        const C = layer.input.c;
        const cw = words(C);
        const taps = layer.op === 'bdense' ? layer.input.h * layer.input.w : layer.kh * layer.kw;
        const kpad = bconvKpad(layer.op === 'bdense' ? layer.input.h : layer.kh, layer.op === 'bdense' ? layer.input.w : layer.kw, C);
        for (let o = 0; o < layer.outChannels; o++) {
          for (let k = taps * cw; k < kpad; k++)
            if (word(o * kpad + k) !== 0) fail('nonzero_padding', `${where}: filter ${o} padding word ${k} is not zero`);
          for (let tap = 0; tap < taps; tap++) padBits(word(o * kpad + tap * cw + cw - 1), C, `${o * kpad + tap * cw + cw - 1}`);
        }
      } else if (layer.op === 'conv2dBinaryWeights') {
        const ow = words(layer.outChannels);
        for (let r = 0; r < t.count / ow; r++) padBits(word(r * ow + ow - 1), layer.outChannels, `${r * ow + ow - 1}`);
      }
    }
  }
}
