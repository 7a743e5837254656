// Regression tests for the hostile-input defects of issue 8 (a–h) and for unbounded
// reads of a model's bytes (i): each failed on the loader before its fix. Models are written with writeBxn, so every file is valid.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BxnFormatError, BxnInputError, BxnRuntimeError, loadKernels, loadModel, loadModelSync, type BxnKernels,
} from '../sdk/index.js';
import { DEFAULT_LIMITS, readBxn, writeBxn, type BxnModelInput, type LayerInput } from '../sdk/format/index.js';
import { packBinaryFilters } from '../sdk/layout.js';
import { BASE_SEED } from './support/rng.js';
import { makeRng, wasmBytes } from './sdk.helpers.js';

let kernels: BxnKernels;
beforeAll(async () => {
  kernels = await loadKernels({ wasm: { simd: wasmBytes('simd') }, backend: 'simd' });
});

const meta = (inputShape: [number, number, number], extra: Partial<BxnModelInput['metadata']> = {}): BxnModelInput['metadata'] =>
  ({ name: 'hostile', producer: 'test/sdk.hostile.test.ts', inputShape, normalization: null, labels: [], ...extra });

/** The error a call throws (fails the test if it returns). */
function thrown(f: () => unknown): Error {
  try { f(); } catch (e) { return e as Error; }
  return expect.fail('expected an error');
}
async function rejected(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (e) { return e as Error; }
  return expect.fail('expected a rejection');
}

describe('(a) kernel scratch from the descriptors, with overflow checks', () => {
  const huge = (op: 'depthwiseConv2d' | 'conv2dBinaryWeights', c: number): Uint8Array => {
    const layer: LayerInput = op === 'depthwiseConv2d'
      ? { op, kh: 64, kw: 64, stride: 16, padding: 'same', outChannels: c,
        weights: { encoding: 'int8', data: new Float32Array(64 * 64 * c).fill(0.5) }, bias: new Float32Array(c) }
      : { op, kh: 64, kw: 64, stride: 16, padding: 'same', outChannels: 1,
        weights: new Uint32Array(64 * 64 * c), transform: new Float32Array(3) };
    return writeBxn({ metadata: meta([1, 65488, c]), layers: [layer, { op: 'globalAvgPool' }] });
  };
  const roomy = { maxArenaBytes: 2 ** 30, maxWeightBytes: 2 ** 30, maxMacs: 2 ** 40 };

  it('a window scratch of 2^32 bytes (i32 overflow in the kernel) is rejected at load, not a trap in run()', () => {
    for (const [op, c] of [['depthwiseConv2d', 256], ['conv2dBinaryWeights', 128], ['conv2dBinaryWeights', 256]] as const) {
      const e = thrown(() => loadModelSync(huge(op, c), kernels, roomy).run(new Float32Array(65488 * c)));
      expect(e, `${op} C=${c}: ${e}`).toBeInstanceOf(BxnFormatError);
      expect((e as BxnFormatError).code).toMatch(/^(limit_exceeded|dimension_overflow)$/);
      expect(e.message).toMatch(/scratch/);
    }
  });

  it('scratch bytes are checked against maxArenaBytes at readBxn time and reported by info()', () => {
    const bytes = writeBxn({ metadata: meta([9, 9, 3]), layers: [
      { op: 'depthwiseConv2d', kh: 3, kw: 3, stride: 1, padding: 'same', outChannels: 3, weights: new Float32Array(27), bias: new Float32Array(3) },
    ] });
    const scratch = 11 * 11 * 3 * 4; // the zero-padded window
    expect(readBxn(bytes).layers[0].scratchBytes).toBe(scratch);
    expect(loadModelSync(bytes, kernels).info().layers[0].scratchBytes).toBe(scratch);
    expect((thrown(() => readBxn(bytes, { maxArenaBytes: scratch - 1 })) as BxnFormatError).code).toBe('limit_exceeded');
  });

  it('a trap inside run() is a BxnRuntimeError (kernel_trap) naming the layer', () => {
    const bytes = writeBxn({ metadata: meta([2, 3, 4]), layers: [{ op: 'relu' }] });
    const trapping: BxnKernels = {
      backend: 'simd', reason: 'simd: a test double',
      instantiate() {
        const real = kernels.instantiateSync!();
        const exports = { ...real.exports, relu: () => { throw new WebAssembly.RuntimeError('memory access out of bounds'); } };
        return { memory: real.memory, exports };
      },
    };
    const model = loadModelSync(bytes, trapping);
    const e = thrown(() => model.run(new Float32Array(24)));
    expect(e).toBeInstanceOf(BxnRuntimeError);
    expect((e as BxnRuntimeError).code).toBe('kernel_trap');
    expect(e.message).toMatch(/layer 0 \(relu\).*memory access out of bounds/);
  });
});

describe('(b) validate and decode from a private copy', () => {
  it('bytes changed by the caller while loadModel awaits instantiation do not reach the model', async () => {
    const bytes = writeBxn({ metadata: meta([1, 1, 4]), layers: [
      { op: 'dense', outChannels: 3, weights: new Float32Array(4 * 8).fill(0.25), bias: new Float32Array([1, 2, 3]) },
    ] });
    const clean = loadModelSync(bytes, kernels).run(new Float32Array([1, 2, 3, 4])).slice();
    const original = WebAssembly.instantiate;
    const nan = new Uint8Array(new Float32Array([NaN]).buffer);
    (WebAssembly as { instantiate: unknown }).instantiate = (...args: Parameters<typeof original>) => {
      // The loader has validated by now: overwrite every float of DATA with NaN.
      const data = readBxn(bytes.slice()).tensors;
      for (const t of data) for (let i = 0; i < t.byteLength; i += 4) bytes.set(nan, t.byteOffset + i);
      return original(...args);
    };
    try {
      const model = await loadModel(bytes, { kernels });
      expect(Array.from(model.run(new Float32Array([1, 2, 3, 4])))).toEqual(Array.from(clean));
    } finally {
      (WebAssembly as { instantiate: unknown }).instantiate = original;
    }
  });
});

describe('(c) each distinct (tensor, layout) is checked once', () => {
  // C = N = 64 bits, 64×64 window on a 1×1 input: one 2 MiB binary tensor, a check of ~262k words per user.
  const shared = (users: number): Uint8Array => {
    const weights = packBinaryFilters(new Float32Array(64 * 64 * 64 * 64).fill(1), 64, 64, 64, 64);
    const transform = new Float32Array(3 * 64).fill(1);
    const layers: LayerInput[] = [{ op: 'packSigns' }];
    for (let i = 0; i < users; i++)
      layers.push({ op: 'bconv2d', kh: 64, kw: 64, stride: 1, padding: 'same', outChannels: 64, bitsOut: true, weights, transform });
    layers.push({ op: 'unpackSigns' });
    return writeBxn({ metadata: meta([1, 1, 64]), layers });
  };
  const caps = { maxMacs: 2 ** 40 };
  const loadMs = (bytes: Uint8Array) => {
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      loadModelSync(bytes, kernels, caps).dispose();
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  };

  it('2,047 layers sharing one 2 MiB tensor load quickly, and each extra user costs far less than checking the tensor', () => {
    const many = shared(2046);
    expect(many.length).toBeGreaterThan(2 << 20);
    const t = loadMs(many);
    const small = loadMs(shared(256)), large = loadMs(shared(1024));
    console.log(`shared tensor: 2047 users ${t.toFixed(0)} ms; 256 users ${small.toFixed(1)} ms, 1024 users ${large.toFixed(1)} ms`);
    expect(t).toBeLessThan(2000); // was 10.5 s
    // Each layer still costs a record, a plan entry and a step; re-checking the tensor per
    // user cost ~4.4 ms (9 s / 2047). A ratio of times would depend on the machine's load.
    const perUserMs = (large - small) / (1024 - 256);
    expect(perUserMs).toBeLessThan(0.5);
  }, 60_000);
});

describe('(d) limits are resolved once; a cap that is not a positive finite number is an input error', () => {
  const bytes = writeBxn({ metadata: meta([2, 2, 1]), layers: [{ op: 'relu' }] });

  it('NaN, Infinity, 0, negative, strings and null caps are BxnInputError(bad_argument)', async () => {
    for (const bad of [NaN, Infinity, 0, -5, '100', null, 1.5e400]) {
      for (const key of ['maxMacs', 'maxArenaBytes', 'maxWeightBytes', 'maxFileBytes']) {
        const e = thrown(() => readBxn(bytes, { [key]: bad } as never));
        expect(e, `${key}: ${bad}`).toBeInstanceOf(BxnInputError);
        expect((e as BxnInputError).code).toBe('bad_argument');
        expect(e.message).toContain(key);
        expect(thrown(() => loadModelSync(bytes, kernels, { [key]: bad } as never))).toBeInstanceOf(BxnInputError);
        expect(await rejected(loadModel(bytes, { kernels, [key]: bad } as never))).toBeInstanceOf(BxnInputError);
      }
    }
  });

  it('undefined means the default, which still applies', () => {
    // A float conv just over the default MAC budget.
    const side = Math.ceil(Math.sqrt(DEFAULT_LIMITS.maxMacs / (3 * 3 * 8 * 8))) + 1;
    const heavy = writeBxn({ metadata: meta([side, side, 8]), layers: [
      { op: 'conv2d', kh: 3, kw: 3, stride: 1, padding: 'same', outChannels: 8, weights: new Float32Array(9 * 8 * 8), bias: new Float32Array(8) },
    ] });
    for (const limits of [{}, { maxMacs: undefined }, { maxMacs: undefined, maxArenaBytes: 2 ** 30 }]) {
      const e = thrown(() => readBxn(heavy, limits));
      expect((e as BxnFormatError).code, JSON.stringify(limits)).toBe('limit_exceeded');
      expect(e.message).toContain('maxMacs');
    }
  });

  it('the defaults suit an edge runtime: ≤ 2^30 MACs (about a second of run()), ≤ 128 MiB of weights, of arena and of file', () => {
    expect(DEFAULT_LIMITS.maxMacs).toBeLessThanOrEqual(2 ** 30);
    expect(DEFAULT_LIMITS.maxFileBytes).toBeLessThanOrEqual(128 << 20);
    expect(DEFAULT_LIMITS.maxWeightBytes).toBeLessThanOrEqual(128 << 20);
    expect(DEFAULT_LIMITS.maxArenaBytes).toBeLessThanOrEqual(128 << 20);
  });
});

describe('(e) non-finite values are checked after rounding to f32 and after decoding', () => {
  it('an int8 tensor whose finite scale × q overflows f32 is non_finite', () => {
    const bytes = writeBxn({ metadata: meta([1, 1, 2]), layers: [
      { op: 'dense', outChannels: 1, bias: new Float32Array(1),
        weights: { encoding: 'int8', q: new Int8Array(16).fill(127), scales: new Float32Array(8).fill(3e38), lanes: 8 } },
    ] });
    expect(thrown(() => readBxn(bytes))).toMatchObject({ name: 'BxnFormatError', code: 'non_finite' });
  });

  it('an input finite as a double but infinite as f32 is rejected', () => {
    const model = loadModelSync(writeBxn({ metadata: meta([1, 1, 3]), layers: [{ op: 'relu' }] }), kernels);
    const e = thrown(() => model.run([0, 1e39, 0]));
    expect(e).toMatchObject({ name: 'BxnInputError', code: 'non_finite' });
    expect(e.message).toMatch(/input\[1\]/);
  });

  it('normalisation that is zero or infinite in f32 (std 1e-300, scale 1e39) is bad_metadata', () => {
    for (const normalization of [{ mean: [0], std: [1e-300] }, { scale: [1e39], offset: [0] }, { mean: [1e39], std: [1] }]) {
      const bytes = writeBxn({ metadata: meta([1, 1, 1], { normalization }), layers: [{ op: 'relu' }] });
      expect(thrown(() => readBxn(bytes)), JSON.stringify(normalization)).toMatchObject({ code: 'bad_metadata' });
    }
  });

  it('classify never returns NaN scores: NaN logits are a typed error, infinite ones a limit', () => {
    // Finite weights whose products overflow f32: +Inf + −Inf = NaN in the first output.
    const weights = new Float32Array(2 * 8);
    weights[0] = 3e38; weights[8] = -3e38; weights[1] = 3e38; weights[9] = 3e38;
    const bytes = writeBxn({ metadata: meta([1, 1, 2]), layers: [{ op: 'dense', outChannels: 3, weights, bias: new Float32Array(3) }] });
    const model = loadModelSync(bytes, kernels);
    const e = thrown(() => model.classify([10, 10], 3));
    expect(e).toMatchObject({ name: 'BxnRuntimeError', code: 'non_finite_output' });
    expect(e.message).toMatch(/output\[0\] is NaN/);
    // Only +Inf and finite logits ([Inf, Inf, 0]): the +Inf outputs share all the probability.
    const top = model.classify([10, 0], 3);
    expect(top.map((p) => [p.index, p.score])).toEqual([[0, 0.5], [1, 0.5], [2, 0]]);
  });
});

describe('(f) the output arrays count against the caps and go away on dispose', () => {
  const wide = writeBxn({ metadata: meta([512, 512, 1]), layers: [{ op: 'relu' }] }); // 1 MiB in, in place

  it('arena + logits + probabilities must fit maxArenaBytes', () => {
    const arena = 512 * 512 * 4;
    expect(loadModelSync(wide, kernels, { maxArenaBytes: 3 * arena }).info()).toMatchObject({ arenaBytes: arena, outputArrayBytes: 2 * arena });
    const e = thrown(() => loadModelSync(wide, kernels, { maxArenaBytes: 3 * arena - 1 }));
    expect(e).toMatchObject({ name: 'BxnFormatError', code: 'limit_exceeded' });
    expect(e.message).toMatch(/output arrays/);
  });

  it('dispose() releases the output arrays (their buffer is detached where the engine can)', () => {
    const model = loadModelSync(wide, kernels);
    const out = model.run(new Float32Array(512 * 512).fill(-1));
    expect(out.length).toBe(512 * 512);
    model.dispose();
    expect(out.length).toBe(0);
  });
});

describe('(g) misuse gives typed errors that say what to pass', () => {
  const bytes = writeBxn({ metadata: meta([1, 2, 3]), layers: [{ op: 'relu' }] });

  it('run(x, out) with the wrong kind of out', () => {
    const model = loadModelSync(bytes, kernels);
    for (const out of [[0, 0, 0, 0, 0, 0], new Uint8Array(10), new Float64Array(6), new Float32Array(5), 'x'])
      expect(thrown(() => model.run(new Float32Array(6), out as never))).toMatchObject({ name: 'BxnInputError', code: 'bad_argument', message: expect.stringMatching(/Float32Array of 6/) });
  });

  it('a detached ArrayBuffer as the model source', async () => {
    const copy = bytes.slice().buffer;
    structuredClone(copy, { transfer: [copy] });
    const e = thrown(() => loadModelSync(copy, kernels));
    expect(e).toMatchObject({ name: 'BxnInputError', code: 'bad_argument', message: expect.stringMatching(/detached/) });
    expect(await rejected(loadModel(copy, { kernels }))).toMatchObject({ code: 'bad_argument', message: expect.stringMatching(/detached/) });
    expect(thrown(() => readBxn(copy))).toMatchObject({ name: 'BxnInputError', code: 'bad_argument' });
  });

  it('{ kernels: {} }, { wasmModule: {} }, loadModelSync(bytes, undefined)', async () => {
    expect(await rejected(loadModel(bytes, { kernels: {} as never }))).toMatchObject({ name: 'BxnInputError', code: 'bad_argument', message: expect.stringMatching(/loadKernels/) });
    expect(await rejected(loadModel(bytes, { wasmModule: {} as never }))).toMatchObject({ name: 'BxnInputError', code: 'bad_argument', message: expect.stringMatching(/WebAssembly.Module/) });
    expect(thrown(() => loadModelSync(bytes, undefined as never))).toMatchObject({ name: 'BxnInputError', code: 'bad_argument', message: expect.stringMatching(/loadKernels/) });
    expect(thrown(() => loadModelSync(bytes, {} as never))).toMatchObject({ name: 'BxnInputError', code: 'bad_argument' });
  });
});

describe('(h) META as FORMAT.md says: no byte-order mark, lengths in code points', () => {
  it('a UTF-8 BOM before the JSON is bad_metadata', () => {
    const good = writeBxn({ metadata: meta([1, 1, 1]), layers: [{ op: 'relu' }] });
    const model = readBxn(good);
    const metaSection = model.sections.find((s) => s.type === 'META')!;
    // Rebuild with a BOM: the writer takes the JSON text from the metadata, so write the bytes by hand.
    const json = new TextEncoder().encode(JSON.stringify(model.metadata));
    const withBom = new Uint8Array(3 + json.length);
    withBom.set([0xef, 0xbb, 0xbf]);
    withBom.set(json, 3);
    const file = writeBxn({ metadata: meta([1, 1, 1]), layers: [{ op: 'relu' }], rawMeta: withBom });
    expect(file.length).not.toBe(good.length);
    expect(metaSection.length).toBe(json.length);
    const e = thrown(() => readBxn(file));
    expect(e).toMatchObject({ code: 'bad_metadata', message: expect.stringMatching(/byte-order mark/) });
  });

  it('names and labels of 256 code points (512 UTF-16 units) are accepted; 257 are not', () => {
    const rng = makeRng(BASE_SEED);
    const astral = () => String.fromCodePoint(0x1f600 + rng.int(0, 50)); // two UTF-16 units each
    const ok = Array.from({ length: 256 }, astral).join('');
    const tooLong = ok + 'x';
    const file = (name: string, label: string) => writeBxn({ metadata: meta([1, 1, 1], { name, labels: [label] }), layers: [{ op: 'relu' }] });
    expect(readBxn(file(ok, ok)).metadata.name).toBe(ok);
    expect(thrown(() => readBxn(file(tooLong, 'a')))).toMatchObject({ code: 'bad_metadata' });
    expect(thrown(() => readBxn(file('a', tooLong)))).toMatchObject({ code: 'bad_metadata' });
  });
});

describe('(i) a model over maxFileBytes is refused before it is read whole, however it arrives', () => {
  const model = readFileSync(new URL('../tools/examples/sketch-dabn.bxn', import.meta.url));
  const cap = 64 * 1024; // the example model is ~100 KiB
  const CHUNK = 16 * 1024;
  /** A body that never ends, counting what was pulled from it and whether it was cancelled. */
  const endless = () => {
    const seen = { pulled: 0, cancelled: false };
    const body = new ReadableStream<Uint8Array>({
      pull(c) { seen.pulled += CHUNK; c.enqueue(new Uint8Array(CHUNK).fill(7)); },
      cancel() { seen.cancelled = true; },
    });
    return { body, seen };
  };
  const limitError = (e: Error) => {
    expect(e).toBeInstanceOf(BxnFormatError);
    expect((e as BxnFormatError).code).toBe('limit_exceeded');
    expect(e.message).toContain('maxFileBytes');
  };

  it('bytes: readBxn, loadModelSync and loadModel check the length first; the cap itself is allowed', async () => {
    limitError(thrown(() => readBxn(model, { maxFileBytes: model.length - 1 })));
    limitError(thrown(() => loadModelSync(model, kernels, { maxFileBytes: model.length - 1 })));
    limitError(await rejected(loadModel(model, { kernels, maxFileBytes: cap })));
    expect(readBxn(model, { maxFileBytes: model.length }).bytes.length).toBe(model.length);
  });

  it('an endless stream with no Content-Length stops at the first chunk past the cap and is cancelled', async () => {
    const { body, seen } = endless();
    limitError(await rejected(loadModel(new Response(body), { kernels, maxFileBytes: cap })));
    expect(seen.pulled).toBeLessThanOrEqual(cap + 3 * CHUNK); // the stream's own read-ahead
    expect(seen.cancelled).toBe(true);
  });

  it('a Content-Length over the cap is refused without reading the body (which would never arrive)', async () => {
    const body = new ReadableStream<Uint8Array>({ pull() { return new Promise(() => {}); } });
    const response = new Response(body, { headers: { 'content-length': String(cap + 1) } });
    limitError(await rejected(loadModel(response, { kernels, maxFileBytes: cap })));
  });

  it('a model streamed in uneven chunks under the cap loads and runs as from its bytes', async () => {
    const rng = makeRng(BASE_SEED + 71);
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= model.length) { c.close(); return; }
        const n = 1 + Math.floor(rng() * 20000);
        c.enqueue(model.slice(at, at + n));
        at += n;
      },
    });
    const streamed = await loadModel(new Response(body), { kernels, maxFileBytes: model.length });
    const direct = loadModelSync(model, kernels);
    const input = Float32Array.from({ length: 28 * 28 }, () => rng());
    expect(Array.from(streamed.run(input))).toEqual(Array.from(direct.run(input)));
  });

  it('a body that fails or yields non-bytes mid-stream is fetch_failed, not a crash', async () => {
    let n = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(c) { if (n++ < 2) c.enqueue(model.slice(0, 1000)); else c.error(new Error('connection reset')); },
    });
    const e = await rejected(loadModel(new Response(failing), { kernels }));
    expect(e).toMatchObject({ name: 'BxnRuntimeError', code: 'fetch_failed' });
    expect(e.message).toContain('connection reset');
    const strings = new ReadableStream({ start(c) { c.enqueue('not bytes'); c.close(); } });
    expect(await rejected(loadModel(new Response(strings as never), { kernels }))).toMatchObject({ code: 'fetch_failed' });
  });

  it('a file: URL over the cap is refused by its size, a device file unread, an http URL streaming forever at the first chunk over it', async () => {
    limitError(await rejected(loadModel(new URL('../tools/examples/sketch-dabn.bxn', import.meta.url), { kernels, maxFileBytes: cap })));
    // A device has no size to check and no end: refused, not read.
    const device = await rejected(loadModel(new URL('file:///dev/zero'), { kernels }));
    expect(device).toMatchObject({ name: 'BxnRuntimeError', code: 'fetch_failed' });
    expect(device.message).toContain('not a regular file');
    let sent = 0;
    const server = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked, no length
      const timer = setInterval(() => { sent += CHUNK; res.write(new Uint8Array(CHUNK)); }, 1);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/model.bxn`);
      limitError(await rejected(loadModel(url, { kernels, maxFileBytes: cap })));
      expect(sent).toBeLessThan(64 * cap); // it stopped reading: the server was not drained to the end of time
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
