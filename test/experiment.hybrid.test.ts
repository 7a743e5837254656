// The HBN experiment's plan, resume, rows, Pareto front and target arithmetic
// (tools/train/hybrid-plan.ts; the runs themselves are npm run experiment:hybrid).
import { describe, expect, it } from 'vitest';
import { expectPlotScript } from './support/plot.js';
import { hybridSvg } from '../tools/plot-hybrid.mjs';
import { renderTable } from '../tools/render-readme.mjs';
import {
  DEFAULT_SEEDS, dependency, gapRecovered, jobKey, paretoFront, parseJobKey, pendingJobs, planJobs, readyJobs, summarizeRows,
  type HybridJob, type HybridJobResult, type Measured,
} from '../tools/train/hybrid-plan';

const result = (j: HybridJob, top1: number, floatInputLayers: string[] = []): HybridJobResult => ({ ...j, top1, bxn: `/x/${jobKey(j)}.bxn`, dir: '/x', floatInputLayers, seconds: 1 });

describe('experiment:hybrid plan', () => {
  it('sketchnet 2 seeds and resnet 1 by default, FBin first in each (model, seed); keys round-trip', () => {
    const plan = planJobs(['sketchnet', 'resnet'], (m) => DEFAULT_SEEDS[m]);
    expect(plan.map(jobKey)).toEqual([
      ...[1, 2].flatMap((s) => ['fbin', 'float', 'wbin', 'hybrid-1', 'hybrid-2'].map((v) => `sketchnet:${v}:${s}`)),
      ...['fbin', 'float', 'wbin', 'hybrid-1', 'hybrid-2'].map((v) => `resnet:${v}:1`),
    ]);
    for (const j of plan) expect(parseJobKey(jobKey(j))).toEqual(j);
    for (const bad of ['vgg:fbin:1', 'resnet:hybrid-3:1', 'resnet:fbin:x', 'resnet:fbin']) expect(parseJobKey(bad), bad).toBeNull();
    expect(() => planJobs(['sketchnet'], () => [1], ['hybrid-1'])).toThrow(/include fbin/);
    expect(() => planJobs(['sketchnet'], () => [])).toThrow(/no seeds/);
  });

  it('a hybrid is ready only when its FBin is done and it is not running; done jobs are not pending', () => {
    const plan = planJobs(['sketchnet'], () => [1]);
    const fbin = plan[0];
    expect(dependency({ model: 'sketchnet', variant: 'hybrid-2', seed: 1 })).toEqual(fbin);
    expect(dependency(fbin)).toBeNull();
    expect(readyJobs(plan, []).map((j) => j.variant)).toEqual(['fbin', 'float', 'wbin']);
    expect(readyJobs(plan, [], [fbin]).map((j) => j.variant)).toEqual(['float', 'wbin']);
    const done = [result(fbin, 0.3)];
    const pending = pendingJobs(plan, done);
    expect(pending.map((j) => j.variant)).toEqual(['float', 'wbin', 'hybrid-1', 'hybrid-2']);
    expect(readyJobs(pending, done).map((j) => j.variant)).toEqual(['float', 'wbin', 'hybrid-1', 'hybrid-2']);
  });
});

describe('experiment:hybrid rows', () => {
  const m = (latencyMs: number): Measured => ({ latencyMs, bxnBytes: 1000, macsBinary: 10, macsFloat: 5 });
  const job = (variant: HybridJob['variant'], seed: number): HybridJob => ({ model: 'sketchnet', variant, seed });
  const results = [
    result(job('fbin', 1), 0.30), result(job('fbin', 2), 0.32), result(job('wbin', 1), 0.40, ['all']), result(job('wbin', 2), 0.42, ['all']),
    result(job('hybrid-1', 1), 0.36, ['conv5']), result(job('hybrid-2', 1), 0.40, ['conv4', 'conv5']), result(job('float', 1), 0.44),
  ];
  const measured = new Map([['sketchnet:fbin:1', m(0.1)], ['sketchnet:wbin:1', m(0.6)], ['sketchnet:hybrid-1:1', m(0.12)], ['sketchnet:hybrid-2:1', m(0.15)], ['sketchnet:float:1', m(0.5)]]);
  const rows = summarizeRows(results, measured, { dataset: 'quickdraw-345', cpu: 'test' });

  it('top-1 is the mean over seeds, measurements the first seed\'s; unmeasured variants have no row yet', () => {
    expect(rows.map((r) => r.variant)).toEqual(['float', 'wbin', 'fbin', 'hybrid-1', 'hybrid-2']);
    const fbin = rows.find((r) => r.variant === 'fbin')!;
    expect(fbin).toMatchObject({ dataset: 'quickdraw-345', model: 'sketchnet', top1: 0.31, top1Seeds: [0.3, 0.32], latencyMs: 0.1, floatInputLayers: [], cpu: 'test' });
    expect(rows.find((r) => r.variant === 'hybrid-2')!.floatInputLayers).toEqual(['conv4', 'conv5']);
    expect(summarizeRows(results, new Map(), { dataset: 'd', cpu: 'c' })).toEqual([]);
  });

  it('the share of the FBin → WBin gap each hybrid recovers, and its slowdown over FBin', () => {
    // gap 0.41 − 0.31 = 0.10; hybrid-1 0.36 → 50%, hybrid-2 0.40 → 90%
    const t = gapRecovered(rows, 'sketchnet');
    expect(t.map((x) => x.variant)).toEqual(['hybrid-1', 'hybrid-2']);
    expect(t[0].recovered).toBeCloseTo(0.5, 9);
    expect(t[1].recovered).toBeCloseTo(0.9, 9);
    expect(t[1].slowdown).toBeCloseTo(1.5, 9);
    expect(gapRecovered(rows, 'resnet')).toEqual([]);
  });

  it('Pareto front: lower latency and higher top-1 beat; dominated points drop out', () => {
    const f = paretoFront(rows).map((r) => r.variant);
    // fbin (0.1 ms, 31%), hybrid-1 (0.12, 36%), hybrid-2 (0.15, 40%), float (0.5, 44%); wbin (0.6, 41%) is dominated by float
    expect(f).toEqual(['fbin', 'hybrid-1', 'hybrid-2', 'float']);
    expect(paretoFront([{ latencyMs: 1, top1: 0.5 }, { latencyMs: 1, top1: 0.6 }, { latencyMs: 2, top1: 0.55 }])).toEqual([{ latencyMs: 1, top1: 0.6 }]);
  });
});

describe('experiment:hybrid table', () => {
  it("the settings line: one epoch count, or the float net's and the binary nets' when their recipes differ", () => {
    const settings = { dataset: 'quickdraw-345', epochs: 24, finetuneEpochs: 6, resnetWidth: 0.5, hybridTraining: { sketchnet: 'finetune', resnet: 'scratch' } };
    const line = (s: object) => renderTable('hybrid', { rows: [], settings: s, latency: 'x', cpu: 'c' }).split('\n').at(-1);
    expect(line(settings)).toBe("quickdraw-345, 24 epochs from scratch; hybrids: sketchnet's fine-tuned 6 from FBin, resnet's trained from scratch like FBin (24 epochs); ResNet width 0.5; latency: x; c.");
    expect(line({ ...settings, epochs: { float: 48, dabn: 24 } })).toBe("quickdraw-345, float 48, binary 24 epochs from scratch; hybrids: sketchnet's fine-tuned 6 from FBin, resnet's trained from scratch like FBin (24 epochs); ResNet width 0.5; latency: x; c.");
  });
});

describe('experiment:hybrid plot', () => {
  const data = {
    settings: { slowdown: { 'hybrid-1': 1.2, 'hybrid-2': 1.5 } },
    rows: [
      ...(['float', 'wbin', 'fbin', 'hybrid-1', 'hybrid-2'] as const).map((variant, i) => ({ dataset: 'quickdraw-345', model: 'sketchnet', variant, top1: [0.44, 0.42, 0.36, 0.38, 0.40][i], latencyMs: [0.5, 0.6, 0.07, 0.08, 0.1][i] })),
      ...(['float', 'fbin'] as const).map((variant, i) => ({ dataset: 'quickdraw-345', model: 'resnet', variant, top1: [0.5, 0.4][i], latencyMs: [2, 0.3][i] })),
    ],
  };
  it('one marker per row (+ legend), hybrids labelled with their budget, a Pareto line per model, no NaN', () => {
    const svg = hybridSvg(data);
    expect((svg.match(/<circle /g) ?? []).length).toBe(2 + 1); // float ×2 + legend
    expect((svg.match(/<rect x=/g) ?? []).length).toBe(1 + 1 + 1 + 2); // frame, WBin, its legend marker, two model colours
    expect(svg).toContain('≤1.2× FBin');
    expect(svg).toContain('≤1.5× FBin');
    expect((svg.match(/<polyline /g) ?? []).length).toBe(2);
    // sketchnet's front: fbin, hybrid-1, hybrid-2, float (WBin is dominated by float)
    const line = /<polyline points="([^"]+)" fill="none" stroke="#1f77b4"/.exec(svg)![1];
    expect(line.split(' ')).toHaveLength(4);
    expect(svg).not.toMatch(/NaN|undefined/);
    expect(hybridSvg({ rows: [] })).toMatch(/no result yet/);
  });

  it('the plot script writes the SVG, and says so without failing when there is no results file', () => {
    expectPlotScript(new URL('../tools/plot-hybrid.mjs', import.meta.url), data, hybridSvg);
  });
});
