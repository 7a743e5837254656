// The kernels the sdk ships: one list, the exports of bexnet.{simd,scalar}.wasm: the
// core kernels (core.ts, also built alone as bexnet.{simd,scalar}-core.wasm) plus the
// X-Net kernels. The plain references the tests compare
// against, and the probes only tests and benchmarks call, are added by full.ts (the
// *-full builds and the debug build), so the wasm a page downloads carries none of them.
// Contract: EXPORTS.md; conventions: ../ARCHITECTURE.md.
export * from "./core";
export {
  xconv2d, xconv2dScratchBytes, xdense, xconv2dBinaryWeights, xconv2dBinaryWeightsScratchBytes, xbconv2d, xbconv2dScratchBytes, xbconv2dPackedBytes, xbconv2dPackWeights,
} from "./xconv";
