// README tables are rendered from tools/results/*.json, never typed by hand.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { render } from '../tools/render-readme.mjs';

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  it('starts with the two newcomer commands', () => {
    const head = readme.split('\n').slice(0, 8).join('\n');
    expect(head).toMatch(/npm install && npm run quickstart/);
    expect(head).toMatch(/npm test/);
  });
  it('result tables match tools/results/*.json', () => {
    expect(render(readme)).toBe(readme);
  });
});
