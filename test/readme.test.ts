// README tables are rendered from tools/results/*.json, never typed by hand.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { render, renderTable } from '../tools/render-readme.mjs';
import { expanderSvg } from '../tools/plot-expander.mjs';
import { hybridSvg } from '../tools/plot-hybrid.mjs';

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  it('starts with the two newcomer commands', () => {
    const head = readme.split('\n').slice(0, 8).join('\n');
    expect(head).toMatch(/npm install && npm run quickstart/);
    expect(head).toMatch(/npm test/);
  });
  it('keeps the sections other pages and the tables point at (a deleted table cannot go stale)', () => {
    const headings = [...readme.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1]);
    for (const h of ['Running a model: the sdk', 'Payload', 'Command line', 'Tests, long scripts and results', 'Training recipe', 'Binarization experiment',
      'Example models', 'Runtimes', 'Budgets', 'Demo page', 'Whole-model benchmark', 'Kernel benchmark']) expect(headings, h).toContain(h);
    for (const t of ['payload', 'runtimes', 'binarization', 'binarization_v1', 'models', 'kernels']) expect(readme, t).toContain(`<!-- table:${t} -->`);
  });
  it('result tables match tools/results/*.json', () => {
    expect(render(readme)).toBe(readme);
  });
  it('the recipe grid averages a config\'s seeds (mean ± sample std, count) and shows one seed as it is', () => {
    const row = (config: string, seed: number, valTop1: number, trainTop1: number) => ({
      dataset: 'quickdraw-345', split: '70 train / 10 validation per class', variant: 'float', config, epochs: 24, optimizer: 'adam', lr: 0.008,
      augmentation: { rotateDeg: 0, scale: 0, shear: 0, shiftPx: 0, dilate: 0, flip: 0 }, labelSmoothing: 0, weightDecay: 0, dropout: 0, mixup: 0, batch: 128,
      seed, valTop1, trainTop1, cpu: 'test CPU',
    });
    const md = renderTable('recipe_tuning', { rows: [row('a', 1, 0.426, 0.877), row('a', 2, 0.432, 0.883), row('a', 3, 0.441, 0.880), row('b', 1, 0.432, 0.919)] });
    // a: mean 43.3, sample std 0.75 → 0.8, train mean 88.0
    expect(md).toMatch(/\| a \| 24 \|.*\| Adam, 0\.008 \| 43\.3% ± 0\.8, 3 seeds \(88%\) \| – \| – \|/);
    expect(md).toMatch(/\| b \| 24 \|.*\| 43\.2% \(92%\) \| – \| – \|/);
    expect(md).toMatch(/seeds 1, 2, 3; 4 runs on test CPU \(4\)/);
  });

  it('every plot the README shows is the committed plot script\'s rendering of its results file', () => {
    const plots: Record<string, (d: unknown) => string> = { expander: expanderSvg, hybrid: hybridSvg };
    const shown = [...readme.matchAll(/!\[[^\]]*\]\(tools\/results\/(\w+)\.svg\)/g)].map((m) => m[1]);
    expect(shown).toContain('expander');
    for (const name of shown) {
      // expander_mobilenet.svg is plot-expander's rendering of expander_mobilenet.json.
      const kind = name.replace(/_.*$/, '');
      expect(Object.keys(plots), name).toContain(kind);
      const data = JSON.parse(readFileSync(new URL(`../tools/results/${name}.json`, import.meta.url), 'utf8'));
      expect(readFileSync(new URL(`../tools/results/${name}.svg`, import.meta.url), 'utf8'), `tools/results/${name}.svg: run node tools/plot-${kind}.mjs tools/results/${name}.json --out tools/results/${name}.svg`).toBe(plots[kind](data));
    }
  });
});
