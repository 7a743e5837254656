// bexnet plan end to end on a briefly trained QuickDraw sketchnet (10 classes, 1 epoch):
// plan.json agrees with the core's choice on its own numbers, every budget is met by the
// exported hybrid measured (not estimated), export --plan applies the plan and fails
// when the measured file is over budget, train --plan fine-tunes the hybrid, and bad or
// stale plans are one line and a non-zero exit.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pickWithin, rank, select } from '../tools/plan/hbn';
import { parsePlan, type Plan } from '../tools/plan/plan-file';

const bin = new URL('../bin/bexnet.js', import.meta.url).pathname;
const bexnet = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr.split('\n').filter((l) => l && !l.startsWith('[bexnet] backend')) };
};
const dir = mkdtempSync(join(tmpdir(), 'bexnet-plan-'));
const src = join(dir, 'fbin');
const readPlan = (f: string): Plan => parsePlan(readFileSync(f, 'utf8'), f);

describe('bexnet plan', () => {
  it('trains a fully binary model, plans under --max-kb and --max-macs, and every budget holds measured after export', () => {
    const t = bexnet('train', '--data', 'quickdraw', '--model', 'sketchnet', '--binarize', 'dabn', '--epochs', '1', '--classes', '10', '--width', '0.5', '--batch', '64', '--out', src);
    expect(t.code, t.err.join('\n')).toBe(0);

    // Limits between the fully binary model and the all-float one, so that some layers fit and some do not.
    const kbPlan = join(dir, 'kb.json'), macsPlan = join(dir, 'macs.json');
    const all = bexnet('plan', src, '--data', 'quickdraw', '--max-macs', '1e12', '--calibration', '64', '--rounds', '20', '--out', macsPlan);
    expect(all.code, all.err.join('\n')).toBe(0);
    const p0 = readPlan(macsPlan);
    expect(p0.float).toEqual(['conv2', 'conv3', 'conv4', 'conv5']); // no MAC limit: every layer with some error
    expect(all.out).toMatch(/conv2 +float +0\.\d{4}/);
    for (const l of p0.layers) expect(l.added.macs, l.name).toBe(l.macs);
    const macsLimit = p0.base.macs + p0.layers.find((l) => l.name === 'conv4')!.macs + p0.layers.find((l) => l.name === 'conv5')!.macs;
    // every layer that saves bytes, no layer that adds some: base + Σ savings + the smallest addition − 1 byte
    const deltas = p0.layers.map((l) => l.added.bytes);
    const kbLimit = (p0.base.bytes + deltas.filter((d) => d <= 0).reduce((a, b) => a + b, 0) + Math.min(...deltas.filter((d) => d > 0)) - 1) / 1024;

    for (const [file, flag, limit] of [[macsPlan, '--max-macs', macsLimit], [kbPlan, '--max-kb', kbLimit]] as const) {
      const r = bexnet('plan', src, '--data', 'quickdraw', flag, String(limit), '--calibration', '64', '--rounds', '20', '--out', file);
      expect(r.code, r.err.join('\n')).toBe(0);
      expect(r.out).toMatch(/within budget; wrote/);
      const p = readPlan(file);
      // the core's choice on the plan's own numbers (the estimate fit the measurement here: MACs and bytes are exact)
      const s = select(p.base, p.layers.map((l) => ({ name: l.name, error: l.error, macs: l.macs, added: l.added })), { kind: p.budget.kind as 'kb' | 'macs', limit });
      expect(p.float, flag).toEqual(s.float);
      expect(p.float.length, flag).toBeGreaterThan(0);
      expect(p.float.length, flag).toBeLessThan(4);
      expect(p.withinBudget).toBe(true);
      expect(p.measured.macs, flag).toBe(p.estimate.macs); // MACs move layer by layer: the estimate is exact (bytes nearly: neighbouring ops change)

      // export --plan applies the plan to the model it was made from; the file is the measured one
      const bxn = join(dir, `${flag.slice(2)}.bxn`);
      const e = bexnet('export', src, '--plan', file, '-o', bxn, '--rounds', '10');
      expect(e.code, e.err.join('\n')).toBe(0);
      expect(e.out).toMatch(/plan budget .*within budget/);
      expect((e.out.match(/conv2dBinaryWeights/g) ?? []).length).toBe(p.float.length);
      expect(statSync(bxn).size).toBe(p.measured.bytes);
      if (flag === '--max-kb') expect(statSync(bxn).size).toBeLessThanOrEqual(limit * 1024);
    }
    expect(readPlan(macsPlan).float).toEqual(['conv4', 'conv5']);

    // a budget the fully binary model already exceeds: one line, exit 1
    const none = bexnet('plan', src, '--data', 'quickdraw', '--max-kb', '1', '--calibration', '32', '--rounds', '5', '--out', join(dir, 'none.json'));
    expect(none.code).toBe(1);
    // (after the progress line naming the candidates) one error line, no stack
    expect(none.err.filter((l) => l.startsWith('bexnet plan:')), none.err.join('\n')).toHaveLength(1);
    expect(none.err.some((l) => /^\s+at /.test(l))).toBe(false);
    expect(none.err.at(-1)).toMatch(/^bexnet plan: over budget even with every cost-saving layer: .* the limit is --max-kb 1$/);
  });

  it('accuracy mode: the cheapest ranking prefix within N points, by the plan\'s own recorded accuracies', () => {
    const file = join(dir, 'acc.json');
    const r = bexnet('plan', src, '--data', 'quickdraw', '--within-points', '3', '--finetune-steps', '1', '--workers', '1', '--validation', '64', '--calibration', '32', '--rounds', '5', '--out', file);
    expect(r.code, r.err.join('\n')).toBe(0);
    const p = readPlan(file);
    if (p.budget.kind !== 'accuracy') throw new Error('not an accuracy plan');
    const ranking = rank(p.layers.map((l) => ({ name: l.name, error: l.error, macs: l.macs, added: l.added })), p.budget.rankedBy);
    expect(p.budget.accuracy).toHaveLength(ranking.length + 1);
    expect(p.budget.accuracy.every((a) => Number.isInteger(a * 64))).toBe(true); // top-1s on 64 images
    expect(p.budget.reference).toBe(p.budget.accuracy[ranking.length]); // every candidate ranks: the last prefix is the reference
    const k = pickWithin(p.base, ranking, p.budget.accuracy, p.budget.reference, 3, p.budget.rankedBy);
    expect(p.float).toEqual(p.layers.map((l) => l.name).filter((n) => ranking.slice(0, k).some((x) => x.name === n)));
    expect(r.err.filter((l) => /^ {2}float inputs .*% on 64 validation images after 1 epoch\(s\) of fine-tuning$/.test(l))).toHaveLength(ranking.length + 1);
  });

  it('--max-slowdown F is an ms budget of F × the fully binary latency measured in the same run', () => {
    const file = join(dir, 'slow.json');
    const r = bexnet('plan', src, '--data', 'quickdraw', '--max-slowdown', '1.5', '--calibration', '64', '--rounds', '20', '--out', file);
    expect(r.code, r.err.join('\n')).toBe(0);
    const p = readPlan(file);
    expect(p.budget.kind).toBe('ms');
    expect((p.budget as { limit: number }).limit).toBeCloseTo(1.5 * p.base.ms, 3);
    expect(r.err.join('\n')).toMatch(/--max-slowdown 1\.5: 1\.5 × the fully binary [\d.]+ ms = --max-ms [\d.]+/);
    const bad = bexnet('plan', src, '--data', 'quickdraw', '--max-slowdown', '0.5');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toEqual([expect.stringMatching(/--max-slowdown must be ≥ 1/)]);
    const both = bexnet('plan', src, '--data', 'quickdraw', '--max-slowdown', '2', '--max-kb', '9');
    expect(both.err).toEqual([expect.stringMatching(/exactly one of .*got --max-slowdown, --max-kb/)]);
  });

  it('train --float-inputs: WBin and named layers; names it does not have and float models are one line', () => {
    const out = join(dir, 'wbin');
    const t = bexnet('train', '--data', 'quickdraw', '--model', 'sketchnet', '--binarize', 'dabn', '--float-inputs', 'all', '--epochs', '1', '--classes', '4', '--width', '0.25', '--out', out);
    expect(t.code, t.err.join('\n')).toBe(0);
    const e = bexnet('export', out, '-o', join(dir, 'wbin.bxn'));
    expect((e.out.match(/conv2dBinaryWeights/g) ?? []).length).toBe(4);
    for (const [args, msg] of [[['--binarize', 'dabn', '--float-inputs', 'conv9'], /'conv9' is not a binary sketchnet conv/], [['--binarize', 'none', '--float-inputs', 'all'], /--float-inputs is for binary models/]] as const) {
      const r = bexnet('train', '--data', 'quickdraw', '--model', 'sketchnet', ...args, '--epochs', '1', '--classes', '4', '--out', join(dir, 'x'));
      expect(r.code).not.toBe(0);
      expect(r.err.at(-1)).toMatch(msg); // after at most the data set's line, one error line, no stack
      expect(r.err.filter((l) => /^\s+at /.test(l))).toEqual([]);
    }
  });

  it('export --plan measures the written file: a plan whose limit the file exceeds fails (exit 1)', () => {
    const p = readPlan(join(dir, 'kb.json'));
    const tight = join(dir, 'tight.json');
    // the same plan with a limit one byte under the file it produces, and a latency plan no machine meets
    writeFileSync(tight, JSON.stringify({ ...p, budget: { kind: 'kb', limit: (p.measured.bytes - 1) / 1024 } }));
    const e = bexnet('export', src, '--plan', tight, '-o', join(dir, 't.bxn'), '--rounds', '5');
    expect(e.code).toBe(1);
    expect(e.err.at(-1)).toMatch(/OVER budget/);
    writeFileSync(tight, JSON.stringify({ ...p, budget: { kind: 'ms', limit: 1e-6 } }));
    const m = bexnet('export', src, '--plan', tight, '-o', join(dir, 't.bxn'), '--rounds', '5');
    expect(m.code).toBe(1);
    expect(m.err.at(-1)).toMatch(/plan budget --max-ms 0\.000001: measured .* ms, OVER budget/);
  });

  it('bad, truncated, wrong-version and stale plans: one line, exit 1', () => {
    const good = readFileSync(join(dir, 'macs.json'), 'utf8');
    const p = JSON.parse(good);
    const cases: [string, RegExp][] = [
      [good.slice(0, 200), /is not valid JSON \(truncated/],
      [JSON.stringify({ ...p, version: 99 }), /plan version 99 is not supported/],
      [JSON.stringify({ ...p, model: { ...p.model, architecture: '0'.repeat(64) } }), /stale or for another model: architecture/],
      [JSON.stringify({ ...p, model: { ...p.model, weights: '0'.repeat(64) } }), /stale or for another model: .*weights are not the ones/],
    ];
    cases.forEach(([text, re], i) => {
      const f = join(dir, `bad${i}.json`);
      writeFileSync(f, text);
      const r = bexnet('export', src, '--plan', f, '-o', join(dir, 'b.bxn'));
      expect(r.code, `${re}`).toBe(1);
      expect(r.err, r.err.join('\n')).toHaveLength(1);
      expect(r.err[0]).toMatch(re);
    });
    const two = bexnet('plan', src, '--data', 'quickdraw', '--max-ms', '1', '--max-kb', '2');
    expect([two.code, two.err]).toEqual([2, [expect.stringMatching(/give exactly one of --max-ms, --max-slowdown, --max-kb, --max-macs, --within-points \(got --max-ms, --max-kb\)/)]]);
    const r = bexnet('train', '--plan', join(dir, 'bad1.json'), '--data', 'quickdraw', '--epochs', '1', '--out', join(dir, 'x'));
    expect([r.code, r.err.length, r.err[0]]).toEqual([1, 1, expect.stringMatching(/plan version 99/)]);
  });

  it('train --plan fine-tunes the hybrid from the planned model; export --plan accepts it', () => {
    const hyb = join(dir, 'hyb');
    const t = bexnet('train', '--plan', join(dir, 'macs.json'), '--data', 'quickdraw', '--epochs', '1', '--batch', '64', '--out', hyb);
    expect(t.code, t.err.join('\n')).toBe(0);
    expect(t.err.join('\n')).toMatch(/float inputs at conv4, conv5 .* fine-tuning from/);
    const meta = JSON.parse(readFileSync(join(hyb, 'model.json'), 'utf8')).userDefinedMetadata.bexnet;
    expect(meta.floatInputs).toEqual(['conv4', 'conv5']);
    const e = bexnet('export', hyb, '--plan', join(dir, 'macs.json'), '-o', join(dir, 'hyb.bxn'), '--rounds', '5');
    expect(e.code, e.err.join('\n')).toBe(0);
    expect(e.out).toMatch(/plan budget --max-macs \d+: measured \d+ float MACs, within budget/);
    // the fine-tuned hybrid is not the model the kb plan was made from, nor does it take that plan's inputs
    const kb = readPlan(join(dir, 'kb.json'));
    expect(kb.float).not.toEqual(['conv4', 'conv5']);
    const s = bexnet('export', hyb, '--plan', join(dir, 'kb.json'), '-o', join(dir, 'hyb2.bxn'));
    expect(s.code).toBe(1);
    expect(s.err[0]).toMatch(/stale or for another model: this model's float-input layers \(conv4, conv5\) are not the plan's/);
  });

  it('train --plan --from-scratch trains the hybrid from the planned model\'s initial weights; export --plan accepts it', () => {
    const hyb = join(dir, 'scratch');
    const t = bexnet('train', '--plan', join(dir, 'macs.json'), '--from-scratch', '--data', 'quickdraw', '--epochs', '1', '--batch', '64', '--out', hyb);
    expect(t.code, t.err.join('\n')).toBe(0);
    expect(t.err.join('\n')).toMatch(/float inputs at conv4, conv5 .* trained from scratch as .*fbin was \(seed 1\)/);
    const meta = JSON.parse(readFileSync(join(hyb, 'model.json'), 'utf8')).userDefinedMetadata.bexnet;
    expect([meta.floatInputs, meta.plan.training, meta.seed]).toEqual([['conv4', 'conv5'], 'scratch', 1]);
    const e = bexnet('export', hyb, '--plan', join(dir, 'macs.json'), '-o', join(dir, 'scratch.bxn'), '--rounds', '5');
    expect(e.code, e.err.join('\n')).toBe(0);
    // another seed would not be the initial weights the plan's model started from; without --plan there is nothing to start from
    const seed = bexnet('train', '--plan', join(dir, 'macs.json'), '--from-scratch', '--seed', '2', '--data', 'quickdraw', '--epochs', '1', '--out', join(dir, 'x'));
    expect([seed.code, seed.err]).toEqual([2, [expect.stringMatching(/--from-scratch starts from the initial weights .*fbin started from \(seed 1\): omit --seed or pass --seed 1/)]]);
    const alone = bexnet('train', '--from-scratch', '--data', 'quickdraw', '--model', 'sketchnet', '--binarize', 'dabn', '--epochs', '1', '--out', join(dir, 'x'));
    expect([alone.code, alone.err]).toEqual([2, [expect.stringMatching(/--from-scratch is for --plan/)]]);
  });
});
