// The X-Net accuracy experiment's plan and bookkeeping (issue 9), kept free of tfjs and
// of side effects so the tests can check which jobs run, what a rerun skips and what
// rows come out, without training anything. tools/train/experiment-expander.ts runs it;
// reachShares measures how far its sparse layers mix their inputs (tools/train/expander-reach.ts).
//
// Variants: 'dense' (the sketchnet), 'grouped' (conv2..conv5 grouped convs reading
// D = C_in/f channels, conv3..conv5 shuffled: FORMAT.md §10 generator 2) and 'xnet'
// (the same layers on random expander graphs, generator 1; 'xnet-input-channel' and
// 'xnet-channel' on finer graphs, diagnostics; 'grouped-plain' the grouped convs with no
// shuffle, the thesis's baseline), each trained 'float',
// 'xnor' or 'dabn'. Dense does not depend on f: it runs once per seed (f = null).

import { layerChannelTable, type LayerGraph } from '../../sdk/expander.js';
import type { ExpanderOptions } from './models.js';
import { epochCounts, mean, std } from './experiment-common.js';

export type ExpanderVariant = 'dense' | 'grouped' | 'xnet' | 'xnet-input-channel' | 'xnet-channel' | 'grouped-plain';
/**
 * Diagnostics of the graph's granularity (expander-layers.ts GRAPH_NODES), beside 'xnet'
 * (graph nodes of 8 channels, what every X kernel runs): 'xnet-input-channel' (single input
 * channels, blocks of 8 outputs: the float X kernels run it, the binary ones do not) and
 * 'xnet-channel' (every output its own D inputs, the authors' graph: training only, no .bxn).
 */
export const EXPANDER_VARIANTS: readonly ExpanderVariant[] = ['dense', 'grouped', 'xnet', 'xnet-input-channel', 'xnet-channel', 'grouped-plain'];
/** What graph nodes an X variant's layers use. */
const VARIANT_GRAPH_NODES = Object.freeze({ xnet: 'groups', 'xnet-input-channel': 'input-channels', 'xnet-channel': 'channels' } as const);

/**
 * The experiment's layers read D = 8 where C_in / f is smaller (expander.clampDegree): conv2's
 * 32 inputs at f = 8, for grouped and X-Net alike.
 */
export const CLAMP_DEGREE = true;

/** The model's expander options for a sparse variant (the experiment's jobs and expander:reach build the same nets). */
export function variantExpander(variant: Exclude<ExpanderVariant, 'dense'>, f: number, seed: number): ExpanderOptions {
  return {
    f: f as ExpanderOptions['f'], seed, clampDegree: CLAMP_DEGREE,
    // 'grouped-plain': no channel shuffle, so each group only ever sees its own inputs (the
    // grouped convs the thesis measured X-Nets against; 'grouped' is the strong baseline).
    ...(variant === 'grouped' || variant === 'grouped-plain' ? { kind: 'grouped', shuffle: variant === 'grouped' } : { kind: 'expander', graphNodes: VARIANT_GRAPH_NODES[variant] }),
  };
}
/** The experiment's variants unless --variants says otherwise (issue 9's comparison). */
export const DEFAULT_VARIANTS: readonly ExpanderVariant[] = ['dense', 'grouped', 'xnet'];
export type Binarization = 'float' | 'xnor' | 'dabn';
/** The net whose layers become X / grouped: the sketch net (conv2..conv5) or the MobileNet (pointwise convs of blocks 2-5; float only). */
export type ExpanderModel = 'sketchnet' | 'mobilenet';
export const EXPANDER_MODELS: readonly ExpanderModel[] = ['sketchnet', 'mobilenet'];
export const BINARIZATIONS: readonly Binarization[] = ['float', 'xnor', 'dabn'];

export interface ExpanderJob {
  variant: ExpanderVariant;
  binarization: Binarization;
  /** Each output reads C_in / f channels; null for dense. */
  f: number | null;
  seed: number;
  /**
   * 'x-binary': the classifier conv6 is an X-Dense too, with binary weights on the float
   * features (sketchNet expander.head, lastLayer 'binary', floatInputs ['conv6']): the
   * smallest file, issue 9's size target. Absent: conv6 dense with float weights.
   */
  head?: 'x-binary';
}

/** The job of issue 9's size target: a DABN X-Net at the main f, first seed, binary-weight X-Dense classifier. */
export const sizeJob = (mainF: number, seed: number): ExpanderJob => ({ variant: 'xnet', binarization: 'dabn', f: mainF, seed, head: 'x-binary' });

export interface PlanOptions {
  variants: readonly ExpanderVariant[];
  binarizations: readonly Binarization[];
  /** Every f to run (the main one included). */
  fs: readonly number[];
  seeds: readonly number[];
  /** The f that runs every seed (the others run the first seed only). */
  mainF: number;
}

/** Issue 9's plan: f = 4 with seeds 1, 2 for dense / grouped / xnet; f = 2 and 8 with seed 1. */
export const DEFAULT_PLAN: Readonly<Omit<PlanOptions, 'variants' | 'binarizations'>> = Object.freeze({ fs: [2, 4, 8], seeds: [1, 2], mainF: 4 });

export const jobKey = (j: ExpanderJob): string => `${j.variant}:${j.binarization}:${j.f ?? '-'}:${j.seed}${j.head ? `:${j.head}` : ''}`;

/** `VARIANT:BINARIZATION:F:SEED[:x-binary]` (F '-' for dense; x-binary on binary X-Nets only) back to a job, or null when malformed. */
export function parseJobKey(key: string): ExpanderJob | null {
  const [variant, binarization, f, seed, head, ...rest] = key.split(':');
  if (rest.length || !EXPANDER_VARIANTS.includes(variant as ExpanderVariant) || !BINARIZATIONS.includes(binarization as Binarization)) return null;
  const fv = f === '-' ? null : Number(f), sv = Number(seed);
  if ((variant === 'dense') !== (fv === null) || (fv !== null && !(Number.isInteger(fv) && fv >= 1)) || !(Number.isInteger(sv) && sv >= 0) || seed === '') return null;
  if (head !== undefined && (head !== 'x-binary' || variant !== 'xnet' || binarization === 'float')) return null;
  return { variant: variant as ExpanderVariant, binarization: binarization as Binarization, f: fv, seed: sv, ...(head ? { head: 'x-binary' as const } : {}) };
}

/**
 * The jobs, in the order they run: seed-major (a run cut short has every variant at the
 * first seed), the main f before the others, then binarization, then variant. The main f
 * runs every seed, every other f the first seed only, dense every seed once. When the plan
 * has DABN X-Nets, the size job (sizeJob) follows the first seed's main-f jobs.
 */
export function planJobs(p: PlanOptions): ExpanderJob[] {
  if (!p.seeds.length) throw new Error('the plan needs at least one seed');
  if (!p.fs.includes(p.mainF)) throw new Error(`the main f ${p.mainF} is not among --f ${p.fs.join(',')}`);
  const others = p.fs.filter((f, i) => f !== p.mainF && p.fs.indexOf(f) === i);
  const jobs: ExpanderJob[] = [];
  for (const [si, seed] of p.seeds.entries()) {
    for (const f of si === 0 ? [p.mainF, ...others] : [p.mainF]) {
      for (const binarization of p.binarizations) {
        for (const variant of p.variants) {
          if (variant === 'dense' && f !== p.mainF) continue;
          jobs.push({ variant, binarization, f: variant === 'dense' ? null : f, seed });
        }
      }
      if (si === 0 && f === p.mainF && p.variants.includes('xnet') && p.binarizations.includes('dabn')) jobs.push(sizeJob(p.mainF, seed));
    }
  }
  return jobs;
}

/** The planned jobs a previous run has not finished. */
export function pendingJobs(plan: readonly ExpanderJob[], finished: readonly ExpanderJob[]): ExpanderJob[] {
  const done = new Set(finished.map(jobKey));
  return plan.filter((j) => !done.has(jobKey(j)));
}

/** What a job's child process reports. */
export interface ExpanderJobResult extends ExpanderJob {
  top1: number;
  params: number;
  bxnBytes: number | null;
  floatBytes: number;
  trainImages: number;
  imagesPerSec: number;
  seconds: number;
  backend: string;
  recipe: string;
  /** Absent in files written before the recipes' schedules differed: the settings' count. */
  epochs?: number;
}

/** Settings a resumed run must share with the run it continues (else its jobs are not comparable). */
export interface ExpanderSettings {
  dataset: string;
  /** One count for every binarization, or each binarization's (float-v4 trains 48 epochs, dabn-v2 24). */
  epochs: number | Partial<Record<Binarization, number>>;
  batchSize: number;
  /** One recipe name per binarization the file holds ('float-v2', 'dabn-v2' ...: the binarization, '-', the version). */
  recipes: string[];
  clampDegree: boolean;
  /** Absent: the sketch net (the files written before there was a choice). */
  model?: ExpanderModel;
}

const recipeBinarization = (name: string) => name.split('-')[0] as Binarization;

/** The epochs each binarization of `s` trains (a single count applies to every recipe it holds). */
function epochsByBinarization(s: ExpanderSettings): Partial<Record<Binarization, number>> {
  return typeof s.epochs === 'number' ? Object.fromEntries(s.recipes.map((r) => [recipeBinarization(r), s.epochs])) : s.epochs;
}

/** The epochs `binarization` trains under settings `epochs`. */
function epochsFor(epochs: ExpanderSettings['epochs'], binarization: Binarization): number {
  const n = typeof epochs === 'number' ? epochs : epochs[binarization];
  if (n === undefined) throw new Error(`no epoch count for ${binarization} in ${JSON.stringify(epochs)}`);
  return n;
}

/**
 * null when `previous` (a results file's settings) may be continued with `current`, else
 * why not. Everything must match except that a run may add binarizations the file does
 * not hold yet (the float jobs and a later DABN run share one file); a binarization both
 * hold must use the same recipe and epochs.
 */
export function settingsMismatch(previous: unknown, current: ExpanderSettings): string | null {
  const mismatch = `it holds a run with other settings (${JSON.stringify(previous)}, now ${JSON.stringify(current)})`;
  if (typeof previous !== 'object' || previous === null || !Array.isArray((previous as ExpanderSettings).recipes)) return mismatch;
  const { recipes: before, epochs: _e, ...p } = previous as ExpanderSettings;
  const { recipes: now, epochs: _c, ...c } = current;
  if (JSON.stringify(p) !== JSON.stringify(c)) return mismatch;
  const clash = now.find((r) => !before.includes(r) && before.some((b) => recipeBinarization(b) === recipeBinarization(r)));
  if (clash) return `it holds ${recipeBinarization(clash)} jobs trained with another recipe (${before.join(', ')}; now ${clash})`;
  const was = epochsByBinarization(previous as ExpanderSettings), is = epochsByBinarization(current);
  if (Object.values(was).some((n) => !Number.isInteger(n))) return mismatch;
  const longer = (Object.keys(is) as Binarization[]).find((b) => was[b] !== undefined && was[b] !== is[b]);
  return longer ? `it holds ${longer} jobs trained for ${was[longer]} epochs (now ${is[longer]})` : null;
}

/** The settings a continued file records: `current`, its recipes and epochs after the ones `previous` already held. */
export function mergedSettings(previous: ExpanderSettings | undefined, current: ExpanderSettings): ExpanderSettings {
  return {
    ...current, recipes: [...new Set([...(previous?.recipes ?? []), ...current.recipes])],
    epochs: epochCounts({ ...(previous && epochsByBinarization(previous)), ...epochsByBinarization(current) }),
  };
}

export interface ExpanderRow {
  dataset: string;
  model: ExpanderModel;
  variant: ExpanderVariant;
  binarization: Binarization;
  f: number | null;
  /** The classifier: 'dense' (float weights) or 'x-binary' (ExpanderJob.head). */
  head: 'dense' | 'x-binary';
  params: number;
  bxnBytes: number | null;
  floatBytes: number;
  top1: number;
  top1Seeds: number[];
  top1Std: number;
  epochs: number;
  seeds: number[];
  cpu: string;
  recipe: string;
}

/**
 * One row per (variant, binarization, f, head) with at least one finished seed: the plan's
 * groups in plan order, then the groups this run did not plan (an earlier run's, kept whole,
 * so a run of one more variant or binarization adds its rows to the file's). Of a planned
 * group only the planned seeds count (a stray seed does not).
 */
export function summarizeRows(plan: readonly ExpanderJob[], results: readonly ExpanderJobResult[], s: { dataset: string; epochs: ExpanderSettings['epochs']; cpu: string; model?: ExpanderModel }): ExpanderRow[] {
  const groupKey = (j: ExpanderJob) => `${j.variant}:${j.binarization}:${j.f ?? '-'}:${j.head ?? 'dense'}`;
  const planned = new Set(plan.map(jobKey)), plannedGroups = new Set(plan.map(groupKey));
  const counted = results.filter((r) => planned.has(jobKey(r)) || !plannedGroups.has(groupKey(r)));
  const order = [...new Set([...plan, ...counted].map(groupKey))];
  return order.flatMap((g) => {
    const rs = counted.filter((r) => groupKey(r) === g).sort((a, b) => a.seed - b.seed);
    if (!rs.length) return [];
    const top1Seeds = rs.map((r) => +r.top1.toFixed(4));
    return [{
      dataset: s.dataset, model: s.model ?? 'sketchnet', variant: rs[0].variant, binarization: rs[0].binarization, f: rs[0].f, head: rs[0].head ?? 'dense',
      params: rs[0].params, bxnBytes: rs[0].bxnBytes, floatBytes: rs[0].floatBytes,
      top1: +mean(top1Seeds).toFixed(4), top1Seeds, top1Std: +std(top1Seeds).toFixed(4),
      epochs: rs[0].epochs ?? epochsFor(s.epochs, rs[0].binarization), seeds: rs.map((r) => r.seed), cpu: s.cpu, recipe: rs[0].recipe,
    }];
  });
}

/**
 * How far a stack of sparse layers mixes its input (issue 9's expansion, on the trained
 * nets' own graphs): for `graphs` applied in order (each layer's inputs the previous
 * one's outputs), the mean share of the first layer's input channels that an output of
 * each layer depends on. A dense stack gives 1 from the first layer on.
 */
export function reachShares(graphs: readonly LayerGraph[]): number[] {
  if (!graphs.length) return [];
  const n = graphs[0].inChannels;
  let reach: Uint8Array[] = Array.from({ length: n }, (_, c) => { const r = new Uint8Array(n); r[c] = 1; return r; });
  return graphs.map((g, i) => {
    if (g.inChannels !== reach.length) throw new Error(`layer ${i} reads ${g.inChannels} channels but the layer before has ${reach.length} outputs`);
    const table = layerChannelTable(g), next: Uint8Array[] = [];
    let total = 0;
    for (let o = 0; o < g.outChannels; o++) {
      const r = new Uint8Array(n);
      for (let k = 0; k < g.degree; k++) { const from = reach[table[o * g.degree + k]]; for (let c = 0; c < n; c++) r[c] |= from[c]; }
      for (let c = 0; c < n; c++) total += r[c];
      next.push(r);
    }
    reach = next;
    return total / (g.outChannels * n);
  });
}
