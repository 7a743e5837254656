// Every shipped kernel (index.ts) plus what only tests and benchmarks call: each
// optimized kernel's plain `...Reference`, bconv2d with a forced inner loop and the
// XOR+popcount ceiling. Builds bexnet.{simd,scalar}-full.wasm and bexnet.debug.wasm;
// the kernel tests run optimized and reference code from one of these instances.
export * from "./index";
export { packSignsReference, packSignsAffineReference } from "./bitpack";
export { bconv2dReference, bconv2dWith, xorPopcntCeiling } from "./bconv";
export { conv2dReference, conv2dBinaryWeightsReference, denseReference, conv2dInt8Reference, denseInt8Reference } from "./conv";
export { depthwiseConv2dReference, depthwiseConv2dInt8Reference } from "./depthwise";
export {
  maxPool2dReference, maxPool2dBitsReference, maxPool2dBitsFlipReference, avgPool2dReference, globalAvgPoolReference,
} from "./pool";
export { scaleShiftReference, addReference } from "./elementwise";
export { xconv2dReference, xdenseReference, xconv2dBinaryWeightsReference, xbconv2dReference } from "./xconv";
