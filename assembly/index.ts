// The kernels the sdk ships: one list, the exports of bexnet.{simd,scalar}.wasm. The
// plain references the tests compare against, and the probes only tests and benchmarks
// call, are added by full.ts (the *-full builds and the debug build), so the wasm a page
// downloads carries none of them.
// Contract: EXPORTS.md; conventions: ../ARCHITECTURE.md.
export { packSigns, packSignsAffine, unpackSigns } from "./bitpack";
export { bconv2d, bconv2dScratchBytes, bconv2dPackWeights, bconv2dPackedBytes } from "./bconv";
export {
  conv2d, conv2dScratchBytes, conv2dBinaryWeights, conv2dBinaryWeightsScratchBytes, conv2dBinaryWeightsPackedBytes, conv2dBinaryWeightsPackWeights, dense, conv2dInt8, denseInt8,
} from "./conv";
export { depthwiseConv2d, depthwiseConv2dScratchBytes, depthwiseConv2dInt8 } from "./depthwise";
export { maxPool2d, maxPool2dBits, maxPool2dBitsFlip, avgPool2d, globalAvgPool } from "./pool";
export { scaleShift, relu, softmax, add } from "./elementwise";
export {
  xconv2d, xconv2dScratchBytes, xdense, xconv2dBinaryWeights, xconv2dBinaryWeightsScratchBytes, xbconv2d, xbconv2dScratchBytes, xbconv2dPackedBytes, xbconv2dPackWeights,
} from "./xconv";

/** First byte of linear memory the sdk may use; below it is the kernels' static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
