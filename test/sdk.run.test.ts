import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, loadModel, loadModelSync, type BxnKernels } from '../sdk/index.js';
import { crc32, readBxn, writeBxn } from '../sdk/format/index.js';
import { referenceRun } from './sdk.reference.js';
import { ALL_OPS, makeRng, randomModel, singleOpModel, wasmBytes, type RandomModel } from './sdk.helpers.js';

const backends = ['simd', 'scalar'] as const;
const kernels: Record<string, BxnKernels> = {};
beforeAll(async () => {
  for (const b of backends) kernels[b] = await loadKernels({ wasm: { [b]: wasmBytes(b) }, backend: b });
});

/** f32 kernels vs the f64 reference: signs agree exactly by construction, floats to rounding. */
function expectClose(got: Float32Array, want: Float32Array, what: string) {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-4 * (1 + Math.abs(want[i]));
    if (!(Math.abs(got[i] - want[i]) <= tol)) expect.fail(`${what}: output[${i}] is ${got[i]}, reference ${want[i]}`);
  }
}

function check(m: RandomModel, seed: number, runs = 2) {
  const bytes = writeBxn(m.model);
  const parsed = readBxn(bytes);
  for (const b of backends) {
    const model = loadModelSync(bytes, kernels[b]);
    const { staticBytes, weightBytes } = model.info();
    const memory = (model as unknown as { memory: WebAssembly.Memory }).memory;
    const frozen = () => crc32(new Uint8Array(memory.buffer), 0, staticBytes + weightBytes);
    const before = frozen();
    for (let r = 0; r < runs; r++) {
      const input = m.input();
      const what = `seed ${seed} ${b} [${m.model.layers.map((l) => l.op).join(' → ')}] run ${r}`;
      expectClose(model.run(input), referenceRun(parsed, input), what);
    }
    expect(frozen(), 'kernels wrote below the arena').toBe(before);
    model.dispose();
  }
}

describe('residual wiring (WIRE)', () => {
  it('a known answer: in-place relu/scaleShift/add never overwrite a value a later layer reads', () => {
    // v1 = relu(x) (in place would destroy x, read again by layer 3); v2 = 2·v1 − 1; v3 = v2 + v1; v4 = relu(x); out = relu(v3 + v4) = relu(4·relu(x) − 1).
    const bytes = writeBxn({
      metadata: { name: 'w', producer: 'test', inputShape: [3, 5, 7], normalization: null, labels: [] },
      layers: [
        { op: 'relu' },
        { op: 'scaleShift', scale: new Float32Array(7).fill(2), shift: new Float32Array(7).fill(-1) },
        { op: 'add', input2: 1 },
        { op: 'relu', input: 0 },
        { op: 'add', input: 3, input2: 4, relu: true },
      ],
    });
    const rand = makeRng(77);
    const x = new Float32Array(105).map(() => rand.dyadic(8, 2));
    const want = x.map((v) => Math.max(4 * Math.max(v, 0) - 1, 0));
    expect(want.some((v) => v > 0) && want.some((v) => v === 0)).toBe(true);
    for (const b of backends) {
      const model = loadModelSync(bytes, kernels[b]);
      expect(Array.from(model.run(x)), b).toEqual(Array.from(want));
      expect(model.info().layers.map((l) => l.inputs)).toEqual([[0], [1], [2, 1], [0], [3, 4]]);
      model.dispose();
    }
  });
});

describe('runtime vs reference executor', () => {
  for (const [k, op] of ALL_OPS.entries()) {
    it(`single ${op} layers (several shapes) match on both backends`, () => {
      for (let i = 0; i < 6; i++) {
        const seed = 1000 + k * 100 + i;
        check(singleOpModel(makeRng(seed), op), seed);
      }
    });
  }

  it('random chains of every kind (binary→binary with thresholds, float first/last) match on both backends', () => {
    for (let seed = 1; seed <= 150; seed++) check(randomModel(makeRng(seed), { maxLayers: 9 }), seed);
  });

  it('async loadModel with bytes per backend and auto detection', async () => {
    const { model } = randomModel(makeRng(5));
    const bytes = writeBxn(model);
    const auto = await loadModel(bytes, { wasm: { simd: wasmBytes('simd'), scalar: wasmBytes('scalar') } });
    expect(auto.info().backend).toBe('simd'); // Node 20 has wasm SIMD
    const scalar = await loadModel(bytes.buffer as ArrayBuffer, { wasm: { scalar: wasmBytes('scalar') }, backend: 'scalar' });
    expect(scalar.info().backend).toBe('scalar');
    const pre = await loadModel(bytes, { wasmModule: new WebAssembly.Module(wasmBytes('simd')), backend: 'simd' });
    expect(pre.info().backend).toBe('simd');
  });
});

describe('kernels write only their planned output and scratch', () => {
  it('step by step on random models, every byte outside output ∪ scratch is unchanged', () => {
    for (let seed = 500; seed < 560; seed++) {
      const m = randomModel(makeRng(seed), { maxLayers: 9 });
      for (const b of backends) {
        const model = loadModelSync(writeBxn(m.model), kernels[b]);
        const internals = model as unknown as { memory: WebAssembly.Memory; steps: (() => void)[]; writeInput(x: unknown): void };
        const mem = new Uint8Array(internals.memory.buffer);
        const layers = model.info().layers;
        internals.writeInput(m.input());
        for (const [i, step] of internals.steps.entries()) {
          const before = mem.slice();
          step();
          const l = layers[i];
          const allowed = (at: number) => (at >= l.outputOffset && at < l.outputOffset + l.outputBytes) ||
            (at >= l.scratchOffset && at < l.scratchOffset + l.scratchBytes);
          for (let at = 0; at < mem.length; at++)
            if (mem[at] !== before[at] && !allowed(at))
              expect.fail(`seed ${seed} ${b}: layer ${i} (${l.kind}) wrote byte ${at}, outside output [${l.outputOffset}, +${l.outputBytes}) and scratch [${l.scratchOffset}, +${l.scratchBytes})`);
        }
      }
    }
  });
});
