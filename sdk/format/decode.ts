/** Decoding tensors to what kernels read: u32 words for 'bits', f32 for every float encoding. */
import { int8ScaleIndex } from '../layout.js';
import type { BxnTensor } from './model.js';

/**
 * Write tensor `t` of `file` decoded into `dst` (byte offset `at`, 4-byte aligned).
 * 'bits' and 'f32' are byte copies (the file already has the kernel layout);
 * 'f16' and 'int8' are widened to f32.
 */
export function decodeTensorInto(file: Uint8Array, t: BxnTensor, dst: ArrayBuffer, at: number): void {
  const src = new DataView(file.buffer, file.byteOffset + t.byteOffset, t.byteLength);
  if (t.encoding === 'bits' || t.encoding === 'f32') return copyTensorInto(file, t, dst, at);
  const out = new Float32Array(dst, at, t.count);
  if (t.encoding === 'f16') {
    for (let i = 0; i < t.count; i++) out[i] = f16ToF32Fast(src.getUint16(i * 2, true));
  } else {
    const scalesBytes = t.channels * 4;
    for (let i = 0; i < t.count; i++)
      out[i] = src.getInt8(scalesBytes + i) * src.getFloat32(int8ScaleIndex(i, t.count, t.channels, t.lanes) * 4, true);
  }
}

/** Write tensor `t`'s bytes exactly as stored into `dst` at `at` (bits, f32, and int8 read by an int8 kernel). */
export function copyTensorInto(file: Uint8Array, t: BxnTensor, dst: ArrayBuffer, at: number): void {
  new Uint8Array(dst, at, t.byteLength).set(file.subarray(t.byteOffset, t.byteOffset + t.byteLength));
}

/** A fresh decoded copy (Uint32Array for bits, Float32Array otherwise). */
export function decodeTensor(file: Uint8Array, t: BxnTensor): Float32Array | Uint32Array {
  const buffer = new ArrayBuffer(t.count * 4);
  decodeTensorInto(file, t, buffer, 0);
  return t.encoding === 'bits' ? new Uint32Array(buffer) : new Float32Array(buffer);
}

function f16ToF32Fast(h: number): number {
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  const magnitude = exp === 0 ? mant * 5.960464477539063e-8 : (1024 + mant) * 2 ** (exp - 25);
  return h & 0x8000 ? -magnitude : magnitude;
}
