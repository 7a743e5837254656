// The HBN planner's core on synthetic profiles with known answers: ranking by error
// avoided per unit of added cost, budget arithmetic (nothing, everything, exactly at the
// limit, KiB, skipping a layer that does not fit), ties, the accuracy mode, the
// binarization error against a hand-computed case, and plan.json validation.
import { describe, expect, it } from 'vitest';
import { accumulate, binarizationError, emptyStats, estimate, pickWithin, rank, select, selectMeasured, type Candidate, type Cost } from '../tools/plan/hbn';
import { checkPlanFits, parsePlan, PLAN_FORMAT, PLAN_VERSION, type Plan } from '../tools/plan/plan-file';

const cost = (ms: number, bytes = 0, macs = 0): Cost => ({ ms, bytes, macs });
const cand = (name: string, error: number, added: Cost, macs = 1000): Candidate => ({ name, error, macs, added });
const base = cost(1, 10_000, 500);
// ratios on ms: a 0.3, b 0.4, c 0.25, d 0.1; on bytes: a 0.3/100, b 0.2/400, c 0.5/50, d 0.01/10
const A = cand('a', 0.3, cost(1, 100, 10)), B = cand('b', 0.2, cost(0.5, 400, 20)), C = cand('c', 0.5, cost(2, 50, 40)), D = cand('d', 0.01, cost(0.1, 10, 80));
const ALL = [A, B, C, D];

describe('rank: e / Δcost, best first', () => {
  it('orders by the ratio on the budget dimension', () => {
    expect(rank(ALL, 'ms').map((r) => r.name)).toEqual(['b', 'a', 'c', 'd']);
    rank(ALL, 'ms').forEach((r, i) => expect(r.ratio).toBeCloseTo([0.4, 0.3, 0.25, 0.1][i], 12));
    expect(rank(ALL, 'kb').map((r) => r.name)).toEqual(['c', 'a', 'd', 'b']); // 0.01, 0.003, 0.001, 0.0005
    expect(rank(ALL, 'macs').map((r) => r.name)).toEqual(['a', 'c', 'b', 'd']); // 0.03, 0.0125, 0.01, 0.000125
    expect(rank(ALL, 'ms').map((r) => r.rank)).toEqual([1, 2, 3, 4]);
  });
  it('ties: equal ratio → larger error first; equal ratio and error → model order', () => {
    const r = rank([cand('p', 0.2, cost(1)), cand('q', 0.4, cost(2)), cand('r', 0.2, cost(1)), cand('s', 0.4, cost(2))], 'ms');
    expect(r.map((x) => x.name)).toEqual(['q', 's', 'p', 'r']);
    // reversed input order reverses only the equal (ratio, error) pairs
    expect(rank([cand('s', 0.4, cost(2)), cand('r', 0.2, cost(1)), cand('q', 0.4, cost(2)), cand('p', 0.2, cost(1))], 'ms').map((x) => x.name)).toEqual(['s', 'q', 'r', 'p']);
  });
  it('a free or cheaper layer ranks first (ratio +∞); a layer with no error never ranks', () => {
    const r = rank([A, cand('free', 0.01, cost(0)), cand('cheaper', 0.02, cost(-0.1)), cand('none', 0, cost(0.1))], 'ms');
    expect(r.map((x) => x.name)).toEqual(['cheaper', 'free', 'a']);
    expect(r[0].ratio).toBe(Infinity);
  });
  it('rejects duplicate names and non-finite numbers', () => {
    expect(() => rank([A, A], 'ms')).toThrow(/twice/);
    expect(() => rank([cand('x', NaN, cost(1))], 'ms')).toThrow(/error is NaN/);
    expect(() => rank([cand('x', 0.1, cost(Infinity))], 'ms')).toThrow(/added.ms/);
  });
});

describe('select: greedy under one budget (totals of the whole hybrid)', () => {
  it('a budget that admits nothing', () => {
    const s = select(base, ALL, { kind: 'ms', limit: 1.05 });
    expect(s.float).toEqual([]);
    expect(s.infeasible).toBe(false);
    expect(s.estimate).toEqual(base);
  });
  it('a budget that admits everything', () => {
    const s = select(base, ALL, { kind: 'ms', limit: 100 });
    expect(s.float).toEqual(['a', 'b', 'c', 'd']);
    expect(s.estimate).toEqual({ ms: 1 + 1 + 0.5 + 2 + 0.1, bytes: 10_560, macs: 650 });
  });
  it('exactly at the limit fits, a hair under does not', () => {
    // b (1.5), a (2.5), c (4.5), d (4.6)
    expect(select(base, ALL, { kind: 'ms', limit: 2.5 }).float).toEqual(['a', 'b']);
    expect(select(base, ALL, { kind: 'ms', limit: 4.6 }).float).toEqual(['a', 'b', 'c', 'd']);
    expect(select(base, ALL, { kind: 'ms', limit: 4.59 }).float).toEqual(['a', 'b', 'c']);
    // float rounding of sums: 0.1 + 0.2 is 0.30000000000000004 and still fits a 0.3 limit
    expect(select(cost(0.1), [cand('x', 0.5, cost(0.2))], { kind: 'ms', limit: 0.3 }).float).toEqual(['x']);
  });
  it('skips a layer that does not fit and takes a smaller one after it', () => {
    // limit 1.7: b (1.5) fits, a (2.5) and c (3.5) do not, d (1.6) does
    const s = select(base, ALL, { kind: 'ms', limit: 1.7 });
    expect(s.float).toEqual(['b', 'd']);
    expect(s.estimate.ms).toBeCloseTo(1.6, 12);
  });
  it('kb limits are KiB of the .bxn (1024 bytes)', () => {
    const b = cost(0, 1024, 0);
    const x = [cand('x', 0.1, cost(0, 512, 0))];
    expect(select(b, x, { kind: 'kb', limit: 1.5 }).float).toEqual(['x']);
    expect(select(b, x, { kind: 'kb', limit: 1.49 }).float).toEqual([]);
  });
  it('macs: float-input MACs of the whole model, the base included', () => {
    // base 500; a +10 (510), c +40 (550), b +20 (570), d +80 (650)
    expect(select(base, ALL, { kind: 'macs', limit: 570 }).float).toEqual(['a', 'b', 'c']);
    expect(select(base, ALL, { kind: 'macs', limit: 569 }).float).toEqual(['a', 'c']);
    expect(select(base, ALL, { kind: 'macs', limit: 509 }).float).toEqual([]);
  });
  it('the chosen layers come back in model order, not rank order', () => {
    expect(select(base, [D, C, B, A], { kind: 'ms', limit: 2.5 }).float).toEqual(['b', 'a']);
  });
  it('a fully binary model over the limit is infeasible: nothing chosen', () => {
    const s = select(base, ALL, { kind: 'ms', limit: 0.9 });
    expect(s.infeasible).toBe(true);
    expect(s.float).toEqual([]);
    expect(s.estimate).toEqual(base);
  });
  it('layers that save cost are taken first and can bring an over-budget model within the limit', () => {
    // base 1 ms, limit 0.9: saver (−0.5) brings it to 0.5, then a (+1) does not fit, b (+0.3) does: 0.8
    const saver = cand('saver', 0.01, cost(-0.5));
    const s = select(base, [cand('a', 0.5, cost(1)), saver, cand('b', 0.05, cost(0.3))], { kind: 'ms', limit: 0.9 });
    expect([s.infeasible, s.float]).toEqual([false, ['saver', 'b']]);
    expect(s.estimate.ms).toBeCloseTo(0.8, 12);
    // not enough saved: infeasible, nothing chosen
    const t = select(base, [saver], { kind: 'ms', limit: 0.4 });
    expect([t.infeasible, t.float]).toEqual([true, []]);
  });
  it('a free layer is taken even when the budget is exactly the base', () => {
    expect(select(base, [A, cand('free', 0.01, cost(0))], { kind: 'ms', limit: 1 }).float).toEqual(['free']);
  });
  it('exclude drops named layers from the choice', () => {
    expect(select(base, ALL, { kind: 'ms', limit: 2.5 }, new Set(['a'])).float).toEqual(['b', 'd']);
  });
  it('rejects bad limits', () => {
    expect(() => select(base, ALL, { kind: 'ms', limit: -1 })).toThrow(/limit/);
    expect(() => select(base, ALL, { kind: 'ms', limit: NaN })).toThrow(/limit/);
  });
  it('estimate sums what each chosen layer adds', () => {
    expect(estimate(base, ALL, ['c', 'd'])).toEqual({ ms: 3.1, bytes: 10_060, macs: 620 });
    expect(() => estimate(base, ALL, ['z'])).toThrow(/not a candidate/);
  });
});

describe('selectMeasured: the chosen hybrid is measured; over the limit, its worst-ranked layer is dropped', () => {
  it('keeps the estimate\'s choice when the measurement fits', async () => {
    const calls: string[][] = [];
    const s = await selectMeasured(base, ALL, { kind: 'ms', limit: 2.5 }, async (f) => { calls.push(f); return estimate(base, ALL, f); });
    expect([s.float, s.dropped, s.withinBudget, calls]).toEqual([['a', 'b'], [], true, [['a', 'b']]]);
    expect(s.measured.ms).toBe(2.5);
  });
  it('drops layers until the measurement fits (an interaction the additive estimate missed)', async () => {
    // a and b together measure 0.6 ms more than their estimates: {a, b} = 3.1 > 2.5, so a (rank 2 of the two) goes; {b, d} fits
    const measure = async (f: string[]) => { const e = estimate(base, ALL, f); return { ...e, ms: e.ms + (f.includes('a') && f.includes('b') ? 0.6 : 0) }; };
    const s = await selectMeasured(base, ALL, { kind: 'ms', limit: 2.5 }, measure);
    expect([s.float, s.dropped, s.withinBudget]).toEqual([['b', 'd'], ['a'], true]);
    expect(s.measured.ms).toBeCloseTo(1.6, 12);
  });
  it('ends over budget when every hybrid measures over the limit; an infeasible estimate is reported without measuring', async () => {
    const slow = async (f: string[]) => ({ ...estimate(base, ALL, f), ms: 99 });
    const s = await selectMeasured(base, ALL, { kind: 'ms', limit: 2.5 }, slow);
    // {a, b}: a goes; {b, d}: d goes; {b}: b goes; {} is measured and still over
    expect([s.float, s.dropped, s.withinBudget]).toEqual([[], ['a', 'd', 'b'], false]);
    let called = false;
    const t = await selectMeasured(base, ALL, { kind: 'ms', limit: 0.5 }, async () => { called = true; return base; });
    expect([t.infeasible, t.withinBudget, called]).toEqual([true, false, false]);
  });
});

describe('pickWithin: the cheapest ranking prefix within N points of the weight-binarized model', () => {
  const ranking = rank(ALL, 'ms'); // b, a, c, d: prefix costs 1, 1.5, 2.5, 4.5, 4.6
  it('takes the shortest prefix that reaches reference − N points', () => {
    const acc = [0.50, 0.55, 0.58, 0.60, 0.61];
    expect(pickWithin(base, ranking, acc, 0.61, 3, 'ms')).toBe(2); // ≥ 0.58
    expect(pickWithin(base, ranking, acc, 0.61, 2.9, 'ms')).toBe(3);
    expect(pickWithin(base, ranking, acc, 0.61, 0, 'ms')).toBe(4);
    expect(pickWithin(base, ranking, acc, 0.61, 20, 'ms')).toBe(0);
  });
  it('an accuracy that is not monotone in k still gives the cheapest qualifying prefix', () => {
    expect(pickWithin(base, ranking, [0.5, 0.6, 0.55, 0.52, 0.6], 0.6, 0, 'ms')).toBe(1);
  });
  it('needs one accuracy per prefix', () => {
    expect(() => pickWithin(base, ranking, [0.5], 0.6, 1, 'ms')).toThrow(/5 prefix accuracies/);
    expect(() => pickWithin(base, ranking, [0, 0, 0, 0, 0], 0.6, 1, 'ms')).toThrow(/no prefix/);
  });
});

describe('input-binarization error ‖sign(x)·c − x‖ / ‖x‖, c = mean|x|', () => {
  it('matches a hand-computed case', () => {
    // x = [1, −2, 3, 0]: c = 6/4 = 1.5; sign(x)·c − x = [0.5, 0.5, −1.5, 1.5] (sign(0) = +1): 5 over ‖x‖² = 14
    const s = accumulate(emptyStats(), [1, -2, 3, 0]);
    expect(s).toEqual({ n: 4, sumAbs: 6, sumSq: 14 });
    const { error, scale } = binarizationError(s);
    expect(scale).toBe(1.5);
    expect(error).toBeCloseTo(Math.sqrt(5 / 14), 14);
  });
  it('c = mean|x| is the minimiser (any other scale does worse), accumulated over chunks', () => {
    const x = [0.3, -1.2, 2.5, -0.1, 0.7, -3.3, 0.05];
    const s = accumulate(accumulate(emptyStats(), x.slice(0, 3)), x.slice(3));
    const { error, scale } = binarizationError(s);
    const direct = (c: number) => Math.sqrt(x.reduce((a, v) => a + ((v < 0 ? -1 : 1) * c - v) ** 2, 0) / x.reduce((a, v) => a + v * v, 0));
    expect(error).toBeCloseTo(direct(scale), 12);
    for (const d of [-0.2, -0.01, 0.01, 0.2]) expect(direct(scale + d)).toBeGreaterThan(error);
  });
  it('±c inputs lose nothing; an all-zero input has error 0', () => {
    expect(binarizationError(accumulate(emptyStats(), [2, -2, 2, 2])).error).toBe(0);
    expect(binarizationError(accumulate(emptyStats(), [0, 0])).error).toBe(0);
    expect(() => binarizationError(emptyStats())).toThrow(/no calibration/);
  });
});

describe('plan.json validation', () => {
  const layer = (name: string, input: 'float' | 'binary') => ({ name, input, error: 0.5, macs: 100, added: cost(0.1, 10, 100), kernelMs: { binary: 0.01, float: 0.1 }, rank: 1, ratio: 5 });
  const plan: Plan = {
    format: PLAN_FORMAT, version: PLAN_VERSION,
    model: { kind: 'sketchnet', architecture: 'a'.repeat(64), weights: 'w'.repeat(64), candidates: ['conv2', 'conv3'], dir: 'm', classes: 20 },
    calibration: { dataset: 'quickdraw', split: 'train', images: 256, seed: 1, granularity: 'one scale per layer' },
    machine: { cpu: 'x', backend: 'simd' },
    budget: { kind: 'ms', limit: 1 }, base: cost(0.5, 1000, 10),
    layers: [layer('conv2', 'binary'), layer('conv3', 'float')], float: ['conv3'],
    estimate: cost(0.6, 1010, 110), measured: cost(0.6, 1010, 110), spent: 0.6, withinBudget: true,
  };
  const text = JSON.stringify(plan);
  const facts = { kind: 'sketchnet', architecture: 'a'.repeat(64), weights: 'w'.repeat(64), candidates: ['conv2', 'conv3'], float: [] as string[] };
  it('a valid plan parses', () => {
    expect(parsePlan(text).float).toEqual(['conv3']);
  });
  it('truncated, wrong format, wrong version, inconsistent: one line each', () => {
    const bad: [string, RegExp][] = [
      [text.slice(0, text.length / 2), /not valid JSON \(truncated/],
      ['[]', /not a JSON object/],
      [JSON.stringify({ ...plan, format: 'x' }), /not a bexnet plan/],
      [JSON.stringify({ ...plan, version: 2 }), /plan version 2 is not supported/],
      [JSON.stringify({ ...plan, float: ['conv2'] }), /disagrees with the layers marked float/],
      [JSON.stringify({ ...plan, layers: [plan.layers[1]] }), /differ from model.candidates/],
      [JSON.stringify({ ...plan, layers: [plan.layers[0], { ...plan.layers[1], input: 'half' }] }), /input must be "float" or "binary"/],
      [JSON.stringify({ ...plan, budget: { kind: 'watts', limit: 1 } }), /budget.kind/],
      [JSON.stringify({ ...plan, measured: { ms: 1 } }), /measured must be/],
    ];
    for (const [t, re] of bad) {
      expect(() => parsePlan(t, 'p.json')).toThrow(re);
      try { parsePlan(t, 'p.json'); } catch (e) { expect((e as Error).message).not.toContain('\n'); expect((e as Error).message).toMatch(/^p\.json/); }
    }
  });
  it('fits its source model (apply it) and the hybrid trained from it; stale otherwise', () => {
    const p = parsePlan(text);
    expect(checkPlanFits(p, facts)).toBe('source');
    expect(checkPlanFits(p, { ...facts, weights: 'other', float: ['conv3'] })).toBe('hybrid');
    expect(() => checkPlanFits(p, { ...facts, weights: 'other' })).toThrow(/stale.*not the plan's \(conv3\)/);
    expect(() => checkPlanFits(p, { ...facts, architecture: 'b'.repeat(64) })).toThrow(/stale.*architecture/);
    expect(() => checkPlanFits(p, { ...facts, candidates: ['conv2', 'conv3', 'conv6'] })).toThrow(/stale.*layers are conv2, conv3/);
    expect(() => checkPlanFits(p, { ...facts, kind: 'resnet' })).toThrow(/for a sketchnet, this is a resnet/);
  });
});
