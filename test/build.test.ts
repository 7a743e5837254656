// The two release builds come from one source: SIMD has v128 code, scalar has none.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import binaryen from 'binaryen';

const text = (name: string) => {
  const mod = binaryen.readBinary(readFileSync(new URL(`../build/bexnet.${name}.wasm`, import.meta.url)));
  const wat = mod.emitText();
  mod.dispose();
  return wat;
};

describe('wasm builds', () => {
  it('SIMD build contains v128 instructions, including i8x16.popcnt', () => {
    const wat = text('simd');
    expect(wat).toMatch(/v128\.load/);
    expect(wat).toMatch(/i8x16\.popcnt/);
    expect(wat).toMatch(/f32x4\.mul/);
  });
  it('scalar and debug builds contain no v128 type or instruction', () => {
    for (const name of ['scalar', 'debug']) expect(text(name)).not.toMatch(/v128|i8x16|i16x8|i32x4|f32x4/);
  });
  it('no relaxed-SIMD instructions in any build', () => {
    for (const name of ['simd', 'scalar', 'debug']) expect(text(name)).not.toMatch(/relaxed/);
  });
});
