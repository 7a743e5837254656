// The one table of Node entry points: `npm run build` (tools/build.mjs) bundles each
// into dist/NAME.mjs, every npm script runs a bundle, and code that starts another
// entry (the CLI's bench, the training workers, experiment jobs) finds it here by name.
// Where files are: this module sits in tools/ and is bundled into dist/*.mjs, both
// one level below the repository root, so `../` from import.meta.url is the root
// in the source tree (tests) and in every bundle alike.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ENTRIES = {
  cli: { source: 'tools/cli.ts', what: 'the bexnet command (bin/bexnet.js)' },
  quickstart: { source: 'tools/quickstart.ts', what: 'npm run quickstart' },
  'bench-kernels': { source: 'tools/bench/kernels.ts', what: 'npm run bench:kernels, bexnet bench kernels' },
  'bench-models': { source: 'tools/bench/models.ts', what: 'npm run bench:models' },
  fuzz: { source: 'tools/fuzz.ts', what: 'npm run fuzz' },
  soak: { source: 'tools/soak.ts', what: 'npm run soak' },
  'train-bench': { source: 'tools/train/bench.ts', what: 'npm run train:bench' },
  'train-quick': { source: 'tools/train/quick-experiment.ts', what: 'npm run train:quick' },
  'experiment-binarization': { source: 'tools/train/experiment-binarization.ts', what: 'npm run experiment:binarization (and its jobs)' },
  'experiment-expander': { source: 'tools/train/experiment-expander.ts', what: 'npm run experiment:expander (and its jobs)' },
  'experiment-hybrid': { source: 'tools/train/experiment-hybrid.ts', what: 'npm run experiment:hybrid (and its jobs)' },
  'expander-reach': { source: 'tools/train/expander-reach.ts', what: 'npm run expander:reach' },
  'tune-recipe': { source: 'tools/train/tune-recipe.ts', what: 'npm run tune:recipe (and its jobs)' },
  'train-worker': { source: 'tools/train/worker.ts', what: 'a data-parallel training replica (tools/train/parallel.ts)' },
};

const root = new URL('../', import.meta.url);

/** esbuild entry points (name → absolute source path) of a table; a listed source that does not exist throws. */
export function entryPoints(entries = ENTRIES) {
  const missing = Object.values(entries).filter((e) => !existsSync(new URL(e.source, root)));
  if (missing.length) throw new Error(`tools/entries.mjs lists missing sources: ${missing.map((e) => e.source).join(', ')}`);
  return Object.fromEntries(Object.entries(entries).map(([name, e]) => [name, fileURLToPath(new URL(e.source, root))]));
}

/** file: URL of the bundle of entry `name` (dist/NAME.mjs). */
export function entryUrl(name) {
  if (!Object.hasOwn(ENTRIES, name)) throw new Error(`unknown entry '${name}' (tools/entries.mjs lists: ${Object.keys(ENTRIES).join(', ')})`);
  return new URL(`dist/${name}.mjs`, root);
}

/** file: URL of a kernel build output (build/FILE). */
export function buildUrl(file) {
  return new URL(`build/${file}`, root);
}

/** file: URL of a path relative to the repository root. */
export function rootUrl(path) {
  return new URL(path, root);
}
