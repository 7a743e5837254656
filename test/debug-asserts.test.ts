// The debug build asserts kernel preconditions; release builds trust the sdk.
import { describe, expect, it } from 'vitest';
import { KernelHarness } from './support/wasm';

describe('debug build preconditions', () => {
  const k = new KernelHarness('debug');
  const buf = () => k.alloc(4096);
  it('bconv2d rejects zero stride and padding ≥ kernel', () => {
    k.reset();
    expect(() => k.exports.bconv2d(buf(), 4, 4, 8, buf(), 4, 3, 3, 0, 1, 1, 4, 4, buf(), 0, buf(), buf())).toThrow(/bconv2d: sizes/);
    expect(() => k.exports.bconv2d(buf(), 4, 4, 8, buf(), 4, 3, 3, 1, 3, 1, 4, 4, buf(), 0, buf(), buf())).toThrow(/bconv2d: padding/);
  });
  it('conv2d, depthwise and pools reject empty shapes', () => {
    k.reset();
    expect(() => k.exports.conv2d(buf(), 4, 4, 0, buf(), buf(), 4, 3, 3, 1, 1, 1, 4, 4, 0, buf(), buf())).toThrow(/conv2d: sizes/);
    expect(() => k.exports.depthwiseConv2d(buf(), 4, 4, 3, buf(), buf(), 3, 3, 1, 1, 1, 0, 4, 0, buf(), buf())).toThrow(/depthwiseConv2d: sizes/);
    expect(() => k.exports.maxPool2d(buf(), 4, 4, 3, 2, 2, 2, 0, 0, 9, 2, buf())).toThrow(/window past the input/);
  });
  it('the same calls with valid arguments pass', () => {
    k.reset();
    expect(() => k.exports.maxPool2d(buf(), 4, 4, 3, 2, 2, 2, 0, 0, 2, 2, buf())).not.toThrow();
  });
});
