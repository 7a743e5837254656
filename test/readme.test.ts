// README tables are rendered from tools/results/*.json, never typed by hand.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { render } from '../tools/render-readme.mjs';
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
      'Example model', 'Runtimes', 'Budgets', 'Demo page', 'Whole-model benchmark', 'Kernel benchmark']) expect(headings, h).toContain(h);
    for (const t of ['payload', 'runtimes', 'binarization', 'binarization_v1', 'models', 'kernels']) expect(readme, t).toContain(`<!-- table:${t} -->`);
  });
  it('result tables match tools/results/*.json', () => {
    expect(render(readme)).toBe(readme);
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
