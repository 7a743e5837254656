// Browser payload of the packed package (tools/payload.mjs): an esbuild-minified app
// importing loadModel plus the SIMD wasm its model needs (core, or complete), gzip -9, held to a guard so it cannot grow
// unnoticed; the single-file build and the tfjs peer are measured beside it.
import { describe, expect, it } from 'vitest';
import { blankLiterals, measurePayload, PAYLOAD_GUARD_BYTES, PAYLOAD_TARGET_BYTES } from '../tools/payload.mjs';

describe('browser payload', () => {
  it(`the loadModel app plus SIMD wasm stays within ${PAYLOAD_GUARD_BYTES} B gzip, and under a ninth of tfjs's`, async () => {
    const [bexnet, bexnetAll, inline, tfjs] = await measurePayload();
    console.log([bexnet, bexnetAll, inline, tfjs].map((r) => `${r.what}: ${r.totalGzip} B gzip`).join('\n'), `\ntarget ${PAYLOAD_TARGET_BYTES} B`);
    expect(bexnet.what).toMatch(/^bexnet \(loadModel/);
    expect(bexnet.totalGzip).toBeLessThanOrEqual(PAYLOAD_GUARD_BYTES);
    // Not an empty bundle: the reader, registry and loader are in it, and the kernels.
    expect(bexnet.jsGzip).toBeGreaterThan(8000);
    expect(bexnet.wasmGzip).toBeGreaterThan(4000);
    // X-Net and int8 models fetch the complete build instead: the same JS, a larger wasm.
    expect(bexnetAll.what).toMatch(/X-Net/);
    expect(bexnetAll.jsBytes).toBe(bexnet.jsBytes);
    expect(bexnetAll.wasmGzip).toBeGreaterThan(bexnet.wasmGzip + 2000); // + 2.6 KB
    // The single-file build carries both kernel builds: bigger than the app's JS plus one wasm.
    expect(inline.wasmBytes).toBe(0);
    expect(inline.jsGzip).toBeGreaterThan(bexnet.totalGzip);
    expect(tfjs.totalGzip).toBeGreaterThan(9 * bexnet.totalGzip); // 10.0x at 26.7 KiB
    // The message text is a real share of the JS, not all of it (the code parsed after blanking, or measurePayload threw).
    expect(bexnet.jsCodeGzip).toBeLessThan(bexnet.jsGzip - 2000);
    expect(bexnet.jsCodeGzip).toBeGreaterThan(8000);
  }, 120_000);

  it('blankLiterals empties string and template text, keeps template expressions, escapes and braces', () => {
    const src = 'let a="x\\"y",b=\'{\',c=`t\\`${f({k:`in${"}"}`})}u`;if(a){b}';
    expect(blankLiterals(src)).toBe('let a="",b=\'\',c=`${f({k:`${""}`})}`;if(a){b}');
    expect(() => blankLiterals('let a="open')).toThrow(/unterminated/);
  });
});
