#!/usr/bin/env node
// Runs a TypeScript entry of tools/ under Node 20 without a build step:
// bundles it with esbuild (packages stay external) into node_modules/.cache/bexnet
// and imports the result. Usage: node tools/train/run-ts.mjs tools/train/bench.ts [args...]
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const entry = process.argv[2];
if (!entry) {
  console.error('usage: node tools/train/run-ts.mjs <entry.ts> [args...]');
  process.exit(2);
}
const outDir = resolve('node_modules/.cache/bexnet/run');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, basename(entry).replace(/\.ts$/, '') + '.mjs');
await build({
  entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20',
  packages: 'external', outfile, sourcemap: 'inline', logLevel: 'warning',
});
process.argv.splice(2, 1);
await import(pathToFileURL(outfile).href);
