// The core kernels: every op's kernel except the X-Net ones.
// bexnet.{simd,scalar}-core.wasm export exactly these, and zero-config loading fetches
// that smaller build for a model whose layers need nothing else (sdk/ops.ts
// kernelsNeeded); index.ts adds the rest for the complete builds.
// Contract: EXPORTS.md; conventions: ../ARCHITECTURE.md.
export { packSigns, packSignsAffine, unpackSigns } from "./bitpack";
export { bconv2d, bconv2dScratchBytes, bconv2dPackWeights, bconv2dPackedBytes } from "./bconv";
export {
  conv2d, conv2dScratchBytes, conv2dBinaryWeights, conv2dBinaryWeightsScratchBytes, conv2dBinaryWeightsPackedBytes, conv2dBinaryWeightsPackWeights, dense, conv2dInt8, denseInt8,
} from "./conv";
export { depthwiseConv2d, depthwiseConv2dScratchBytes, depthwiseConv2dInt8 } from "./depthwise";
export { maxPool2d, maxPool2dBits, maxPool2dBitsFlip, avgPool2d, globalAvgPool } from "./pool";
export { scaleShift, relu, softmax, add } from "./elementwise";

/** First byte of linear memory the sdk may use; below it is the kernels' static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
