export * from './dataset.js';
export * from '../../sdk/prng.js';
export { loadQuickdraw, quickdrawCategories, readQuickdrawCategory, type QuickdrawOptions } from './quickdraw.js';
export { loadMnist, readMnistDigit } from './mnist.js';
import type { Dataset } from './dataset.js';
import { loadQuickdraw } from './quickdraw.js';
import { loadMnist } from './mnist.js';

export type DataName = 'quickdraw' | 'mnist';
export const DATASETS: readonly DataName[] = ['quickdraw', 'mnist'];

export function loadDataset(name: DataName, opts: { classes?: number; seed?: number } = {}): Dataset {
  if (name === 'quickdraw') return loadQuickdraw(opts);
  if (name === 'mnist') return loadMnist(opts);
  throw new Error(`unknown dataset '${name}' (expected ${DATASETS.join(' | ')})`);
}
