// Makes the committed example models through the `bexnet` CLI (the same commands a
// user types), so demos, smoke tests and budget tests need no training:
//   npm run build && flock /tmp/bexnet-cpu.lock node tools/examples/make.mjs [NAME ...]
// (no NAME: every example). Seeded (split seed 1234, init and shuffle seed 1): a rerun
// gives the same bytes; about 4.5 minutes each on 2 shared cores.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const here = join(root, 'tools', 'examples');
const bexnet = (...args) => execFileSync(process.execPath, [join(root, 'dist', 'cli.mjs'), ...args], { cwd: root, stdio: 'inherit' });

/**
 * name → training options. The DABN sketch net with a float (int8-stored) last layer; its
 * binary X-Net (conv2-conv5 read a quarter of their inputs through expander graphs, binary
 * classifier), which needs the complete kernel build where the first needs only the core one.
 * Both train with DABN's default recipe and its schedule (test/train.recipes.test.ts holds
 * these names to tools/train/recipes.ts).
 */
export const EXAMPLES = {
  'sketch-dabn': { data: 'quickdraw', model: 'sketchnet', binarize: 'dabn', classes: 40, epochs: 24, seed: 1, recipe: 'dabn-v2' },
  'sketch-xnet-dabn': { data: 'quickdraw', model: 'sketchnet', binarize: 'dabn', classes: 40, epochs: 24, seed: 1, recipe: 'dabn-v2', expander: 4, 'last-layer': 'binary' },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !Object.hasOwn(EXAMPLES, n));
  if (unknown.length) throw new Error(`no example ${unknown.join(', ')}; the examples are ${Object.keys(EXAMPLES).join(', ')}`);
  for (const [name, o] of Object.entries(EXAMPLES).filter(([n]) => names.length === 0 || names.includes(n))) {
    const dir = mkdtempSync(join(tmpdir(), `bexnet-${name}-`));
    try {
      bexnet('train', ...Object.entries(o).flatMap(([k, v]) => [`--${k}`, String(v)]), '--out', dir);
      const out = join(here, `${name}.bxn`);
      bexnet('export', dir, '-o', out, '--float-encoding', 'int8', '--name', name);
      console.log(`${out}: ${statSync(out).size} bytes`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
