// The bexnet command: --help everywhere, one clear line and exit 2 for bad
// arguments, and train → export → inspect on bundled data.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../bin/bexnet.js', import.meta.url).pathname;
const bexnet = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr.split('\n').filter((l) => l && !l.startsWith('[bexnet] backend')) };
};

describe('bexnet CLI', () => {
  it('--help lists every command, and every command has --help', () => {
    const top = bexnet('--help');
    expect(top.code).toBe(0);
    for (const c of ['train', 'export', 'inspect', 'bench']) {
      expect(top.out).toContain(c);
      const h = bexnet(c, '--help');
      expect(h.code, c).toBe(0);
      expect(h.out, c).toMatch(new RegExp(`^usage: bexnet ${c}`));
    }
  });

  it('quickstart: a bad option value is one line and exit 2, not a stack trace', () => {
    const qs = new URL('../dist/quickstart.mjs', import.meta.url).pathname;
    for (const args of [['--epochs', '0'], ['--classes', 'many'], ['--bogus']]) {
      const r = spawnSync(process.execPath, [qs, ...args], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: /);
    }
  });

  it('bad arguments: one line, exit 2', () => {
    for (const args of [
      ['frobnicate'],
      ['train', '--data', 'imagenet', '--model', 'sketchnet', '--binarize', 'dabn', '--epochs', '1', '--out', 'x'],
      ['train', '--data', 'mnist', '--model', 'sketchnet', '--binarize', 'dabn', '--epochs', 'zero', '--out', 'x'],
      ['train', '--data', 'mnist', '--model', 'sketchnet', '--binarize', 'dabn', '--epochs', '1'],
      ['train', '--bogus'],
      ['export'],
      ['export', '/nonexistent-dir', '-o', 'x.bxn'],
      ['inspect'],
      ['inspect', '/nonexistent.bxn'],
      ['bench', 'nothing'],
    ]) {
      const r = bexnet(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.length, `${args.join(' ')}: ${r.err.join(' | ')}`).toBe(1);
      expect(r.err[0]).toMatch(/^bexnet/);
    }
  });

  it('a corrupt .bxn gives the format error, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bexnet-cli-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'bad.bxn'), new Uint8Array([0x89, 0x42, 0x58, 0x4e, 1, 2, 3]));
    const r = bexnet('inspect', join(dir, 'bad.bxn'));
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/bad_magic|truncated|magic/);
  });

  it('train → export → inspect on MNIST (2 classes, 1 epoch)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bexnet-cli-'));
    const run = join(dir, 'run');
    const t = bexnet('train', '--data', 'mnist', '--model', 'sketchnet', '--binarize', 'xnor', '--epochs', '1', '--classes', '2',
      '--width', '0.25', '--workers', '1', '--batch', '64', '--out', run);
    expect(t.code, t.err.join('\n')).toBe(0);
    expect(t.out).toMatch(/test top-1 \d+\.\d+%/);
    expect(existsSync(join(run, 'model.json'))).toBe(true);
    const e = bexnet('export', run, '-o', join(dir, 'm.bxn'), '--float-encoding', 'int8');
    expect(e.code, e.err.join('\n')).toBe(0);
    expect(e.out).toMatch(/bconv2d/);
    expect(e.out).toMatch(/wrote .*m\.bxn/);
    const i = bexnet('inspect', join(dir, 'm.bxn'));
    expect(i.code, i.err.join('\n')).toBe(0);
    expect(i.out).toMatch(/arena/);
    expect(statSync(join(dir, 'm.bxn')).size).toBeGreaterThan(1000);
  });
});
