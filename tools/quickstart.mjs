// `npm run quickstart`: the end-to-end story (train float / XNOR / DABN sketch
// nets on QuickDraw, export, run with the sdk, print one table). Training and
// export land with issue 4; until then this says what exists and exits non-zero.
console.error(`bexnet quickstart: training and export are not built yet (issue 4).
What works today: the kernels and their benchmark:
  npm test                 kernels vs tfjs oracle, scalar reference and SIMD build
  npm run bench:kernels    bconv2d / conv2d vs tfjs-backend-wasm, with the XOR+popcount ceiling`);
process.exit(2);
