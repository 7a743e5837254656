// Faster gradients for training on the wasm backend.
//
// tfjs-core's FusedBatchNorm gradient tiles 1/sqrt(var) to the full activation
// shape (a Tile kernel per BN per step, ~40 ms each at batch 128 on wasm). This
// replacement computes the same derivatives with broadcasting multiplies and
// per-channel sums only. Registered by setupBackend() for every backend.
import * as tf from '@tensorflow/tfjs';

let done = false;

export function registerGradientOverrides(): void {
  if (done) return;
  done = true;
  const prevWarn = console.warn;
  console.warn = () => {}; // registerGradient warns when overriding
  try {
    tf.registerGradient({
      kernelName: 'FusedBatchNorm',
      inputsToSave: ['x', 'mean', 'variance', 'scale'],
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
        const g = dy as tf.Tensor;
        const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
        const [x, mean, variance, scale] = saved;
        const scaleValue = scale ?? tf.scalar(1);
        const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
        const red = (t: tf.Tensor) => tf.reshape(axes.length ? tf.sum(t, axes) : t, mean.shape);
        const invStd = tf.rsqrt(tf.add(variance, tf.scalar(eps)));
        const xMinusMean = tf.sub(x, mean);
        // Shared reductions, computed eagerly like tfjs-core's own gradient (the
        // thunks run in separate tidy scopes, so a lazily cached tensor would be freed).
        const sumDy = red(g);
        const sumDyXm = red(tf.mul(g, xMinusMean));
        const getSumDy = () => sumDy;
        const getSumDyXm = () => sumDyXm;
        return {
          x: () => tf.mul(g, tf.mul(invStd, scaleValue)),
          mean: () => tf.reshape(tf.mul(tf.neg(getSumDy()), tf.mul(invStd, scaleValue)), mean.shape),
          variance: () => tf.reshape(tf.mul(getSumDyXm(), tf.mul(tf.mul(tf.pow(invStd, 3), -0.5), scaleValue)), mean.shape),
          scale: () => tf.reshape(tf.mul(getSumDyXm(), invStd), mean.shape),
          offset: () => tf.clone(getSumDy()),
        };
      },
    });
  } finally {
    console.warn = prevWarn;
  }
}
