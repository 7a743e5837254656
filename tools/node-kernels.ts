// Node-side convenience for tools and tests: the kernel wasm files from build/,
// in the form sdk's loadModel takes (the sdk itself never touches the file system).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KernelOptions } from '../sdk/index.js';

/** Finds build/ from the source tree (tools/), a bundle in dist/, or run-ts's cache. */
export function buildFile(name: string): Uint8Array<ArrayBuffer> {
  for (let rel = '../'; rel.length <= 5 * 3; rel += '../') {
    try {
      return new Uint8Array(readFileSync(fileURLToPath(new URL(`${rel}build/${name}`, import.meta.url))));
    } catch { /* try the next location */ }
  }
  throw new Error(`build/${name} not found: run \`npm run build\` first`);
}

export function nodeKernelOptions(): KernelOptions {
  return { wasm: { simd: buildFile('bexnet.simd.wasm'), scalar: buildFile('bexnet.scalar.wasm') } };
}
