// Web APIs the sdk uses that QuickJS does not have, installed by the QuickJS host before
// the sdk loads. Today only TextDecoder (the reader decodes META with a fatal UTF-8
// decoder). Strict like the real one: ECMAScript's decodeURIComponent throws on every
// malformed, overlong or surrogate UTF-8 sequence, so it does the validation.

const HEX = Array.from({ length: 256 }, (_, b) => `%${b.toString(16).padStart(2, '0')}`);

/** The subset of TextDecoder the sdk calls: new TextDecoder('utf-8', { fatal, ignoreBOM }).decode(bytes). */
export class Utf8Decoder {
  constructor(label = 'utf-8', { fatal = false, ignoreBOM = false } = {}) {
    if (!/^utf-?8$/i.test(label)) throw new RangeError(`only UTF-8 is supported, not '${label}'`);
    if (!fatal) throw new RangeError('only the fatal mode is supported');
    this.ignoreBOM = ignoreBOM;
  }
  get encoding() { return 'utf-8'; }
  get fatal() { return true; }
  decode(input = new Uint8Array(0)) {
    let bytes = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
    // Like TextDecoder: one leading byte-order mark is dropped unless ignoreBOM.
    if (!this.ignoreBOM && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    let escaped = '';
    for (let i = 0; i < bytes.length; i++) escaped += HEX[bytes[i]];
    try { return decodeURIComponent(escaped); } catch { throw new TypeError('The encoded data was not valid UTF-8'); }
  }
}

export function installWebGlobals() {
  globalThis.TextDecoder ??= Utf8Decoder;
}
