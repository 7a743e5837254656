import { describe, expect, it } from 'vitest';
import { splitPerClass, pickClasses } from '../tools/data/dataset.js';
import { loadQuickdraw, quickdrawCategories } from '../tools/data/quickdraw.js';
import { loadMnist } from '../tools/data/mnist.js';

describe('per-class seeded split', () => {
  const classes = ['a', 'b', 'c'];
  // image i of class c carries its identity in pixel 0
  const perClass = classes.map((_, c) => Array.from({ length: 100 }, (_, i) => [c * 1000 + i, 0, 0, 0]));
  const ids = (x: Float32Array) => Array.from({ length: x.length / 4 }, (_, i) => x[i * 4]);

  it('is deterministic, disjoint, complete and 80/20 per class', () => {
    const a = splitPerClass('t', classes, perClass, [2, 2, 1], { seed: 5 });
    const b = splitPerClass('t', classes, perClass, [2, 2, 1], { seed: 5 });
    expect(ids(a.train.x)).toEqual(ids(b.train.x));
    expect(ids(a.test.x)).toEqual(ids(b.test.x));
    const tr = new Set(ids(a.train.x)), te = new Set(ids(a.test.x));
    for (const i of te) expect(tr.has(i)).toBe(false);
    expect(tr.size + te.size).toBe(300);
    for (let c = 0; c < 3; c++) {
      expect(Array.from(a.train.y).filter((y) => y === c).length).toBe(80);
      expect(Array.from(a.test.y).filter((y) => y === c).length).toBe(20);
    }
    const other = splitPerClass('t', classes, perClass, [2, 2, 1], { seed: 6 });
    expect(ids(other.test.x)).not.toEqual(ids(a.test.x));
  });

  it("a class's split does not depend on which other classes are loaded", () => {
    const all = splitPerClass('t', classes, perClass, [2, 2, 1], { seed: 5 });
    const one = splitPerClass('t', ['b'], [perClass[1]], [2, 2, 1], { seed: 5 });
    expect(ids(one.test.x)).toEqual(ids(all.test.x).filter((v) => v >= 1000 && v < 2000));
  });

  it('picks evenly spaced class subsets', () => {
    expect(pickClasses(['a', 'b', 'c', 'd'], 2)).toEqual(['a', 'c']);
    expect(pickClasses(['a', 'b'], undefined)).toEqual(['a', 'b']);
  });
});

describe('loaders', () => {
  it('quickdraw: 345 categories, subset of 4 gives 320/80 images in [0, 1]', () => {
    expect(quickdrawCategories().length).toBe(345);
    const d = loadQuickdraw({ classes: 4 });
    expect(d.train.n).toBe(320);
    expect(d.test.n).toBe(80);
    expect(d.train.x.length).toBe(320 * 784);
    let lo = Infinity, hi = -Infinity;
    for (const v of d.train.x) { if (v < lo) lo = v; if (v > hi) hi = v; }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi).toBeGreaterThan(0.5);
    expect(Array.from(loadQuickdraw({ classes: 4 }).test.x.slice(0, 2000))).toEqual(Array.from(d.test.x.slice(0, 2000)));
  });

  it('mnist: 10,000 digits split 8,000 / 2,000', () => {
    const d = loadMnist();
    expect(d.train.n + d.test.n).toBe(10000);
    expect(d.classes.length).toBe(10);
    expect(Math.abs(d.test.n - 2000)).toBeLessThanOrEqual(5);
  }, 20000);
});
