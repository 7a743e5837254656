// Builds the kernels: one AssemblyScript source, three wasm files (SIMD, scalar,
// debug), then wasm-opt from the `binaryen` package on the release builds; and
// bundles every Node entry point of tools/entries.mjs into dist/ with esbuild.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { entryPoints } from './entries.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

mkdirSync(join(root, 'build'), { recursive: true });
// The shipped builds export the sdk's kernels only (assembly/index.ts), the -core builds the
// subset zero-config loading fetches for models that need no more (assembly/core.ts); the
// -full builds and the debug build add the references and probes tests and benchmarks call (assembly/full.ts).
for (const target of ['simd', 'scalar']) run(bin('asc'), ['assembly/index.ts', '--config', 'asconfig.json', '--target', target]);
for (const target of ['simd', 'scalar']) run(bin('asc'), ['assembly/core.ts', '--config', 'asconfig.json', '--target', `${target}-core`]);
for (const target of ['simd-full', 'scalar-full', 'debug']) run(bin('asc'), ['assembly/full.ts', '--config', 'asconfig.json', '--target', target]);
// Training-only kernels (tools/train/wasm-kernels.ts), kept out of the sdk's wasm.
run(bin('asc'), ['assembly/training.ts', '--config', 'asconfig.json', '--target', 'train']);
// -O3 again with binaryen's newest passes; features must match what asc emitted.
const features = ['--enable-bulk-memory', '--enable-sign-ext', '--enable-nontrapping-float-to-int', '--enable-mutable-globals'];
for (const f of ['simd', 'simd-core', 'simd-full', 'train']) run(bin('wasm-opt'), ['-O3', '--enable-simd', ...features, `build/bexnet.${f}.wasm`, '-o', `build/bexnet.${f}.wasm`]);
for (const f of ['scalar', 'scalar-core', 'scalar-full']) run(bin('wasm-opt'), ['-O3', ...features, `build/bexnet.${f}.wasm`, '-o', `build/bexnet.${f}.wasm`]);

// Node entry points (CLI, benchmarks, long scripts, training workers), bundled so
// they run on plain `node`; a listed source that does not exist is an error. Split
// into chunks so a command's dependencies (tfjs for train/export) load only when it runs.
const dist = join(root, 'dist');
for (const stale of ['types', 'types-cjs']) rmSync(join(dist, stale), { recursive: true, force: true });
for (const f of existsSync(dist) ? readdirSync(dist) : []) if (f.startsWith('_')) rmSync(join(dist, f));
await build({
  entryPoints: entryPoints(),
  outdir: dist, outExtension: { '.js': '.mjs' }, splitting: true, chunkNames: '_[name]-[hash]', // chunks stay in dist/: tools/entries.mjs locates the root as ../
  bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning',
});

// The sdk for package consumers (package.json "exports"), platform-neutral, no Node
// built-ins (test/sdk.bundle.test.ts checks the source):
//   dist/sdk.mjs          ESM: browsers, Deno, Bun, bundlers, Node; kernels found beside it
//   dist/sdk.cjs          CommonJS for Node's require(): import.meta.url from __filename
//   dist/sdk.inline.mjs   one file, both kernel builds inlined (bexnet/inline)
//   dist/testing.{mjs,cjs} bexnet/testing, importing the sdk file beside it (one copy of the error classes)
//   dist/types/           .d.ts of the public API (types-cjs/: the same, typed as CommonJS)
const sdkBuild = { bundle: true, platform: 'neutral', target: 'es2020', minify: true, logLevel: 'warning', outdir: dist };
const sdkFromTesting = (file) => ({
  name: 'testing-imports-the-sdk',
  setup(b) { b.onResolve({ filter: /^\.\/index\.js$/ }, (a) => (a.importer.endsWith('testing.ts') ? { path: file, external: true } : undefined)); },
});
const inlineKernels = {
  name: 'inline-kernels',
  setup(b) { b.onResolve({ filter: /\/default-kernels\.js$/ }, (a) => ({ path: join(a.resolveDir, 'default-kernels.inline.ts') })); },
};
const cjs = {
  format: 'cjs', outExtension: { '.js': '.cjs' }, define: { 'import.meta.url': '__bexnetModuleUrl' },
  banner: { js: "var __bexnetModuleUrl = typeof __filename === 'string' ? require('node:url').pathToFileURL(__filename).href : undefined;" },
};
await build({ ...sdkBuild, entryPoints: { sdk: 'sdk/index.ts' }, format: 'esm', outExtension: { '.js': '.mjs' }, sourcemap: true });
await build({ ...sdkBuild, entryPoints: { testing: 'sdk/testing.ts' }, format: 'esm', outExtension: { '.js': '.mjs' }, plugins: [sdkFromTesting('./sdk.mjs')] });
await build({ ...sdkBuild, ...cjs, entryPoints: { sdk: 'sdk/index.ts' } });
await build({ ...sdkBuild, ...cjs, entryPoints: { testing: 'sdk/testing.ts' }, plugins: [sdkFromTesting('./sdk.cjs')] });
await build({ ...sdkBuild, entryPoints: { 'sdk.inline': 'sdk/index.ts' }, format: 'esm', outExtension: { '.js': '.mjs' }, loader: { '.wasm': 'binary' }, plugins: [inlineKernels] });
run(bin('tsc'), ['-p', 'tsconfig.sdk.json']);
cpSync(join(dist, 'types'), join(dist, 'types-cjs'), { recursive: true });
writeFileSync(join(dist, 'types-cjs', 'package.json'), '{ "type": "commonjs" }\n');

for (const f of ['simd', 'simd-core', 'scalar', 'scalar-core', 'simd-full', 'scalar-full', 'debug', 'train']) {
  console.log(`build/bexnet.${f}.wasm ${statSync(join(root, 'build', `bexnet.${f}.wasm`)).size} bytes`);
}
