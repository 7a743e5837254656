// An engine with no WebAssembly: QuickJS (quickjs-emscripten) runs dist/sdk.mjs on the
// wasm2js build of the scalar kernels, and must give Node's scalar outputs bit for bit
// (wasm2js rounds every f32 operation with Math.fround, so the arithmetic is the same).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildWasm2js } from '../targets/wasm2js/build.mjs';
import { Utf8Decoder } from '../targets/quickjs/web-globals.mjs';
import { compare, EXAMPLE_MODEL, makeInputs, root, type SmokeResult } from '../targets/runners.mjs';
import { BASE_SEED, rng } from './support/rng.js';
import { loadKernels, loadModelSync, OPS, writeBxn } from '../sdk/index.js';
import { ALL_OPS, makeRng, randomModel, singleOpModel, wasmBytes } from './sdk.helpers.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'bexnet-quickjs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function smokeCli(script: string, inputsPath: string, ...args: string[]): Promise<SmokeResult> {
  const { stdout } = await run(process.execPath, [script, EXAMPLE_MODEL, inputsPath, ...args], { cwd: root, maxBuffer: 64 << 20, timeout: 300_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe(`wasm2js kernels in QuickJS (seed ${BASE_SEED})`, () => {
  it('QuickJS: same outputs as Node scalar, bit for bit', async () => {
    // Two inputs only: QuickJS interprets, about 2 s per inference here.
    const inputs = await makeInputs(BASE_SEED, 2);
    const inputsPath = join(dir, 'inputs.f32');
    writeFileSync(inputsPath, new Uint8Array(inputs.buffer));
    const [quickjs, node] = await Promise.all([smokeCli('targets/quickjs/smoke.mjs', inputsPath, 'auto', '2', '1'), smokeCli('targets/node/smoke.mjs', inputsPath, 'scalar', '5', '1')]);
    console.log(`quickjs ${quickjs.version} wasm2js: cold start ${quickjs.coldStartMs.toFixed(0)} ms, median ${quickjs.medianMs.toFixed(0)} ms (Node scalar ${node.medianMs.toFixed(3)} ms)`);
    expect(quickjs.runtime).toBe('quickjs');
    expect(quickjs.build).toBe('wasm2js');
    expect(quickjs.outputs).toHaveLength(2);
    expect(quickjs.outputs[0]).not.toEqual(quickjs.outputs[1]);
    const c = compare({ ...quickjs, build: node.build }, node);
    expect(c.differing, `${c.differing} outputs differ from Node scalar, max |Δ| ${c.maxAbsDiff}`).toBe(0);
    expect(c.agree).toBe(true);
    // The cold start contains one inference (timings here are noisy to ±20% under load), and an interpreter is slower than wasm.
    expect(quickjs.coldStartMs).toBeGreaterThan(0.5 * quickjs.medianMs);
    expect(quickjs.medianMs).toBeGreaterThan(10 * node.medianMs);
  }, 300_000);

  it('wasm2js = scalar wasm, bit for bit, on random models of every op (Node, through the provider option)', async () => {
    const { kernelProvider } = await import(buildWasm2js());
    const [wasm2js, scalar] = await Promise.all([loadKernels({ provider: kernelProvider }), loadKernels({ wasm: { scalar: wasmBytes('scalar') }, backend: 'scalar' })]);
    const rand = makeRng(BASE_SEED);
    const models = [...ALL_OPS.flatMap((op) => [singleOpModel(rand, op), singleOpModel(rand, op)]), ...Array.from({ length: 30 }, () => randomModel(rand))];
    const opsSeen = new Set<string>();
    for (const [i, m] of models.entries()) {
      const bytes = writeBxn(m.model);
      const a = loadModelSync(bytes, wasm2js), b = loadModelSync(bytes, scalar);
      for (let r = 0; r < 2; r++) {
        const input = m.input();
        const got = a.run(input), want = b.run(input);
        const what = `model ${i} (seed ${BASE_SEED}) [${m.model.layers.map((l) => l.op).join(' → ')}] run ${r}`;
        expect(got.length, what).toBe(want.length);
        for (let j = 0; j < want.length; j++) if (!Object.is(got[j], want[j])) expect.fail(`${what}: output[${j}] ${got[j]} (wasm2js) vs ${want[j]} (wasm)`);
      }
      m.model.layers.forEach((l) => opsSeen.add(l.op));
      a.dispose(); b.dispose();
    }
    expect([...opsSeen].sort()).toEqual([...ALL_OPS].sort());
  });

  it('each kernelProvider() has its own memory (wasm2js keeps bufferView at module level; the build wraps it)', async () => {
    const { kernelProvider } = await import(buildWasm2js());
    const { exports: a, memory: memA } = kernelProvider(), { exports: b, memory: memB } = kernelProvider();
    expect(memA).not.toBe(memB);
    const heap = a.heapBase();
    new Uint32Array(memA.buffer, heap, 1)[0] = 0b101;
    a.unpackSigns(heap, heap + 64, 1, 3);
    expect(Array.from(new Float32Array(memA.buffer, heap + 64, 3))).toEqual([-1, 1, -1]);
    expect(new Float32Array(memB.buffer, heap + 64, 3).every((v) => v === 0)).toBe(true);
    // b grows (a new buffer, a new module-level bufferView in raw wasm2js); a's memory.copy must still hit a's memory.
    memB.grow(1);
    new Uint32Array(memA.buffer, heap + 256, 4).set([1, 2, 3, 4]);
    a.bconv2dPackWeights(heap + 256, 32, 1, 1, 4, heap + 512); // a memory.copy on the scalar build
    expect(Array.from(new Uint32Array(memA.buffer, heap + 512, 4))).toEqual([1, 2, 3, 4]);
    expect(new Uint32Array(memB.buffer, heap + 512, 4).every((v) => v === 0)).toBe(true);
    expect(memB.buffer.byteLength).toBe(memA.buffer.byteLength + 65536);
  });

  it("QuickJS's TextDecoder stand-in decodes and rejects exactly what TextDecoder('utf-8', { fatal: true }) does", () => {
    const rand = rng(BASE_SEED);
    const real = new TextDecoder('utf-8', { fatal: true }), ours = new Utf8Decoder('utf-8', { fatal: true });
    const outcome = (d: { decode(b: Uint8Array): string }, bytes: Uint8Array) => { try { return d.decode(bytes); } catch { return 'THREW'; } };
    const crafted = [[0xef, 0xbb, 0xbf, 0x7b, 0x7d], [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf0, 0x9f, 0x98], [0x80], [0xe2, 0x82, 0xac],
      [0xf0, 0x9f, 0x98, 0x80], [0xc3, 0xa9, 0xff], [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], []].map((a) => new Uint8Array(a));
    const valid = Array.from({ length: 200 }, () => new TextEncoder().encode(Array.from({ length: 1 + Math.floor(rand() * 12) }, () => String.fromCodePoint(Math.floor(rand() ** 3 * 0x10ffff) & ~0x800)).join('')));
    const noise = Array.from({ length: 2000 }, () => Uint8Array.from({ length: 1 + Math.floor(rand() * 6) }, () => (rand() < 0.5 ? 0x80 + Math.floor(rand() * 0x80) : Math.floor(rand() * 256))));
    let threw = 0;
    for (const bytes of [...crafted, ...valid, ...noise]) {
      const want = outcome(real, bytes);
      if (want === 'THREW') threw++;
      expect(outcome(ours, bytes), `bytes ${Array.from(bytes, (b) => b.toString(16))}`).toBe(want);
    }
    expect(threw).toBeGreaterThan(100); // the noise really exercised the rejections
    expect(new Utf8Decoder('utf-8', { fatal: true, ignoreBOM: true }).decode(crafted[0])).toBe(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(crafted[0]));
  });

  it('the wasm2js build is plain JS of the stated size, with every kernel the sdk calls', () => {
    const source = readFileSync(buildWasm2js(), 'utf8');
    expect(source).not.toMatch(/WebAssembly/);
    expect(source.length).toBeLessThan(64 * 1024);
    const names = [...new Set(OPS.flatMap((op) => op.kernels)), 'heapBase', 'memory'];
    expect(names).toContain('maxPool2dBitsFlip'); // the registry's list, not a copy
    for (const name of names) expect(source, `wasm2js exports ${name}`).toContain(`"${name}"`);
  });
});
