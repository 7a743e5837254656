// The bexnet command: --help everywhere, one clear line and exit 2 for bad
// arguments, and train → export → inspect on bundled data.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBxn } from '../sdk/format/writer.js';

const bin = new URL('../bin/bexnet.js', import.meta.url).pathname;
const bexnet = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr.split('\n').filter((l) => l && !l.startsWith('[bexnet] backend')) };
};

describe('bexnet CLI', () => {
  it('--help lists every command, and every command has --help', () => {
    const top = bexnet('--help');
    expect(top.code).toBe(0);
    for (const c of ['train', 'export', 'inspect', 'bench', 'plan']) {
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
      ['plan'],
      ['plan', '/nonexistent-dir', '--data', 'quickdraw', '--max-ms', '1'],
      ['plan', '/nonexistent-dir', '--data', 'quickdraw', '--max-ms', '-1'],
    ]) {
      const r = bexnet(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.length, `${args.join(' ')}: ${r.err.join(' | ')}`).toBe(1);
      expect(r.err[0]).toMatch(/^bexnet/);
    }
  });

  it('a corrupt .bxn gives the format error with its code, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bexnet-cli-'));
    const magic = [0x89, 0x42, 0x58, 0x4e, 0x0d, 0x0a, 0x1a, 0x0a];
    for (const [bytes, code] of [
      [[0x89, 0x42, 0x58, 0x4e, 1, 2, 3, 4], 'bad_magic'], // byte 4 of the magic is wrong
      [[...magic, 1, 0, 0, 0], 'truncated'], // the magic, then not the whole header
    ] as const) {
      writeFileSync(join(dir, 'bad.bxn'), new Uint8Array(bytes));
      const r = bexnet('inspect', join(dir, 'bad.bxn'));
      expect(r.code, code).toBe(1);
      expect(r.err, code).toHaveLength(1);
      expect(r.err[0]).toMatch(new RegExp(`^bexnet inspect: ${code}: `));
    }
  });

  it('inspect reports an X-layer\'s density, the MACs it saves and the graph table', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bexnet-cli-'));
    // [6, 6, 32] → xconv2d 3×3 N=16 with D = 8 of 32 (density 25%): 36·16·9·8 MACs, 3× that saved.
    const bytes = writeBxn({
      metadata: { name: 'x', producer: 'test', inputShape: [6, 6, 32], normalization: null, labels: [] },
      expanders: [{ generator: 1, balanced: true, seedLo: 3, seedHi: 0, inChannels: 32, outChannels: 16, degree: 8, inGroup: 8, outGroup: 8 }],
      layers: [{ op: 'xconv2d', kh: 3, kw: 3, stride: 1, padding: 'same', outChannels: 16, graph: 0,
        weights: new Float32Array(9 * 8 * 16).fill(0.5), bias: new Float32Array(16) }],
    });
    writeFileSync(join(dir, 'x.bxn'), bytes);
    const r = bexnet('inspect', join(dir, 'x.bxn'));
    expect(r.code, r.err.join('\n')).toBe(0);
    const row = r.out.split('\n').find((l) => /xconv2d/.test(l))!;
    expect(row).toMatch(/25\.0%/);
    expect(row).toContain((36 * 16 * 9 * 8).toLocaleString());
    expect(row).toContain((3 * 36 * 16 * 9 * 8).toLocaleString());
    expect(r.out).toMatch(/X-layers: 1, MACs saved [\d,]+ \(75\.0% of the dense model's\), graph index tables/);
  });

  it('bench kernels: a real (short) run of one shape writes every implementation\'s timing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bexnet-cli-'));
    const file = join(dir, 'k.json');
    const r = bexnet('bench', 'kernels', '--shape', '^14x14x256-256-1x1$', '--budget-ms', '300', '--json', file);
    expect(r.code, r.err.join('\n')).toBe(0);
    const { rows } = JSON.parse(readFileSync(file, 'utf8')) as { rows: { shape: string; impl: string; medianMs: number; minMs: number; maxMs: number; runs: number; gmacs: number }[] };
    expect(new Set(rows.map((x) => x.shape))).toEqual(new Set(['14x14x256-256-1x1']));
    const impls = rows.map((x) => x.impl);
    for (const impl of ['tfjs-wasm', 'bconv-simd-xnor', 'bconv-simd-dabn', 'bconv-scalar-dabn', 'ceiling-xor-popcnt']) expect(impls).toContain(impl);
    const macs = 14 * 14 * 256 * 256;
    for (const x of rows) {
      expect(x.runs, x.impl).toBeGreaterThanOrEqual(9);
      expect(x.minMs, x.impl).toBeGreaterThan(0);
      expect(x.minMs <= x.medianMs && x.medianMs <= x.maxMs, x.impl).toBe(true);
      if (x.impl !== 'ceiling-xor-popcnt') expect(x.gmacs, x.impl).toBeCloseTo(macs / x.medianMs / 1e6, 0);
    }
    const ms = (impl: string) => rows.find((x) => x.impl === impl)!.medianMs;
    expect(ms('bconv-simd-dabn')).toBeLessThan(ms('bconv-scalar-dabn')); // the SIMD build is the fast one
    expect(r.out).toMatch(/^14x14x256-256-1x1 +bconv-simd-dabn /m);
    const bad = bexnet('bench', 'kernels', '--shape', '^nothing$');
    expect(bad.code).toBe(2);
    expect(bad.err).toHaveLength(1);
  }, 120_000);

  it('every script: --help lists its options from the spec; a bad number is one line and exit 2', () => {
    for (const [entry, option] of [['quickstart', 'epochs'], ['train-bench', 'steps'], ['train-quick', 'epochs'], ['experiment-binarization', 'jobs'], ['bench-kernels', 'budget-ms']]) {
      const js = new URL(`../dist/${entry}.mjs`, import.meta.url).pathname;
      const h = spawnSync(process.execPath, [js, '--help'], { encoding: 'utf8', timeout: 60_000 });
      expect(h.status, entry).toBe(0);
      expect(h.stdout, entry).toMatch(/^usage: /);
      expect(h.stdout, entry).toMatch(new RegExp(`^  --${option} N +\\S`, 'm'));
      for (const v of ['x', '1.5']) {
        const r = spawnSync(process.execPath, [js, `--${option}`, v], { encoding: 'utf8', timeout: 60_000 });
        expect(r.status, `${entry} --${option} '${v}'`).toBe(2);
        expect(r.stderr.trim().split('\n'), entry).toHaveLength(1);
        expect(r.stderr).toMatch(new RegExp(`^error: --${option} must be an integer ≥ 1, got '${v}'`));
      }
    }
    // A value the spec accepts but the script cannot run: one line, exit 2, before any training set-up.
    const bench = new URL('../dist/train-bench.mjs', import.meta.url).pathname;
    for (const args of [['--expander', '3'], ['--model', 'resnet', '--expander', '16']]) {
      const r = spawnSync(process.execPath, [bench, ...args], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual(['error: --expander takes 2, 4 or 8']);
    }
  });

  it('train → export → inspect on MNIST (2 classes, 1 epoch)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bexnet-cli-'));
    const run = join(dir, 'run');
    const t = bexnet('train', '--data', 'mnist', '--model', 'sketchnet', '--binarize', 'xnor', '--epochs', '1', '--classes', '2',
      '--width', '0.25', '--batch', '64', '--out', run);
    expect(t.code, t.err.join('\n')).toBe(0);
    expect(t.err.join('\n')).toMatch(/2 worker\(s\), batch 64/); // the default on the wasm backend: the data-parallel mode
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

describe('bexnet train --expander', () => {
  it('an X sketchnet trains on two workers, exports X layers with their density and runs in inspect', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bexnet-cli-x-'));
    const run = join(dir, 'run');
    const t = bexnet('train', '--data', 'mnist', '--model', 'sketchnet', '--binarize', 'dabn', '--epochs', '1', '--classes', '2',
      '--width', '0.5', '--batch', '64', '--expander', '2', '--graph-seed', '77', '--out', run);
    expect(t.code, t.err.join('\n')).toBe(0);
    expect(t.err.join('\n')).toMatch(/2 worker\(s\)/);
    expect(JSON.parse(readFileSync(join(run, 'model.json'), 'utf8')).userDefinedMetadata.bexnet.expander).toEqual({ f: 2, seed: 77 });
    const e = bexnet('export', run, '-o', join(dir, 'x.bxn'));
    expect(e.code, e.err.join('\n')).toBe(0);
    expect(e.out.match(/xbconv2d +\S+ .*bits X 50%/g) ?? [], e.out).toHaveLength(4);
    expect(e.out).toMatch(/X-layer: each output reads 8 of 16 input channels \(density 0\.5\), graph seed 77/);
    const i = bexnet('inspect', join(dir, 'x.bxn'));
    expect(i.code, i.err.join('\n')).toBe(0);
    expect(i.out).toMatch(/xbconv2d/);
  });

  it('an X-ResNet trains and exports its six block convs as X layers; a degree its widths cannot take is one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bexnet-cli-xr-'));
    const run = join(dir, 'run');
    const t = bexnet('train', '--data', 'mnist', '--model', 'resnet', '--binarize', 'dabn', '--epochs', '1', '--classes', '2',
      '--width', '0.5', '--batch', '64', '--expander', '2', '--out', run);
    expect(t.code, t.err.join('\n')).toBe(0);
    const e = bexnet('export', run, '-o', join(dir, 'x.bxn'));
    expect(e.code, e.err.join('\n')).toBe(0);
    expect(e.out.match(/xbconv2d +\S+ .*bits X 50%/g) ?? [], e.out).toHaveLength(6);
    // width 0.5: the first stage has 16 channels, so f = 8 would read 2 (D must be a multiple of 8)
    const bad = bexnet('train', '--data', 'mnist', '--model', 'resnet', '--binarize', 'dabn', '--epochs', '1', '--width', '0.5', '--expander', '8', '--out', run);
    expect([bad.code, bad.err.at(-1)]).toEqual([2, expect.stringMatching(/^bexnet train: ExpanderConv2D 'bconv2': C_in 16 \/ divisor 8: D 2 must be a multiple of inGroup 8/)]);
  });
});
