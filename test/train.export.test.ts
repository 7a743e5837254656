// The exporter's output, byte for byte: fixed tiny sketchnets (every block order,
// float-input and binary last-layer choices, every float encoding) with seeded
// random weights and batch-norm statistics, exported and hashed. The hashes in
// train.export.golden.json were written by the exporter before it was split into
// a grouping pass and per-block emitters (BEXNET_WRITE_GOLDEN=1 rewrites them);
// a refactor of tools/export must leave every byte unchanged. Rewritten on purpose
// since: bn-sign-conv-pool blocks pool on bits (the xnor, dabn, float-input conv4/conv5
// and binary-last models changed), then the first conv writes its sign bits itself
// (every binary model changed; the float model's bytes stayed).
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../sdk/prng.js';
import { exportModel, type FloatEncoding } from '../tools/export/export.js';
import { sketchNet, type ModelOptions } from '../tools/train/models.js';

const GOLDEN = new URL('./train.export.golden.json', import.meta.url);
const MODELS: Record<string, ModelOptions> = {
  float: { variant: 'float', classes: 5 },
  xnor: { variant: 'xnor', classes: 5 },
  dabn: { variant: 'dabn', classes: 5 },
  'dabn conv-bn-pool-sign': { variant: 'dabn', classes: 5, blockOrder: 'conv-bn-pool-sign' },
  'xnor conv-bn-pool-sign': { variant: 'xnor', classes: 5, blockOrder: 'conv-bn-pool-sign' },
  'dabn conv ReLU': { variant: 'dabn', classes: 5, convRelu: true },
  'dabn weights-only': { variant: 'dabn', classes: 5, floatInputs: 'all' },
  'xnor float inputs conv4 conv5': { variant: 'xnor', classes: 5, floatInputs: ['conv4', 'conv5'] },
  'dabn binary last': { variant: 'dabn', classes: 5, lastLayer: 'binary' },
  'dabn binary-weights last': { variant: 'dabn', classes: 5, lastLayer: 'binary', floatInputs: ['conv6'] },
};
const ENCODINGS: FloatEncoding[] = ['f32', 'f16', 'int8'];

/** Seeded weights everywhere; batch-norm variances positive, gammas of both signs. */
function randomizeWeights(model: tf.LayersModel, seed: number) {
  const rng = mulberry32(seed);
  model.setWeights(model.weights.map((w) => {
    const name = w.originalName;
    const shape = w.shape as number[];
    const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
      const u = rng() * 2 - 1;
      return name.endsWith('moving_variance') ? 0.05 + rng() : name.endsWith('gamma') ? u * 1.5 : 0.8 * u;
    });
    return tf.tensor(values, shape);
  }));
}

function hashes(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [title, opts] of Object.entries(MODELS)) {
    const model = sketchNet({ ...opts, width: 0.25, seed: 7 });
    randomizeWeights(model, 11);
    for (const floatEncoding of ENCODINGS) {
      const { bytes } = exportModel(model, { labels: ['a', 'b', 'c', 'd', 'e'], name: title, floatEncoding });
      out[`${title} / ${floatEncoding}`] = `${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`;
    }
    model.dispose();
  }
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('exporter output is byte-identical to the golden files', () => {
  it('every model and encoding', () => {
    const got = hashes();
    if (process.env.BEXNET_WRITE_GOLDEN) writeFileSync(GOLDEN, JSON.stringify(got, null, 1) + '\n');
    const want = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Record<string, string>;
    expect(Object.keys(got).length).toBe(Object.keys(MODELS).length * ENCODINGS.length);
    expect(got).toEqual(want);
  });
});
