// The npm package as a user installs it: packed, installed offline into an empty
// folder, then used the ways the README says: the README's example (ESM, zero-config
// kernels), require() (CJS), bexnet/testing, TypeScript consumers (ESM and CJS, the
// types must reject a wrong call), an esbuild-bundled app, and the bexnet command.
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../sdk/index.js';
import { mulberry32 } from '../sdk/prng.js';
import { nodeKernelOptions } from '../tools/node-kernels.js';
import { packAndInstall } from '../tools/pack.mjs';
import { README_SNIPPET } from './sdk.readme.test.js';
import { BASE_SEED } from './support/rng.js';

const exec = promisify(execFile);
const MODEL = 'tools/examples/sketch-dabn.bxn';
const rng = mulberry32(BASE_SEED + 31);
const pixels = Array.from({ length: 784 }, () => (rng() < 0.15 ? 1 : 0));
const tsc = join(process.cwd(), 'node_modules/typescript/bin/tsc');
let pkg: ReturnType<typeof packAndInstall>;
let expected: { top3: string[]; top1: string };

const node = (cwd: string, file: string) => exec(process.execPath, [file], { cwd, encoding: 'utf8' });

beforeAll(async () => {
  pkg = packAndInstall();
  copyFileSync(MODEL, join(pkg.app, 'model.bxn'));
  const model = await loadModel(readFileSync(MODEL), nodeKernelOptions());
  const top = model.classify(pixels, 3);
  expected = { top3: top.map((p) => p.label), top1: top[0].label };
}, 120_000);
afterAll(() => rmSync(pkg.dir, { recursive: true, force: true }));

describe('the packed npm package', () => {
  it('holds the sdk builds, types, both kernel builds and the CLI, and no sources or tests', () => {
    for (const f of ['dist/sdk.mjs', 'dist/sdk.cjs', 'dist/sdk.inline.mjs', 'dist/testing.mjs', 'dist/testing.cjs', 'dist/types/index.d.ts',
      'dist/types-cjs/index.d.ts', 'build/bexnet.simd.wasm', 'build/bexnet.simd-core.wasm', 'build/bexnet.scalar.wasm', 'build/bexnet.scalar-core.wasm', 'bin/bexnet.js', 'dist/cli.mjs', 'package.json'])
      expect(pkg.files, f).toContain(f);
    expect(pkg.files.filter((f) => /^(sdk|tools|test|assembly)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(pkg.app, 'node_modules/bexnet/package.json'), 'utf8'));
    expect(manifest.private).toBeUndefined();
    expect(manifest.dependencies ?? {}).toEqual({}); // tfjs and the data sets are optional peers of the tools
  });

  it("runs the README's example as written, finding its kernels with no option", async () => {
    writeFileSync(join(pkg.app, 'example.mjs'), `const pixels = ${JSON.stringify(pixels)};\n${README_SNIPPET}\n`);
    const { stdout } = await node(pkg.app, 'example.mjs');
    for (const label of expected.top3) expect(stdout).toContain(`label: '${label}'`);
    expect(stdout).toContain(`simd: WebAssembly SIMD detected; kernels file://${pkg.app}/node_modules/bexnet/build/bexnet.simd-core.wasm`);
  });

  it('require() gives the CommonJS build, and bexnet/testing enforces a budget', async () => {
    writeFileSync(join(pkg.app, 'cjs.cjs'), `
      const { readFileSync } = require('node:fs');
      const { loadModel, BxnFormatError } = require('bexnet');
      const { expectWithinBudget, BudgetExceededError } = require('bexnet/testing');
      (async () => {
        const bytes = readFileSync('model.bxn');
        const model = await loadModel(bytes, { backend: 'scalar' });
        const out = { top1: model.classify(${JSON.stringify(pixels)}, 1)[0].label, reason: model.info().backendReason };
        out.within = (await expectWithinBudget(bytes, { maxKb: bytes.length / 1024 }, { runs: 3, warmup: 1 })).sizeBytes;
        out.over = await expectWithinBudget(bytes, { maxKb: (bytes.length - 1) / 1024 }, { runs: 3, warmup: 1 }).then(() => 'passed', (e) => e instanceof BudgetExceededError && e.message);
        out.bad = await loadModel(bytes.subarray(0, 100)).then(() => 'loaded', (e) => e instanceof BxnFormatError && e.code);
        console.log(JSON.stringify(out));
      })();`);
    const out = JSON.parse((await node(pkg.app, 'cjs.cjs')).stdout);
    expect(out.top1).toBe(expected.top1);
    expect(out.reason).toBe(`scalar: requested (backend: 'scalar'); kernels file://${pkg.app}/node_modules/bexnet/build/bexnet.scalar-core.wasm`);
    expect(out.within).toBe(readFileSync(MODEL).length);
    expect(out.over).toMatch(/^model over budget: size [\d.]+ KiB > [\d.]+ KiB \(--max-kb\)$/);
    expect(out.bad).toBe('truncated');
  });

  it('its types check a TypeScript consumer (ESM and CJS) and reject a wrong call', async () => {
    const use = `
      const model: BexnetModel = await loadModel(new Uint8Array(0), { backend: 'simd', maxMacs: 1e6 });
      const top: Prediction[] = model.classify(new Float32Array(784), 3);
      const info: ModelInfo = model.info();
      const reason: string = info.backendReason;
      const m = await expectWithinBudget(new Uint8Array(0), { maxKb: 104, maxMs: 2 });
      const ms: number = m.medianMs + top[0].score + reason.length;`;
    writeFileSync(join(pkg.app, 'consumer.mts'), `import { loadModel, type BexnetModel, type ModelInfo, type Prediction } from 'bexnet';
      import { expectWithinBudget } from 'bexnet/testing';\n${use}\nexport { ms };\n`);
    writeFileSync(join(pkg.app, 'consumer.cts'), `import { loadModel, type BexnetModel, type ModelInfo, type Prediction } from 'bexnet';
      import { expectWithinBudget } from 'bexnet/testing';\nexport async function f() {${use}\nreturn ms; }\n`);
    writeFileSync(join(pkg.app, 'wrong.mts'), `import { loadModel } from 'bexnet';\nconst model = await loadModel(new Uint8Array(0));\nmodel.classify('not pixels', 3);\nexport {};\n`);
    // Node's own resolution (nodenext), no @types, and the package's .d.ts checked too (no skipLibCheck).
    const tsconfig = (files: string[]) => JSON.stringify({ compilerOptions: { noEmit: true, strict: true, module: 'nodenext', moduleResolution: 'nodenext',
      target: 'es2022', lib: ['es2022', 'dom'], types: [] }, files });
    writeFileSync(join(pkg.app, 'tsconfig.json'), tsconfig(['consumer.mts', 'consumer.cts']));
    writeFileSync(join(pkg.app, 'tsconfig.wrong.json'), tsconfig(['wrong.mts']));
    await exec(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: pkg.app, encoding: 'utf8' });
    const wrong = await exec(process.execPath, [tsc, '-p', 'tsconfig.wrong.json'], { cwd: pkg.app, encoding: 'utf8' }).then(() => null, (e) => e.stdout as string);
    expect(wrong).toMatch(/wrong\.mts\(3,16\): error TS2345: Argument of type 'string' is not assignable to parameter of type 'ModelInput'/);
  });

  it('an esbuild-bundled app runs on its own: bexnet/inline with zero config; bexnet without its wasm fails with wasm_not_found', async () => {
    const app = (entry: string) => `import { readFileSync } from 'node:fs';
      import { loadModel } from '${entry}';
      loadModel(readFileSync(process.argv[2])).then(
        (m) => console.log(JSON.stringify({ top1: m.classify(${JSON.stringify(pixels)}, 1)[0].label, reason: m.info().backendReason })),
        (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`;
    const out = join(pkg.dir, 'bundled');
    mkdirSync(out);
    for (const [name, entry] of [['inline', 'bexnet/inline'], ['default', 'bexnet']]) {
      writeFileSync(join(pkg.app, `${name}.mjs`), app(entry));
      await build({ entryPoints: [join(pkg.app, `${name}.mjs`)], bundle: true, minify: true, platform: 'node', format: 'esm', outfile: join(out, `${name}.mjs`), logLevel: 'silent' });
    }
    // The bundles sit outside the app folder: nothing under node_modules is reachable from them.
    cpSync(MODEL, join(out, 'model.bxn'));
    const runBundle = async (name: string) => JSON.parse((await exec(process.execPath, [`${name}.mjs`, 'model.bxn'], { cwd: out, encoding: 'utf8' })).stdout);
    expect(await runBundle('inline')).toEqual({ top1: expected.top1, reason: 'simd: WebAssembly SIMD detected; kernels inlined in this module' });
    const def = await runBundle('default');
    expect(def.code).toBe('wasm_not_found');
    expect(def.message).toMatch(/bexnet\/inline/);
  });

  it('the bexnet command inspects a model without tfjs installed, and train names the package it lacks', async () => {
    const bin = join(pkg.app, 'node_modules/.bin/bexnet');
    const { stdout } = await exec(bin, ['inspect', 'model.bxn'], { cwd: pkg.app, encoding: 'utf8' });
    expect(stdout).toMatch(/^sketch-dabn \(bexnet tools\/export\), format 1\.0, input 28x28x1, 40 outputs/);
    expect(stdout).toMatch(/\bbconv2d\b/);
    const train = await exec(bin, ['train', '--data', 'quickdraw', '--model', 'sketchnet', '--binarize', 'dabn', '--epochs', '1', '--out', 'm'], { cwd: pkg.app, encoding: 'utf8' })
      .then(() => null, (e) => e);
    expect(train.code).toBe(2);
    expect(train.stderr.trim()).toMatch(/^bexnet train: needs the npm package '(@tensorflow\/tfjs[-a-z]*|quickdraw\.js|mnist)', a dependency of bexnet's training tools, not of the sdk: npm install \S+$/);
  });
});
