// Builds the kernels: one AssemblyScript source, three wasm files (SIMD, scalar,
// debug), then wasm-opt from the `binaryen` package on the release builds; and
// bundles every Node entry point of tools/entries.mjs into dist/ with esbuild.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { entryPoints } from './entries.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

mkdirSync(join(root, 'build'), { recursive: true });
for (const target of ['simd', 'scalar', 'debug']) {
  run(bin('asc'), ['assembly/index.ts', '--config', 'asconfig.json', '--target', target]);
}
// Training-only kernels (tools/train/wasm-kernels.ts), kept out of the sdk's wasm.
run(bin('asc'), ['assembly/training.ts', '--config', 'asconfig.json', '--target', 'train']);
// -O3 again with binaryen's newest passes; features must match what asc emitted.
run(bin('wasm-opt'), ['-O3', '--enable-simd', '--enable-bulk-memory', '--enable-sign-ext', '--enable-nontrapping-float-to-int', '--enable-mutable-globals',
  'build/bexnet.simd.wasm', '-o', 'build/bexnet.simd.wasm']);
run(bin('wasm-opt'), ['-O3', '--enable-simd', '--enable-bulk-memory', '--enable-sign-ext', '--enable-nontrapping-float-to-int', '--enable-mutable-globals',
  'build/bexnet.train.wasm', '-o', 'build/bexnet.train.wasm']);
run(bin('wasm-opt'), ['-O3', '--enable-bulk-memory', '--enable-sign-ext', '--enable-nontrapping-float-to-int', '--enable-mutable-globals',
  'build/bexnet.scalar.wasm', '-o', 'build/bexnet.scalar.wasm']);

// Node entry points (CLI, benchmarks, long scripts, training workers), bundled so
// they run on plain `node`; a listed source that does not exist is an error.
await build({
  entryPoints: entryPoints(),
  outdir: join(root, 'dist'), outExtension: { '.js': '.mjs' },
  bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning',
});

// The sdk for package consumers (`import { loadModel } from 'bexnet/sdk'`): one
// platform-neutral ES module, no Node built-ins (test/sdk.bundle.test.ts checks the source).
await build({
  entryPoints: { sdk: 'sdk/index.ts' }, outdir: join(root, 'dist'), outExtension: { '.js': '.mjs' },
  bundle: true, platform: 'neutral', format: 'esm', target: 'es2020', minify: true, sourcemap: true, logLevel: 'warning',
});

for (const f of ['simd', 'scalar', 'debug', 'train']) {
  console.log(`build/bexnet.${f}.wasm ${statSync(join(root, 'build', `bexnet.${f}.wasm`)).size} bytes`);
}
