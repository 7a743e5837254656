// The end-to-end check the export tests share: the sdk (SIMD and scalar kernels) on a
// .bxn against tfjs predict on the model it came from, on the same 28x28x1 images.
import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { nodeKernelOptions } from '../../tools/node-kernels';
import { loadModel } from '../../sdk/index';

/** Same argmax on every sample and logits within 1e-4 of the logit range (+1e-5). */
export async function expectSdkAgrees(model: tf.LayersModel, bytes: Uint8Array, images: Float32Array, samples: number, classes: number, label: string) {
  const x = images.subarray(0, samples * 784);
  const want = tf.tidy(() => model.predict(tf.tensor4d(x, [samples, 28, 28, 1])) as tf.Tensor).dataSync() as Float32Array;
  let range = 0;
  for (const v of want) range = Math.max(range, Math.abs(v));
  expect(range, `${label}: tfjs logits are all zero`).toBeGreaterThan(0);
  const argmax = (a: ArrayLike<number>) => Array.prototype.indexOf.call(a, Math.max(...Array.from(a)));
  for (const backend of ['simd', 'scalar'] as const) {
    const m = await loadModel(bytes, { ...nodeKernelOptions(), backend });
    for (let s = 0; s < samples; s++) {
      const got = m.run(x.subarray(s * 784, (s + 1) * 784));
      const ref = want.subarray(s * classes, (s + 1) * classes);
      expect(argmax(got), `${label}/${backend} sample ${s}`).toBe(argmax(ref));
      for (let o = 0; o < classes; o++) expect(Math.abs(got[o] - ref[o]), `${label}/${backend} sample ${s} logit ${o}`).toBeLessThanOrEqual(1e-4 * range + 1e-5);
    }
    m.dispose();
  }
}
