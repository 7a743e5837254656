import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { builtinModules } from 'node:module';

// sdk/ must run on any JS engine with WebAssembly: no Node built-ins, no Node globals.
describe('sdk bundles for platform neutral', () => {
  it('has no Node built-in imports and no Node-only globals', async () => {
    const result = await build({
      entryPoints: ['sdk/index.ts'], bundle: true, platform: 'neutral', format: 'esm', write: false, metafile: true,
      logLevel: 'silent', mainFields: ['module', 'main'],
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.every((p) => p.startsWith('sdk/'))).toBe(true);
    const node = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    for (const input of Object.values(result.metafile.inputs))
      for (const imp of input.imports) expect(node.has(imp.path), `imports ${imp.path}`).toBe(false);
    const code = result.outputFiles[0].text;
    expect(code).not.toMatch(/\brequire\s*\(/);
    expect(code).not.toMatch(/\bprocess\s*\./);
    expect(code).not.toMatch(/\bBuffer\b/);
    expect(code).not.toMatch(/\b__dirname\b|\b__filename\b/);
    console.log(`sdk bundle: ${code.length} bytes unminified, ${inputs.length} files`);
  });

  it('a Node built-in import in sdk/ would fail the build', async () => {
    await expect(build({
      stdin: { contents: "import { readFileSync } from 'fs'; export const x = readFileSync;", resolveDir: 'sdk', loader: 'ts' },
      bundle: true, platform: 'neutral', format: 'esm', write: false, logLevel: 'silent',
    })).rejects.toThrow(/fs/);
  });
});

describe('sdk in a bare JS realm', () => {
  it('loads and runs a model where only ECMAScript, WebAssembly and TextDecoder exist', async () => {
    const { runInNewContext } = await import('node:vm');
    const { writeBxn } = await import('../sdk/format/index.js');
    const { makeRng, model200k, wasmBytes } = await import('./sdk.helpers.js');
    const result = await build({
      entryPoints: ['sdk/index.ts'], bundle: true, platform: 'neutral', format: 'iife', globalName: 'bexnet', write: false, logLevel: 'silent',
    });
    const m = model200k(makeRng(9));
    // No process, Buffer, require, fetch, URL, Response, performance: a plain engine.
    const context = { TextDecoder, TextEncoder, modelBytes: writeBxn(m.model), wasm: wasmBytes('scalar'), pixels: m.input(), out: {} as Record<string, unknown> };
    runInNewContext(result.outputFiles[0].text + `
      out.done = (async () => {
        const model = await bexnet.loadModel(modelBytes, { wasm: { scalar: wasm } });
        out.top = model.classify(pixels, 2);
        out.info = model.info();
        out.missing = [typeof process, typeof Buffer, typeof require, typeof fetch, typeof performance].join(',');
      })();`, context);
    await (context.out as { done: Promise<void> }).done;
    expect(context.out.missing).toBe('undefined,undefined,undefined,undefined,undefined');
    expect((context.out.top as unknown[]).length).toBe(2);
    expect(context.out.info).toMatchObject({ backend: 'scalar', name: 'model-200k' });
  });
});
