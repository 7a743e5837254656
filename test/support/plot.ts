// The check every committed plot script gets: run as a command it writes exactly its
// render function's SVG, and with no results file it writes nothing and does not fail.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export function expectPlotScript(script: URL, data: unknown, render: (data: never) => string): void {
  const dir = mkdtempSync(join(tmpdir(), 'bexnet-plot-'));
  const path = fileURLToPath(script);
  writeFileSync(join(dir, 'r.json'), JSON.stringify(data));
  execFileSync(process.execPath, [path, join(dir, 'r.json'), '--out', join(dir, 'r.svg')], { stdio: 'pipe' });
  expect(readFileSync(join(dir, 'r.svg'), 'utf8')).toBe(render(data as never));
  execFileSync(process.execPath, [path, join(dir, 'missing.json'), '--out', join(dir, 'm.svg')], { stdio: 'pipe' });
  expect(existsSync(join(dir, 'm.svg'))).toBe(false);
}
