// Browser payload: what an app that imports `loadModel` from the packed package bundles
// to with esbuild (minified), plus the wasm it fetches (core or complete build, as its model
// needs), gzip -9; beside it the
// single-file build and the peer (tfjs-core + tfjs-backend-wasm + tfjs-converter, the
// smallest tfjs that loads and runs a converted model on its SIMD wasm).
//   node tools/payload.mjs [--json tools/results/payload.json]
// test/payload.test.ts holds the bexnet row to PAYLOAD_GUARD_BYTES. The target is
// PAYLOAD_TARGET_BYTES (20 KiB); the guard is what it measures today, so any growth fails.
// jsCodeGzip: the app's JS with its literals' text removed, how much of it is messages.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { cpuModel } from '../targets/runners.mjs';
import { packAndInstall } from './pack.mjs';

export const PAYLOAD_TARGET_BYTES = 20 * 1024;
// X-Net support (expander graphs, three X ops, their kernels and the paired binary kernel) added 4.5 KB;
// residual wiring (WIRE, add) 0.8 KB and the binary-weight X op 0.8 KB: 28 KiB; the subset-sum kernel for one-pixel
// float-input layers (2x faster hybrid layers) 0.6 KB; the float X-Conv's gather for graphs over single input
// channels (1.3-1.5x faster on them) 17 B past that: 29,329 B. The core wasm build (no X-Net kernels, fetched
// for models without X-Net layers) took 2.6 KB of wasm off and added 0.3 KB of JS (the choice, and a hint naming
// the build when a model meets the core kernels it cannot run on, and a check of the set loadKernels is asked
// for). X-Net JS loaded only for files that use it
// would be the next step down: the app without the X op descriptors and the graph generator is 2.1 KB gzip
// smaller (measured), but the registry is one static list the synchronous reader validates against.
// Refusing a model over maxFileBytes before it is read whole (Content-Length, a capped streamed read, the size
// of a file: URL, which must be a regular file; before, an endless response grew until the process died)
// 0.35 KB: 27,307 B. (binaryen's shrinkLevel 1 would take 369 B off the core wasm at the same kernel speed, but
// AssemblyScript then builds its smaller, table-free Math.exp, and softmax outputs differ from the complete
// build's in the last bits.)
export const PAYLOAD_GUARD_BYTES = 26 * 1024 + 689;
const root = fileURLToPath(new URL('../', import.meta.url));
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

async function bundle(dir, code) {
  const out = await build({
    stdin: { contents: code, resolveDir: dir, loader: 'js' }, bundle: true, minify: true, platform: 'browser', format: 'esm',
    target: 'es2020', write: false, logLevel: 'silent', nodePaths: [join(dir, 'node_modules')],
  });
  return out.outputFiles[0].contents;
}

/**
 * The code with the text of every string and template literal removed (template
 * expressions kept): what the bundle would weigh with no message text at all.
 */
export function blankLiterals(src) {
  let out = '', i = 0, depth = 0;
  const open = []; // brace depth at each open template expression
  const end = (j) => { if (j >= src.length) throw new Error('unterminated literal'); return j; };
  while (i < src.length) {
    const ch = src[i];
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      while (src[end(j)] !== ch) j += src[j] === '\\' ? 2 : 1;
      out += ch + ch; i = j + 1;
    } else if (ch === '`' || (ch === '}' && open.length && open[open.length - 1] === depth)) {
      if (ch === '}') open.pop();
      out += ch;
      let j = i + 1;
      for (;;) {
        if (src[end(j)] === '\\') j += 2;
        else if (src[j] === '`') { out += '`'; i = j + 1; break; }
        else if (src[j] === '$' && src[j + 1] === '{') { out += '${'; open.push(depth); i = j + 2; break; }
        else j++;
      }
    } else {
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
      out += ch; i++;
    }
  }
  return out;
}

function row(what, js, wasm = []) {
  const wasmBytes = wasm.reduce((s, b) => s + b.length, 0);
  const wasmGzip = wasm.reduce((s, b) => s + gz(b), 0);
  return { what, jsBytes: js.length, jsGzip: gz(js), wasmBytes, wasmGzip, totalGzip: gz(js) + wasmGzip };
}

/** Packs the package, bundles the three apps and returns their rows. */
export async function measurePayload() {
  const pkg = packAndInstall('bexnet-payload-');
  try {
    // The app: fetch a model, classify one drawing; SIMD engines fetch only the SIMD wasm.
    const app = (entry) => `import { loadModel } from '${entry}';
      export async function classify(url, pixels) { return (await loadModel(new URL(url, location.href))).classify(pixels, 5); }`;
    const installed = join(pkg.app, 'node_modules/bexnet');
    const appJs = await bundle(pkg.app, app('bexnet'));
    // Zero-config loading fetches the core build for a model without X-Net layers (the example DABN sketch
    // net; sdk/ops.ts CORE_KERNELS), the complete build for an X-Net: one wasm either way.
    const bexnet = row('bexnet (loadModel, zero-config) + SIMD core wasm: a model without X-Net layers', appJs, [readFileSync(join(installed, 'build/bexnet.simd-core.wasm'))]);
    const bexnetAll = row('the same app + the complete SIMD wasm: an X-Net model', appJs, [readFileSync(join(installed, 'build/bexnet.simd.wasm'))]);
    // How much of the JS is message text: the same bundle with its literals emptied, checked to still parse as a module.
    const code = blankLiterals(new TextDecoder().decode(appJs));
    const codeFile = join(pkg.dir, 'code-only.mjs');
    writeFileSync(codeFile, code);
    execFileSync(process.execPath, ['--check', codeFile]);
    bexnet.jsCodeGzip = gz(Buffer.from(code));
    const inline = row('bexnet/inline (both kernel builds inside)', await bundle(pkg.app, app('bexnet/inline')));
    const tfjs = row('tfjs-core + tfjs-backend-wasm + tfjs-converter + SIMD wasm', await bundle(root, `
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-wasm';
      import { loadGraphModel } from '@tensorflow/tfjs-converter';
      export async function classify(url, pixels) { await tf.setBackend('wasm'); return (await loadGraphModel(url)).predict(tf.tensor(pixels, [1, 28, 28, 1])).data(); }`),
    [readFileSync(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'))]);
    return [bexnet, bexnetAll, inline, tfjs];
  } finally {
    rmSync(pkg.dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await measurePayload();
  for (const r of rows) console.log(`${r.what}: JS ${r.jsBytes} B (${r.jsGzip} gzip) + wasm ${r.wasmBytes} B (${r.wasmGzip} gzip) = ${r.totalGzip} B gzip`);
  const i = process.argv.indexOf('--json');
  if (i > 0) writeFileSync(process.argv[i + 1], JSON.stringify({ rows, targetBytes: PAYLOAD_TARGET_BYTES, guardBytes: PAYLOAD_GUARD_BYTES, cpu: cpuModel(), esbuild: JSON.parse(readFileSync(join(root, 'node_modules/esbuild/package.json'), 'utf8')).version, command: 'node tools/payload.mjs --json tools/results/payload.json' }, null, 2) + '\n');
}
