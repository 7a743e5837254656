import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as sdk from '../sdk/index.js';
import { writeBxn } from '../sdk/format/index.js';
import { makeRng, model200k } from './sdk.helpers.js';

/** The README's usage example, verbatim. README.md shows the same five lines. */
export const README_SNIPPET = `import { readFile } from 'node:fs/promises';
import { loadModel } from 'bexnet';
const model = await loadModel(await readFile('model.bxn')); // finds its kernels beside the module
console.log(model.classify(pixels, 3), model.info());`;

describe('README usage example', () => {
  it('runs as written (imports provided, model.bxn generated)', async () => {
    const { model, input } = model200k(makeRng(1));
    const files: Record<string, Uint8Array> = {
      'model.bxn': writeBxn(model),
    };
    const readFile = async (path: string) => files[path] ?? expect.fail(`the snippet read ${path}`);
    const logged: unknown[][] = [];
    const body = README_SNIPPET.split('\n').filter((line) => !line.startsWith('import ')).join('\n');
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
    await new AsyncFunction('readFile', 'loadModel', 'pixels', 'console', body)(
      readFile, sdk.loadModel, input(), { log: (...args: unknown[]) => logged.push(args) });
    const [top, info] = logged[0] as [sdk.Prediction[], sdk.ModelInfo];
    expect(top.length).toBe(3);
    expect(top[0]).toMatchObject({ label: expect.stringMatching(/^class /), index: expect.any(Number), score: expect.any(Number) });
    expect(info).toMatchObject({ name: 'model-200k', backend: 'simd', backendReason: expect.stringMatching(/^simd: WebAssembly SIMD detected; kernels file:.*\/build\/bexnet\.simd-core\.wasm$/), params: expect.any(Number) });
    expect(README_SNIPPET.split('\n').length).toBe(4);
  });

  it('README.md shows exactly this snippet', () => {
    expect(readFileSync(new URL('../README.md', import.meta.url), 'utf8')).toContain(README_SNIPPET);
  });
});
