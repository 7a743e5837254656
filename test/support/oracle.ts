// The independent oracle: tfjs float ops (cpu backend) on ±1 / α-β data.
import * as tf from '@tensorflow/tfjs';
import type { ConvGeometry } from '../../sdk/layout';

await tf.setBackend('cpu');

/** NHWC conv of x [H,W,C] with w [kh,kw,C,Cout], explicit pads filled with `padValue`. */
export function oracleConv2d(x: Float32Array, h: number, w: number, c: number, weights: Float32Array,
  kh: number, kw: number, cout: number, stride: number, g: ConvGeometry, padValue: number): Float32Array {
  return tf.tidy(() => {
    const input = tf.pad(tf.tensor4d(x, [1, h, w, c]), [[0, 0], [g.padTop, g.padBottom], [g.padLeft, g.padRight], [0, 0]], padValue);
    return tf.conv2d(input, tf.tensor4d(weights, [kh, kw, c, cout]), stride, 'valid').dataSync() as Float32Array;
  });
}

export { tf };
