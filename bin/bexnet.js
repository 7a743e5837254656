#!/usr/bin/env node
// The `bexnet` command: a thin launcher for the bundled CLI (built by `npm run build`).
import { existsSync } from 'node:fs';
const cli = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(cli)) {
  console.error('bexnet: dist/cli.mjs is missing; run `npm run build` first');
  process.exit(2);
}
await import(cli.href);
