// The kernel exports: one list, read by the sdk, the tests and the benchmarks.
// Each family exports its optimized entry (SIMD in the SIMD build) and, where
// one exists, the plain `...Reference` it is tested against.
// Contract: EXPORTS.md; conventions: ../ARCHITECTURE.md.
export { packSigns, packSignsReference, packSignsAffine, packSignsAffineReference, unpackSigns } from "./bitpack";
export { bconv2d, bconv2dReference, bconv2dWith, bconv2dScratchBytes, xorPopcntCeiling, bconv2dPackWeights, bconv2dPackedBytes } from "./bconv";
export {
  conv2d, conv2dReference, conv2dScratchBytes,
  conv2dBinaryWeights, conv2dBinaryWeightsReference, conv2dBinaryWeightsScratchBytes,
  dense, denseReference,
  conv2dInt8, conv2dInt8Reference, denseInt8, denseInt8Reference,
} from "./conv";
export { depthwiseConv2d, depthwiseConv2dReference, depthwiseConv2dScratchBytes, depthwiseConv2dInt8, depthwiseConv2dInt8Reference } from "./depthwise";
export {
  maxPool2d, maxPool2dReference, maxPool2dBits, maxPool2dBitsReference, maxPool2dBitsFlip, maxPool2dBitsFlipReference,
  avgPool2d, avgPool2dReference, globalAvgPool, globalAvgPoolReference,
} from "./pool";
export { scaleShift, scaleShiftReference, relu, softmax, argmax } from "./elementwise";

/** First byte of linear memory the sdk may use; below it is the kernels' static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
