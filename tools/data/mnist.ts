// MNIST loader for the `mnist` package: 10,000 digits (src/digits/<d>.json, each
// {data: [...]} with 784 floats per image in [0, 1]), split 80/20 per digit with
// a seeded permutation. Nothing is downloaded.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { pickClasses, splitPerClass, type Dataset } from './dataset.js';

const require = createRequire(import.meta.url);

export function readMnistDigit(d: number): number[][] {
  const dir = dirname(require.resolve('mnist/package.json'));
  const data = (JSON.parse(readFileSync(join(dir, 'src/digits', `${d}.json`), 'utf8')) as { data: number[] }).data;
  const out: number[][] = [];
  for (let i = 0; i + 784 <= data.length; i += 784) out.push(data.slice(i, i + 784));
  return out;
}

export function loadMnist(opts: { classes?: number; seed?: number; testFraction?: number } = {}): Dataset {
  const names = pickClasses(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], opts.classes);
  return splitPerClass('mnist', names, names.map((d) => readMnistDigit(Number(d))), [28, 28, 1], opts);
}
