// The HBN planner's core (methods.md §3): which binary layers keep float inputs.
// Pure arithmetic on measured numbers — no tfjs, no sdk, no files — so every rule
// here is unit-tested on synthetic profiles (test/plan.hbn.test.ts). The measuring
// (tools/plan/measure.ts) and the command (tools/commands/plan.ts) feed it.
//
// Per candidate layer ℓ (a binary-weight layer whose input may be float or ±1):
//   error  e_ℓ  the normalised input-binarization error ‖sign(x)·c − x‖ / ‖x‖ (c = mean|x|)
//   added  Δ_ℓ  what the whole model gains in cost when ℓ alone takes float inputs
//               (median sdk latency, .bxn bytes, float-input MACs), measured against
//               the fully binary model (`base`).
// A set S of float-input layers is estimated at base + Σ_{ℓ∈S} Δ_ℓ (additive; the
// command re-measures the exported hybrid, since neighbouring ops change too).
//
// Ranking: e_ℓ / Δ_ℓ on the budget's dimension, highest first (error avoided per unit of
// added cost). Δ_ℓ ≤ 0 (free or cheaper) ranks first (ratio +∞); e_ℓ ≤ 0 never ranks (it
// avoids nothing). Ties: larger error first, then model order. Selection walks the
// ranking and takes every layer whose addition keeps the estimate within the limit
// (a layer that does not fit is skipped; a smaller one later may still fit). A layer with
// Δ_ℓ ≤ 0 is always taken (e.g. fewer .bxn bytes: float-input weights pack tighter), so a
// budget just under the fully binary model's cost can still be met.

/** Cost of a whole model, or what one layer adds to it. */
export interface Cost {
  /** Median latency of one inference with the sdk on this machine, ms. */
  ms: number;
  /** .bxn file bytes. */
  bytes: number;
  /** MACs of weight ops reading float inputs (op registry counts). */
  macs: number;
}

export interface Candidate {
  /** The training layer's name (e.g. 'conv3'). */
  name: string;
  /** Normalised input-binarization error on calibration data, in [0, 1]. */
  error: number;
  /** The layer's own MACs (op registry). */
  macs: number;
  /** Added to the fully binary model's cost when this layer alone takes float inputs. */
  added: Cost;
}

export type BudgetKind = 'ms' | 'kb' | 'macs';
export const BUDGET_KINDS: readonly BudgetKind[] = ['ms', 'kb', 'macs'];

/**
 * A limit on the whole hybrid model (totals, not increments):
 *  ms    median sdk latency of one inference, ms;
 *  kb    .bxn file size, KiB (1024 bytes);
 *  macs  MACs of weight ops on float inputs (the first conv and a float last layer included).
 */
export interface Budget { kind: BudgetKind; limit: number }

/** The Cost field a budget kind reads, and the limit in that field's unit. */
export const costOf = (c: Cost, kind: BudgetKind): number => (kind === 'ms' ? c.ms : kind === 'kb' ? c.bytes : c.macs);
export const limitInCostUnits = (b: Budget): number => (b.kind === 'kb' ? b.limit * 1024 : b.limit);

/** a ≤ b, forgiving float rounding of sums (an exactly-at-limit plan fits). */
export const fitsWithin = (a: number, b: number): boolean => a <= b + 1e-9 * Math.max(1, Math.abs(b));

export interface Ranked extends Candidate {
  /** e / Δ on the ranking dimension (+∞ when Δ ≤ 0 and e > 0). */
  ratio: number;
  /** 1-based position in the ranking. */
  rank: number;
}

/** Candidates that avoid some error, best first (see the header for the order). */
export function rank(candidates: readonly Candidate[], kind: BudgetKind): Ranked[] {
  const names = new Set<string>();
  for (const c of candidates) {
    if (names.has(c.name)) throw new Error(`candidate '${c.name}' appears twice`);
    names.add(c.name);
    for (const [what, v] of [['error', c.error], ['macs', c.macs], ['added.ms', c.added.ms], ['added.bytes', c.added.bytes], ['added.macs', c.added.macs]] as const) {
      if (!Number.isFinite(v)) throw new Error(`candidate '${c.name}': ${what} is ${v}`);
    }
  }
  return candidates
    .map((c, order) => {
      const d = costOf(c.added, kind);
      return { c, order, ratio: d > 0 ? c.error / d : Infinity };
    })
    .filter(({ c }) => c.error > 0)
    .sort((a, b) => (b.ratio - a.ratio) || (b.c.error - a.c.error) || (a.order - b.order))
    .map(({ c, ratio }, i) => ({ ...c, ratio, rank: i + 1 }));
}

export interface Selection {
  budget: Budget;
  /** The chosen float-input layers, in the candidates' (model) order. */
  float: string[];
  ranking: Ranked[];
  /** base + Σ added over the chosen layers. */
  estimate: Cost;
  /** Even with every free / cost-saving layer taken the estimate exceeds the limit: nothing is chosen and the budget is not met. */
  infeasible: boolean;
}

/** Estimated cost of a set of float-input layers. */
export function estimate(base: Cost, candidates: readonly Candidate[], float: Iterable<string>): Cost {
  const by = new Map(candidates.map((c) => [c.name, c]));
  const out = { ...base };
  for (const n of float) {
    const c = by.get(n);
    if (!c) throw new Error(`'${n}' is not a candidate (${[...by.keys()].join(', ')})`);
    out.ms += c.added.ms; out.bytes += c.added.bytes; out.macs += c.added.macs;
  }
  return out;
}

/** Greedy selection under one budget (see the header); `exclude` names layers not to choose (the command's re-measure loop). */
export function select(base: Cost, candidates: readonly Candidate[], budget: Budget, exclude: ReadonlySet<string> = new Set()): Selection {
  if (!BUDGET_KINDS.includes(budget.kind)) throw new Error(`unknown budget kind '${budget.kind}'`);
  if (!(budget.limit >= 0) || !Number.isFinite(budget.limit)) throw new Error(`budget limit must be a finite number ≥ 0, got ${budget.limit}`);
  const ranking = rank(candidates, budget.kind);
  const limit = limitInCostUnits(budget);
  let spent = costOf(base, budget.kind);
  const chosen = new Set<string>();
  for (const r of ranking) {
    if (exclude.has(r.name)) continue;
    const d = costOf(r.added, budget.kind);
    // A layer that adds nothing (or saves) is always taken: it cannot break a budget.
    if (d <= 0 || fitsWithin(spent + d, limit)) { chosen.add(r.name); spent += d; }
  }
  const infeasible = !fitsWithin(spent, limit);
  if (infeasible) chosen.clear();
  const float = candidates.filter((c) => chosen.has(c.name)).map((c) => c.name);
  return { budget, float, ranking, estimate: estimate(base, candidates, float), infeasible };
}

/**
 * Accuracy mode ("smallest cost within N points of the weight-binarized model"): the
 * hybrids considered are the ranking's prefixes P_0 = {} ... P_k = the k best ranked; the
 * weight-binarized reference is every candidate with float inputs (P_all). `accuracy[k]`
 * is P_k's measured top-1 for k = 0..ranking.length, and `reference` P_all's (in [0, 1]).
 * Returns the k of the cheapest prefix (estimated cost on `kind`; ties: the shorter)
 * whose accuracy ≥ reference − points/100.
 */
export function pickWithin(base: Cost, ranking: readonly Ranked[], accuracy: readonly number[], reference: number, points: number, kind: BudgetKind): number {
  if (accuracy.length !== ranking.length + 1) throw new Error(`need ${ranking.length + 1} prefix accuracies, got ${accuracy.length}`);
  if (!(points >= 0)) throw new Error(`points must be ≥ 0, got ${points}`);
  const floor = reference - points / 100;
  let best = -1, bestCost = Infinity, cost = costOf(base, kind);
  for (let k = 0; k <= ranking.length; k++) {
    if (k > 0) cost += costOf(ranking[k - 1].added, kind);
    if (accuracy[k] >= floor - 1e-12 && cost < bestCost - 1e-12) { best = k; bestCost = cost; }
  }
  // P_all meets its own reference, so some prefix always qualifies when the ranking covers every candidate.
  if (best < 0) throw new Error(`no prefix reaches ${(floor * 100).toFixed(2)}% (reference ${(reference * 100).toFixed(2)}% − ${points} points)`);
  return best;
}

/**
 * Input-binarization error with the best scale, one scale per layer (all elements of all
 * calibration images): min_c ‖sign(x)·c − x‖² is at c = Σ|x| / N = mean|x| (the derivative
 * Σ(sign(x)·c − x)·sign(x) = N·c − Σ|x|, as sign(x)·x = |x|, sign(0) = +1 included), where
 * ‖sign(x)·c − x‖² = Σx² − (Σ|x|)² / N, so e = sqrt(1 − (Σ|x|)² / (N·Σx²)) ∈ [0, 1].
 * One scalar per layer because that is the scale a binary layer can absorb: c multiplies
 * every ±1 input, so it folds into the per-output transform (A, B of ARCHITECTURE.md);
 * a per-channel or per-image c has no place in bconv2d (binary weights, batch norm with
 * fixed statistics), so measuring it would understate what binarizing loses.
 */
export interface InputStats { n: number; sumAbs: number; sumSq: number }

export const emptyStats = (): InputStats => ({ n: 0, sumAbs: 0, sumSq: 0 });

/** Adds values (in float64) to the statistics. */
export function accumulate(s: InputStats, values: ArrayLike<number>): InputStats {
  let a = 0, q = 0;
  for (let i = 0; i < values.length; i++) { const v = values[i]; a += Math.abs(v); q += v * v; }
  s.n += values.length; s.sumAbs += a; s.sumSq += q;
  return s;
}

/** e = ‖sign(x)·c − x‖ / ‖x‖ with c = mean|x|; 0 for an all-zero input (nothing to lose). */
export function binarizationError(s: InputStats): { error: number; scale: number } {
  if (s.n === 0) throw new Error('no calibration values');
  const scale = s.sumAbs / s.n;
  if (s.sumSq === 0) return { error: 0, scale };
  return { error: Math.sqrt(Math.max(0, 1 - (s.sumAbs * s.sumAbs) / (s.n * s.sumSq))), scale };
}

export interface MeasuredSelection extends Selection {
  /** The chosen hybrid as measured (after export). */
  measured: Cost;
  /** Layers dropped because the measured hybrid was over the limit, in drop order. */
  dropped: string[];
  withinBudget: boolean;
}

/**
 * select(), then measure the chosen hybrid; while the measurement is over the limit (the
 * additive estimate missed an interaction, or timing moved), drop the worst-ranked chosen layer
 * and select again without it. Ends within budget, or with no layer left to drop (withinBudget false).
 */
export async function selectMeasured(base: Cost, candidates: readonly Candidate[], budget: Budget,
  measure: (float: string[]) => Promise<Cost>): Promise<MeasuredSelection> {
  const limit = limitInCostUnits(budget);
  const dropped: string[] = [];
  for (;;) {
    const s = select(base, candidates, budget, new Set(dropped));
    if (s.infeasible) return { ...s, measured: base, dropped, withinBudget: false };
    const measured = await measure(s.float);
    const within = fitsWithin(costOf(measured, budget.kind), limit);
    if (within || !s.float.length) return { ...s, measured, dropped, withinBudget: within };
    dropped.push(s.ranking.filter((r) => s.float.includes(r.name)).at(-1)!.name);
  }
}
