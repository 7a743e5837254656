// The HBN experiment's plan, resume and rows (issue 10), free of tfjs so it is tested
// directly: per model and seed, float / WBin (binary weights, float inputs) / FBin (fully
// binary DABN) trained from scratch, and two planner-chosen hybrids fine-tuned from FBin
// under latency budgets relative to FBin's (bexnet plan --max-slowdown). Rows carry the
// mean top-1 over seeds; latency, bytes and MACs come from the first seed's files, timed
// together in one process (tools/train/experiment-hybrid.ts).

export const HYBRID_MODELS = ['sketchnet', 'resnet'] as const;
export type HybridModel = (typeof HYBRID_MODELS)[number];
export const HYBRID_VARIANTS = ['float', 'wbin', 'fbin', 'hybrid-1', 'hybrid-2'] as const;
export type HybridVariant = (typeof HYBRID_VARIANTS)[number];
/** The hybrids' budgets: at most this many times FBin's measured latency (issue 10's target: ≤ 1.5×). */
export const SLOWDOWN: Readonly<Record<'hybrid-1' | 'hybrid-2', number>> = { 'hybrid-1': 1.2, 'hybrid-2': 1.5 };
/**
 * How each model's hybrids are trained once planned: fine-tuned from FBin's weights, or from
 * scratch (bexnet train --plan --from-scratch, FBin's initialisers and epochs). The ResNet's
 * are trained from scratch: fine-tuned from FBin its hybrids ended below FBin (34.8%, 34.9% vs
 * 36.1%; a float input reads the residual stream through a ReLU where the sign kept the
 * negative half, and the switched model starts at 2.7% top-1).
 */
export const HYBRID_TRAINING: Readonly<Record<HybridModel, 'finetune' | 'scratch'>> = { sketchnet: 'finetune', resnet: 'scratch' };
/** Seeds per model by default: the sketch net 2, the (slower) ResNet 1. */
export const DEFAULT_SEEDS: Readonly<Record<HybridModel, readonly number[]>> = { sketchnet: [1, 2], resnet: [1] };

export interface HybridJob { model: HybridModel; variant: HybridVariant; seed: number }
export interface HybridJobResult extends HybridJob {
  top1: number;
  /** The job's exported model (its directory holds the checkpoint the hybrids start from). */
  bxn: string;
  dir: string;
  floatInputLayers: string[];
  seconds: number;
}
export interface Measured { latencyMs: number; bxnBytes: number; macsBinary: number; macsFloat: number }
export interface HybridRow extends Measured {
  dataset: string; model: HybridModel; variant: HybridVariant; top1: number; top1Seeds: number[]; floatInputLayers: string[]; cpu: string;
}

export const jobKey = (j: HybridJob) => `${j.model}:${j.variant}:${j.seed}`;

export function parseJobKey(key: string): HybridJob | null {
  const [model, variant, seed] = key.split(':');
  if (!HYBRID_MODELS.includes(model as HybridModel) || !HYBRID_VARIANTS.includes(variant as HybridVariant) || !/^\d+$/.test(seed ?? '')) return null;
  return { model: model as HybridModel, variant: variant as HybridVariant, seed: Number(seed) };
}

/** Every job, FBin before the hybrids that start from it. */
export function planJobs(models: readonly HybridModel[], seedsOf: (m: HybridModel) => readonly number[], variants: readonly HybridVariant[] = HYBRID_VARIANTS): HybridJob[] {
  if (!models.length) throw new Error('no models');
  const order: HybridVariant[] = ['fbin', 'float', 'wbin', 'hybrid-1', 'hybrid-2'];
  if (variants.some((v) => v.startsWith('hybrid')) && !variants.includes('fbin')) throw new Error('the hybrids start from FBin: include fbin');
  const jobs: HybridJob[] = [];
  for (const model of models) {
    const seeds = seedsOf(model);
    if (!seeds.length) throw new Error(`no seeds for ${model}`);
    for (const seed of seeds) for (const variant of order) if (variants.includes(variant)) jobs.push({ model, variant, seed });
  }
  return jobs;
}

/** The job a hybrid waits for. */
export const dependency = (j: HybridJob): HybridJob | null => (j.variant.startsWith('hybrid') ? { ...j, variant: 'fbin' } : null);

/** Jobs not yet done; of those, the ones whose dependency is done (ready to start). */
export function pendingJobs(plan: readonly HybridJob[], done: readonly HybridJob[]): HybridJob[] {
  const keys = new Set(done.map(jobKey));
  return plan.filter((j) => !keys.has(jobKey(j)));
}
export function readyJobs(pending: readonly HybridJob[], done: readonly HybridJob[], running: readonly HybridJob[] = []): HybridJob[] {
  const keys = new Set(done.map(jobKey)), busy = new Set(running.map(jobKey));
  return pending.filter((j) => !busy.has(jobKey(j)) && (dependency(j) === null || keys.has(jobKey(dependency(j)!))));
}

/**
 * One row per (model, variant) with a finished job: top-1 mean over its seeds; latency,
 * bytes, MACs and float-input layers from the measured first-seed file (`measured`, keyed
 * by jobKey), absent until it is measured.
 */
export function summarizeRows(results: readonly HybridJobResult[], measured: ReadonlyMap<string, Measured>, ctx: { dataset: string; cpu: string }): HybridRow[] {
  const rows: HybridRow[] = [];
  for (const model of HYBRID_MODELS) {
    for (const variant of HYBRID_VARIANTS) {
      const runs = results.filter((r) => r.model === model && r.variant === variant).sort((a, b) => a.seed - b.seed);
      if (!runs.length) continue;
      const m = measured.get(jobKey(runs[0]));
      if (!m) continue;
      const top1Seeds = runs.map((r) => r.top1);
      rows.push({
        dataset: ctx.dataset, model, variant, top1: +(top1Seeds.reduce((a, b) => a + b, 0) / top1Seeds.length).toFixed(4), top1Seeds,
        ...m, floatInputLayers: runs[0].floatInputLayers, cpu: ctx.cpu,
      });
    }
  }
  return rows;
}

/** Points no other point beats on both axes (lower latency, higher top-1), by latency. */
export function paretoFront<T extends { latencyMs: number; top1: number }>(points: readonly T[]): T[] {
  const sorted = [...points].sort((a, b) => a.latencyMs - b.latencyMs || b.top1 - a.top1);
  const front: T[] = [];
  for (const p of sorted) if (!front.length || p.top1 > front[front.length - 1].top1) front.push(p);
  return front;
}

/** Issue 10's target for one model: the share of the FBin → WBin gap a hybrid recovers, within 1.5× FBin's latency. */
export function gapRecovered(rows: readonly HybridRow[], model: HybridModel): { variant: HybridVariant; recovered: number; slowdown: number }[] {
  const get = (v: HybridVariant) => rows.find((r) => r.model === model && r.variant === v);
  const fbin = get('fbin'), wbin = get('wbin');
  if (!fbin || !wbin || wbin.top1 === fbin.top1) return [];
  return (['hybrid-1', 'hybrid-2'] as const).flatMap((v) => {
    const h = get(v);
    return h ? [{ variant: v, recovered: (h.top1 - fbin.top1) / (wbin.top1 - fbin.top1), slowdown: h.latencyMs / fbin.latencyMs }] : [];
  });
}
