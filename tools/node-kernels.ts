// Node-side convenience for tools and tests: the kernel wasm files from build/,
// in the form sdk's loadModel takes (the sdk itself never touches the file system).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KernelOptions } from '../sdk/index.js';
import { buildUrl } from './entries.mjs';

/** A kernel build output from build/ (tools/entries.mjs locates it the same way from sources and bundles). */
export function buildFile(name: string): Uint8Array<ArrayBuffer> {
  const url = buildUrl(name);
  if (!existsSync(url)) throw new Error(`${fileURLToPath(url)} not found: run \`npm run build\` first`);
  return new Uint8Array(readFileSync(url));
}

export function nodeKernelOptions(): KernelOptions {
  return { wasm: { simd: buildFile('bexnet.simd.wasm'), scalar: buildFile('bexnet.scalar.wasm') } };
}
