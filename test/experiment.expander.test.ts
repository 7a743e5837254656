// The X-Net experiment without training (tools/train/expander-plan.ts): which jobs each
// set of options plans, what a rerun skips, the rows, the README table and the plot.
import { describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { expectPlotScript } from './support/plot.js';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BINARIZATIONS, DEFAULT_PLAN, DEFAULT_VARIANTS, EXPANDER_VARIANTS, jobKey, mergedSettings, parseJobKey, pendingJobs, planJobs, reachShares, settingsMismatch, summarizeRows, variantExpander,
  type ExpanderJob, type ExpanderJobResult, type PlanOptions,
} from '../tools/train/expander-plan';
import { lastStartDeadline, runQueue, writeResultsAtomic } from '../tools/train/experiment-common';
import { renderTable } from '../tools/render-readme.mjs';
import { expanderSvg } from '../tools/plot-expander.mjs';

const all: PlanOptions = { variants: DEFAULT_VARIANTS, binarizations: BINARIZATIONS, ...DEFAULT_PLAN };
const keys = (jobs: ExpanderJob[]) => jobs.map(jobKey);

describe('experiment:expander plan', () => {
  it("the default is issue 9's: f = 4 at seeds 1 and 2 for dense / grouped / xnet, f = 2 and 8 at seed 1, dense once per seed, and the size job", () => {
    const jobs = planJobs(all);
    // per binarization: seed 1: dense + 2 × 3 f; seed 2: dense + 2 at f = 4 → 7 + 3 = 10; × 3 binarizations; + the size job.
    expect(jobs.length).toBe(31);
    expect(new Set(keys(jobs)).size).toBe(31);
    const dabn = keys(jobs.filter((j) => j.binarization === 'dabn'));
    expect(dabn).toEqual([
      'dense:dabn:-:1', 'grouped:dabn:4:1', 'xnet:dabn:4:1', 'xnet:dabn:4:1:x-binary',
      'grouped:dabn:2:1', 'xnet:dabn:2:1', 'grouped:dabn:8:1', 'xnet:dabn:8:1',
      'dense:dabn:-:2', 'grouped:dabn:4:2', 'xnet:dabn:4:2',
    ]);
    // Seed-major, main f first: the first nine jobs are seed 1 at f = 4 (and dense) for every binarization.
    expect(keys(jobs.slice(0, 3))).toEqual(['dense:float:-:1', 'grouped:float:4:1', 'xnet:float:4:1']);
    expect(jobs.slice(0, 9).every((j) => j.seed === 1 && (j.f === 4 || j.f === null) && !j.head)).toBe(true);
    expect(jobs[9]).toEqual({ variant: 'xnet', binarization: 'dabn', f: 4, seed: 1, head: 'x-binary' }); // the size job, right after them
    expect(jobs.slice(-9).every((j) => j.seed === 2)).toBe(true);
  });

  it("the graph diagnostics 'xnet-input-channel' and 'xnet-channel' are opt-in: planned like xnet when asked, never the size job's", () => {
    expect(EXPANDER_VARIANTS).toEqual([...DEFAULT_VARIANTS, 'xnet-input-channel', 'xnet-channel', 'grouped-plain']);
    expect(parseJobKey('grouped-plain:float:4:2')).toEqual({ variant: 'grouped-plain', binarization: 'float', f: 4, seed: 2 });
    expect(keys(planJobs({ ...all, variants: ['xnet-channel'], binarizations: ['float', 'dabn'] }))).toEqual([
      'xnet-channel:float:4:1', 'xnet-channel:dabn:4:1', 'xnet-channel:float:2:1', 'xnet-channel:dabn:2:1', 'xnet-channel:float:8:1', 'xnet-channel:dabn:8:1',
      'xnet-channel:float:4:2', 'xnet-channel:dabn:4:2',
    ]);
    expect(parseJobKey('xnet-channel:float:4:2')).toEqual({ variant: 'xnet-channel', binarization: 'float', f: 4, seed: 2 });
    expect(parseJobKey('xnet-channel:dabn:4:1:x-binary')).toBeNull();
    expect(parseJobKey('xnet-channel:float:-:1')).toBeNull();
    expect(parseJobKey('xnet-input-channel:float:8:1')).toEqual({ variant: 'xnet-input-channel', binarization: 'float', f: 8, seed: 1 });
  });

  it('options: variants, binarizations, f list, seeds and the main f', () => {
    expect(keys(planJobs({ ...all, variants: ['xnet'], binarizations: ['xnor'], fs: [2, 4], seeds: [3, 4, 5], mainF: 2 }))).toEqual([
      'xnet:xnor:2:3', 'xnet:xnor:4:3', 'xnet:xnor:2:4', 'xnet:xnor:2:5',
    ]);
    // --quick (seed 1) with one f: dense + grouped + xnet per binarization, and the size job.
    expect(keys(planJobs({ ...all, binarizations: ['float', 'dabn'], fs: [4], seeds: [1] }))).toEqual([
      'dense:float:-:1', 'grouped:float:4:1', 'xnet:float:4:1', 'dense:dabn:-:1', 'grouped:dabn:4:1', 'xnet:dabn:4:1', 'xnet:dabn:4:1:x-binary',
    ]);
    // No DABN X-Net planned, no size job.
    expect(planJobs({ ...all, binarizations: ['float', 'xnor'] }).some((j) => j.head)).toBe(false);
    expect(planJobs({ ...all, variants: ['dense', 'grouped'] }).some((j) => j.head)).toBe(false);
    // dense alone does not multiply by f.
    expect(keys(planJobs({ ...all, variants: ['dense'], binarizations: ['float'] }))).toEqual(['dense:float:-:1', 'dense:float:-:2']);
    expect(() => planJobs({ ...all, mainF: 16 })).toThrow(/main f 16/);
    expect(() => planJobs({ ...all, seeds: [] })).toThrow(/seed/);
    expect(planJobs({ ...all, fs: [4, 2, 4] }).filter((j) => j.f === 4 && j.seed === 1 && !j.head).length).toBe(6); // a repeated f runs once
  });

  it('job keys round-trip through --job, malformed ones are refused', () => {
    for (const j of planJobs(all)) expect(parseJobKey(jobKey(j))).toEqual(j);
    for (const bad of ['dense:float:4:1', 'xnet:float:-:1', 'xnet:float:4', 'xnet:fp:4:1', 'conv:float:4:1', 'xnet:float:0:1', 'xnet:float:4:1:2', 'xnet:float:4:',
      'xnet:float:4:1:x-binary', 'grouped:dabn:4:1:x-binary', 'dense:dabn:-:1:x-binary', 'xnet:dabn:4:1:x-binary:1'])
      expect(parseJobKey(bad), bad).toBeNull();
  });
});

const result = (j: ExpanderJob, top1: number, over: Partial<ExpanderJobResult> = {}): ExpanderJobResult => ({
  ...j, top1, params: j.variant === 'dense' ? 700_000 : 200_000 + (j.f ?? 0), bxnBytes: j.variant === 'dense' ? 120_000 : 40_000 / (j.f ?? 1) + 30_000,
  floatBytes: 2_800_000, trainImages: 1000, imagesPerSec: 300, seconds: 10, backend: 'test', recipe: `${j.binarization}-v2`, ...over,
});

describe('experiment:expander resumability and rows', () => {
  it('a previous results file: its finished jobs are skipped, the rest run in plan order; other settings are refused', () => {
    const plan = planJobs(all);
    const previous = JSON.parse(JSON.stringify({ jobs: [result(plan[0], 0.5), result(plan[4], 0.4), result({ variant: 'xnet', binarization: 'float', f: 16, seed: 1 }, 0.1)] }));
    const pending = pendingJobs(plan, previous.jobs);
    expect(pending.length).toBe(29);
    expect(keys(pending)).not.toContain(jobKey(plan[0]));
    expect(keys(pending)).not.toContain(jobKey(plan[4]));
    expect(keys(pending)).toEqual(keys(plan).filter((_, i) => i !== 0 && i !== 4));
    expect(pendingJobs(plan, plan.map((j) => result(j, 0.5)))).toEqual([]);
    const settings = { dataset: 'quickdraw-345', epochs: 24, batchSize: 128, recipes: ['float-v2', 'xnor-v2', 'dabn-v2'], clampDegree: true };
    expect(settingsMismatch(JSON.parse(JSON.stringify(settings)), settings)).toBeNull();
    expect(settingsMismatch({ ...settings, epochs: 2 }, settings)).toMatch(/float jobs trained for 2 epochs \(now 24\)/);
    expect(settingsMismatch(undefined, settings)).toMatch(/other settings/);
    // the MobileNet's runs name their model; the sketch net's files, written before the choice, do not
    expect(settingsMismatch(settings, { ...settings, model: 'mobilenet' })).toMatch(/other settings/);
    // a run may add binarizations to a file (the float jobs first, DABN later), never change one's recipe
    const float = { ...settings, recipes: ['float-v2'] }, dabn = { ...settings, recipes: ['dabn-v2'] };
    expect(settingsMismatch(float, dabn)).toBeNull();
    expect(mergedSettings(float, dabn).recipes).toEqual(['float-v2', 'dabn-v2']);
    expect(mergedSettings(mergedSettings(float, dabn), float).recipes).toEqual(['float-v2', 'dabn-v2']);
    expect(mergedSettings(undefined, dabn)).toEqual(dabn);
    expect(settingsMismatch(float, { ...settings, recipes: ['float-v1'] })).toMatch(/float jobs trained with another recipe \(float-v2; now float-v1\)/);
    expect(settingsMismatch({ ...float, recipes: 'float-v2' }, dabn)).toMatch(/other settings/);
    // Recipes with different schedules share a file: each binarization keeps its own epoch count.
    const float4 = { ...settings, recipes: ['float-v4'], epochs: 48 };
    expect(settingsMismatch(float4, dabn)).toBeNull();
    const both = mergedSettings(float4, dabn);
    expect(both).toMatchObject({ recipes: ['float-v4', 'dabn-v2'], epochs: { float: 48, dabn: 24 } });
    expect(settingsMismatch(both, float4)).toBeNull();
    expect(settingsMismatch(both, { ...float4, epochs: 36 })).toMatch(/float jobs trained for 48 epochs \(now 36\)/);
    expect(settingsMismatch(both, { ...dabn, epochs: { dabn: 12 } })).toMatch(/dabn jobs trained for 24 epochs \(now 12\)/);
    expect(mergedSettings(both, dabn).epochs).toEqual({ float: 48, dabn: 24 });
    expect(mergedSettings(float, dabn).epochs).toBe(24); // one count when they agree, as the files written before
    expect(settingsMismatch({ ...both, epochs: { float: '48' } }, dabn)).toMatch(/other settings/);
  });

  it('rows: one per variant × binarization × f with finished seeds, mean and std over them; unplanned seeds of a planned group left out, unplanned groups kept whole', () => {
    const plan = planJobs({ ...all, binarizations: ['dabn'] });
    const results = [
      result({ variant: 'xnet', binarization: 'dabn', f: 4, seed: 2 }, 0.52),
      result({ variant: 'xnet', binarization: 'dabn', f: 4, seed: 1 }, 0.5),
      result({ variant: 'dense', binarization: 'dabn', f: null, seed: 1 }, 0.6),
      result({ variant: 'grouped', binarization: 'dabn', f: 8, seed: 1 }, 0.3),
      result({ variant: 'grouped', binarization: 'dabn', f: 8, seed: 7 }, 0.9), // seed 7 is not in the plan
      result({ variant: 'xnet', binarization: 'dabn', f: 4, seed: 1, head: 'x-binary' }, 0.45, { bxnBytes: 30_000 }),
    ];
    const rows = summarizeRows(plan, results, { dataset: 'quickdraw-345', epochs: 24, cpu: 'AMD EPYC' });
    expect(rows.map((r) => `${r.variant}:${r.f}:${r.head}`)).toEqual(['dense:null:dense', 'xnet:4:dense', 'xnet:4:x-binary', 'grouped:8:dense']);
    // The size job is its own row: not averaged into the X-Net's seeds.
    expect(rows[2]).toMatchObject({ top1: 0.45, top1Seeds: [0.45], seeds: [1], bxnBytes: 30_000 });
    const x = rows[1];
    expect(x).toEqual({
      dataset: 'quickdraw-345', model: 'sketchnet', variant: 'xnet', binarization: 'dabn', f: 4, head: 'dense', params: 200_004, bxnBytes: 40_000,
      floatBytes: 2_800_000, top1: 0.51, top1Seeds: [0.5, 0.52], top1Std: 0.0141, epochs: 24, seeds: [1, 2], cpu: 'AMD EPYC', recipe: 'dabn-v2',
    });
    expect(rows[3].seeds).toEqual([1]);
    expect(rows[3].top1Std).toBe(0);
    // A row's epochs: its jobs' own count, else (files written before jobs recorded it) the settings' for its binarization.
    const mixed = summarizeRows(plan, [...results.slice(0, 2).map((r) => ({ ...r, epochs: 48 })), ...results.slice(2)], { dataset: 'quickdraw-345', epochs: { float: 12, dabn: 24 }, cpu: 'c' });
    expect(mixed.map((r) => r.epochs)).toEqual([24, 48, 24, 24]);
    expect(() => summarizeRows(plan, results, { dataset: 'quickdraw-345', epochs: { float: 12 }, cpu: 'c' })).toThrow(/no epoch count for dabn/);
    expect(summarizeRows(plan, results, { dataset: 'quickdraw-345', epochs: 24, cpu: 'c', model: 'mobilenet' }).map((r) => r.model)).toEqual(Array(4).fill('mobilenet'));
    // an earlier run's binarization (float here) is kept whole, after the plan's rows; a stray dabn seed still is not
    const earlier = [result({ variant: 'grouped', binarization: 'float', f: 2, seed: 1 }, 0.41), result({ variant: 'grouped', binarization: 'float', f: 2, seed: 9 }, 0.43)];
    const both = summarizeRows(plan, [...results, ...earlier], { dataset: 'quickdraw-345', epochs: 24, cpu: 'AMD EPYC' });
    expect(both.map((r) => `${r.variant}:${r.binarization}:${r.f}:${r.head}`)).toEqual(['dense:dabn:null:dense', 'xnet:dabn:4:dense', 'xnet:dabn:4:x-binary', 'grouped:dabn:8:dense', 'grouped:float:2:dense']);
    expect(both[4]).toMatchObject({ top1: 0.42, seeds: [1, 9] });
    expect(both[3].seeds).toEqual([1]);
    // A run of one more variant (grouped-plain at f = 8) rewrites its own row and keeps every other group whole, stray seed 7 included.
    const plain = planJobs({ ...all, variants: ['grouped-plain'], binarizations: ['dabn'], fs: [8], mainF: 8, seeds: [1] });
    const added = summarizeRows(plain, [...results, result({ variant: 'grouped-plain', binarization: 'dabn', f: 8, seed: 1 }, 0.28)], { dataset: 'quickdraw-345', epochs: 24, cpu: 'c' });
    expect(added.map((r) => `${r.variant}:${r.f}:${r.head}:${r.seeds.join('+')}`)).toEqual(['grouped-plain:8:dense:1', 'xnet:4:dense:1+2', 'dense:null:dense:1', 'grouped:8:dense:1+7', 'xnet:4:x-binary:1']);
  });

  it('--model mobilenet is float only, --size-only needs DABN: one line, exit 2, before any training', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [new URL('../dist/experiment-expander.mjs', import.meta.url).pathname, ...args], { encoding: 'utf8', timeout: 60_000 });
    const r = run('--model', 'mobilenet');
    expect([r.status, r.stderr.trim().split('\n')]).toEqual([2, ['error: --model mobilenet is float only: pass --binarization float']]);
    const s = run('--size-only', '--binarization', 'float,xnor');
    expect([s.status, s.stderr.trim().split('\n')]).toEqual([2, ['error: --size-only is a DABN X-Net of the sketch net: pass --binarization dabn (and keep xnet in --variants)']]);
  });
});

describe('experiment:expander README table and plot', () => {
  const plan = planJobs(all);
  const data = {
    rows: summarizeRows(plan, plan.map((j, i) => result(j, 0.4 + (i % 7) / 100)), { dataset: 'quickdraw-345', epochs: 24, cpu: 'AMD EPYC' }),
    cpu: 'AMD EPYC', wallSeconds: 3600,
  };

  it('the table: sorted by binarization, f, variant; sizes relative to dense; seeds listed', () => {
    const md = renderTable('expander', data);
    const lines = md.split('\n');
    expect(lines[0]).toMatch(/^\| binarization \| variant \| f \| params \| top-1 mean ± std/);
    expect(lines.length).toBe(2 + data.rows.length + 2 + 2);
    expect(lines[2]).toMatch(/^\| float \| dense \| – \| 700000 \|/);
    expect(lines[3]).toMatch(/^\| float \| grouped \| 2 \|/);
    expect(lines.find((l) => l.startsWith('| dabn | xnet | 4 |'))).toMatch(/ ± \d+\.\d \| \d+\.\d%, \d+\.\d% \| 2734\.4 KiB \| 39\.1 KiB \| 0\.33 \|$/);
    expect(lines.at(-3)).toMatch(/^quickdraw-345, 24 epochs, recipes float-v2 \/ xnor-v2 \/ dabn-v2; AMD EPYC, 60 min wall time\./);
    // The size job: its row after the X-Net's, and the target line (2,800,000 B float dense over 40,000 B = 70×).
    const i = lines.findIndex((l) => l.startsWith('| dabn | xnet | 4 |'));
    expect(lines[i + 1]).toMatch(/^\| dabn \| xnet \+ binary X-Dense classifier \| 4 \|/);
    expect(lines.at(-1)).toMatch(/^Smallest file: the DABN X-Net at f = 4 with a binary-weight X-Dense classifier, 39\.1 KiB at \d+\.\d% top-1, 70\.0× smaller than the float dense tfjs model \(2734\.4 KiB; issue 9 asks ≥ 50×\)\.$/);
    expect(renderTable('expander', { rows: [] })).toMatch(/^\| binarization/);
    // Recipes with different schedules: each named with its epochs.
    const mixed = renderTable('expander', { ...data, rows: data.rows.map((r) => (r.binarization === 'float' ? { ...r, recipe: 'float-v4', epochs: 48 } : r)) }).split('\n');
    expect(mixed.at(-3)).toMatch(/^quickdraw-345, recipes float-v4 \(48 epochs\) \/ xnor-v2 \(24 epochs\) \/ dabn-v2 \(24 epochs\); AMD EPYC/);
  });

  it('the plot: an SVG with one marker per row, shaped by variant, and a legend; no rows, a placeholder', () => {
    const svg = expanderSvg(data);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    const dense = data.rows.filter((r) => r.variant === 'dense').length, grouped = data.rows.filter((r) => r.variant === 'grouped').length;
    expect((svg.match(/<circle /g) ?? []).length).toBe(dense + 1); // + legend
    expect((svg.match(/<path d="M/g) ?? []).length).toBe(data.rows.length - dense - grouped + 1);
    expect(svg).toContain('X-Net');
    expect(svg).toContain('f=8');
    expect(svg).not.toMatch(/NaN|undefined/);
    expect(expanderSvg({ rows: [] })).toMatch(/no result yet/);
  });

  it('the plot script writes the SVG, and says so without failing when there is no results file', () => {
    expectPlotScript(new URL('../tools/plot-expander.mjs', import.meta.url), data, expanderSvg);
  });
});

describe('experiment-common', () => {
  it('--last-start is the next UTC occurrence of HH:MM: later today, or tomorrow once it has passed', () => {
    const now = Date.UTC(2026, 11, 4, 9, 30);
    expect(lastStartDeadline('10:05', now)).toBe(Date.UTC(2026, 11, 4, 10, 5));
    expect(lastStartDeadline('09:00', now)).toBe(Date.UTC(2026, 11, 5, 9, 0));
    expect(lastStartDeadline(undefined, now)).toBe(Infinity);
  });
  it('runQueue: at most `parallel` jobs at once, in order; a failed job is reported and the others go on; nothing starts after the deadline', async () => {
    let running = 0, most = 0;
    const started: number[] = [], done: number[] = [];
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const run = async (j: number) => {
        started.push(j); most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, j % 3));
        running--;
        if (j === 2 || j === 5) throw new Error(`job ${j} broke`);
        return j * 10;
      };
      const progress: string[] = [];
      const failed = await runQueue([0, 1, 2, 3, 4, 5, 6], { parallel: 2, planned: 9, key: (j) => `j${j}`, run, done: (r, p) => { done.push(r); progress.push(p); } });
      expect(progress).toEqual(['3/9', '4/9', '5/9', '6/9', '7/9']); // two done in an earlier run; counted in finishing order
      expect(most).toBe(2);
      expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(failed).toEqual(['j2', 'j5']);
      expect(done.sort((a, b) => a - b)).toEqual([0, 10, 30, 40, 60]);
      expect(errors.mock.calls.flat().join('\n')).toMatch(/job j2 failed, left for the next run: job 2 broke/);
      // A deadline already past: nothing starts, nothing fails.
      started.length = 0;
      expect(await runQueue([7, 8], { parallel: 2, lastStart: Date.now() - 1, key: String, run, done: () => {} })).toEqual([]);
      expect(started).toEqual([]);
      expect(errors.mock.calls.flat().join('\n')).toMatch(/--last-start passed: not starting 7, 8/);
    } finally {
      errors.mockRestore();
    }
  });
  it('writes the results file whole, with no temporary file left', () => {
    const d = mkdtempSync(join(tmpdir(), 'bexnet-results-'));
    try {
      writeResultsAtomic(join(d, 'r.json'), { rows: [{ top1: 0.5 }] });
      expect(JSON.parse(readFileSync(join(d, 'r.json'), 'utf8'))).toEqual({ rows: [{ top1: 0.5 }] });
      expect(readdirSync(d)).toEqual(['r.json']);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('expander reach (tools/train/expander-reach.ts)', () => {
  const grouped = (cin: number, cout: number, d: number, shuffled: boolean) =>
    ({ inChannels: cin, outChannels: cout, degree: d, inGroup: 8, outGroup: 8, seedLo: 0, seedHi: 0, balanced: false, generator: 2, shuffled });
  it('reachShares: plain grouped convs never mix; a shuffle mixes G groups per layer; per-channel expanders mix fastest', () => {
    // 32 channels, 4 groups of 8, D = 8: one input group per block.
    expect(reachShares([grouped(32, 32, 8, false), grouped(32, 32, 8, false), grouped(32, 32, 8, false)])).toEqual([0.25, 0.25, 0.25]);
    // 64 channels, 8 groups, D = 16 (2 groups per block, G = 4): shuffled, layer 2 reads 2 groups that each saw 2 inputs groups.
    expect(reachShares([grouped(64, 64, 16, false), grouped(64, 64, 16, true)])).toEqual([0.25, 0.5]);
    const channel = (seed: number) => ({ inChannels: 64, outChannels: 64, degree: 16, inGroup: 1, outGroup: 1, seedLo: seed, seedHi: 0, balanced: true });
    const r = reachShares([channel(1), channel(2)]);
    expect(r[0]).toBe(0.25);
    expect(r[1]).toBeGreaterThan(0.9);
    expect(reachShares([])).toEqual([]);
    expect(() => reachShares([grouped(32, 64, 8, false), grouped(32, 32, 8, false)])).toThrow(/layer 1 reads 32 channels but the layer before has 64 outputs/);
  });

  it("variantExpander: 'grouped' shuffles before all but the first sparse layer, 'grouped-plain' never; X variants seed their graphs", () => {
    expect(variantExpander('grouped', 4, 3)).toMatchObject({ kind: 'grouped', shuffle: true, f: 4 });
    expect(variantExpander('grouped-plain', 8, 3)).toMatchObject({ kind: 'grouped', shuffle: false, f: 8 });
    expect(variantExpander('xnet', 2, 3)).toMatchObject({ kind: 'expander', graphNodes: 'groups', seed: 3 });
    expect(variantExpander('xnet-channel', 2, 3)).toMatchObject({ kind: 'expander', graphNodes: 'channels' });
  });

  it('the committed table is what the script computes from the models experiment:expander builds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bexnet-reach-'));
    try {
      const out = join(dir, 'reach.json');
      const r = spawnSync(process.execPath, [new URL('../dist/expander-reach.mjs', import.meta.url).pathname, '--json', out], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      const fresh = JSON.parse(readFileSync(out, 'utf8')), committed = JSON.parse(readFileSync(new URL('../tools/results/expander_reach.json', import.meta.url), 'utf8'));
      expect(fresh.rows).toEqual(committed.rows);
      const variants = ['grouped-plain', 'grouped', 'xnet', 'xnet-input-channel', 'xnet-channel'];
      expect(fresh.rows.map((x: { model: string; variant: string; f: number }) => `${x.model}:${x.variant}:${x.f}`))
        .toEqual(['sketchnet', 'mobilenet'].flatMap((m) => [2, 4, 8].flatMap((f) => variants.map((v) => `${m}:${v}:${f}`))));
      // Grouped convs with no shuffle never mix: every layer reaches 1/f of the first one's inputs (conv2 at f = 8 reads 8 of 32).
      for (const r of fresh.rows.filter((x: { variant: string }) => x.variant === 'grouped-plain'))
        expect(new Set(r.reach), `${r.model} f=${r.f}`).toEqual(new Set([r.model === 'sketchnet' && r.f === 8 ? 0.25 : 1 / r.f]));
      const lines = renderTable('expander_reach', fresh).split('\n');
      expect(lines[0]).toBe('| sketchnet: f | graph | conv2 | conv3 | conv4 | conv5 | distinct input sets in conv2 |');
      expect(lines).toContain('| mobilenet: f | graph | pw2 | pw3 | pw4 | pw5 | distinct input sets in pw2 |');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
