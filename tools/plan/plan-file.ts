// plan.json: what `bexnet plan` writes and `bexnet train --plan` / `bexnet export --plan`
// read. Pure (no tfjs, no fs): parsePlan validates the text, checkPlanFits compares it with
// a model's identity. Every failure is a PlanError with one line saying what and where.
import { BUDGET_KINDS, type BudgetKind, type Cost } from './hbn.js';

export const PLAN_FORMAT = 'bexnet-hbn-plan';
export const PLAN_VERSION = 1;

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

/** Who the plan is for. */
export interface ModelIdentity {
  /** The model kind whose candidate list was used ('sketchnet'). */
  kind: string;
  /** sha256 of the topology with every candidate's input binary and initializer seeds dropped: equal for the plan's hybrids. */
  architecture: string;
  /** sha256 of the weights the plan was measured on (the fully binary model it was made from). */
  weights: string;
  /** Candidate layers, in model order. */
  candidates: string[];
  /** Where the source model was (informative; identity is by the hashes). */
  dir: string;
  classes: number;
}

export interface PlanLayer {
  name: string;
  input: 'float' | 'binary';
  error: number;
  macs: number;
  /** Added to the fully binary model's cost when this layer alone takes float inputs (measured). */
  added: Cost;
  /** The layer's own kernel time with binary inputs (bconv2d) and float inputs (conv2dBinaryWeights), sdk profile, ms. */
  kernelMs: { binary: number; float: number };
  /** 1-based rank (null: avoids no error, never chosen), and e / Δ on the budget's dimension (null: +∞ or unranked). */
  rank: number | null;
  ratio: number | null;
}

export type PlanBudget =
  | { kind: BudgetKind; limit: number }
  /** reference: the weight-binarized hybrid's top-1; accuracy[k]: the ranking's k-prefix's (validation images, after finetuneEpochs; 0 = zero-shot). */
  | { kind: 'accuracy'; points: number; rankedBy: BudgetKind; reference: number; accuracy: number[]; finetuneEpochs: number; validation: number };

export interface Plan {
  format: typeof PLAN_FORMAT;
  version: number;
  model: ModelIdentity;
  calibration: { dataset: string; split: 'train'; images: number; seed: number; granularity: string };
  machine: { cpu: string; backend: string };
  budget: PlanBudget;
  /** The fully binary model, measured. */
  base: Cost;
  layers: PlanLayer[];
  /** The chosen float-input layers, model order. */
  float: string[];
  /** base + Σ added over `float`. */
  estimate: Cost;
  /** The exported hybrid, measured (bytes and MACs exact, ms the sdk's median). */
  measured: Cost;
  /** Budgets: the measured value on the budget's dimension (KiB for kb) and whether it is within the limit. */
  spent: number;
  withinBudget: boolean;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

/** Validates plan.json's text; `where` names the file in messages. */
export function parsePlan(text: string, where = 'plan.json'): Plan {
  let j: unknown;
  try { j = JSON.parse(text); } catch (e) {
    throw new PlanError(`${where} is not valid JSON (truncated or not a plan: ${(e as Error).message})`);
  }
  const bad = (what: string): never => { throw new PlanError(`${where}: ${what}`); };
  if (!isObj(j)) bad('not a JSON object');
  const p = j as Record<string, unknown>;
  if (p.format !== PLAN_FORMAT) bad(`not a bexnet plan (format ${JSON.stringify(p.format)}, expected "${PLAN_FORMAT}")`);
  if (p.version !== PLAN_VERSION) bad(`plan version ${JSON.stringify(p.version)} is not supported (this bexnet reads version ${PLAN_VERSION}; re-run bexnet plan)`);
  const cost = (v: unknown, what: string) => { if (!isObj(v) || !num(v.ms) || !num(v.bytes) || !num(v.macs)) bad(`${what} must be {ms, bytes, macs} numbers`); };
  const m = p.model;
  if (!isObj(m) || typeof m.kind !== 'string' || typeof m.architecture !== 'string' || typeof m.weights !== 'string' || typeof m.dir !== 'string' || !num(m.classes)
    || !Array.isArray(m.candidates) || !m.candidates.every((c) => typeof c === 'string')) bad('model must be {kind, architecture, weights, candidates, dir, classes}');
  const candidates = (m as { candidates: string[] }).candidates;
  if (new Set(candidates).size !== candidates.length) bad('model.candidates has a name twice');
  if (!isObj(p.calibration) || !isObj(p.machine)) bad('calibration and machine must be objects');
  const b = p.budget;
  if (!isObj(b)) bad('budget missing');
  const bb = b as Record<string, unknown>;
  if (bb.kind === 'accuracy') {
    if (!num(bb.points) || !BUDGET_KINDS.includes(bb.rankedBy as BudgetKind) || !num(bb.reference) || !Array.isArray(bb.accuracy)) bad('accuracy budget must be {kind, points, rankedBy, reference, accuracy}');
  } else if (!BUDGET_KINDS.includes(bb.kind as BudgetKind) || !num(bb.limit)) bad(`budget.kind must be ${[...BUDGET_KINDS, 'accuracy'].join(' | ')} with a numeric limit`);
  for (const k of ['base', 'estimate', 'measured'] as const) cost(p[k], k);
  if (!Array.isArray(p.layers)) bad('layers must be an array');
  const layers = p.layers as unknown[];
  layers.forEach((l, i) => {
    if (!isObj(l) || typeof l.name !== 'string') bad(`layers[${i}] has no name`);
    const L = l as Record<string, unknown>;
    if (L.input !== 'float' && L.input !== 'binary') bad(`layers[${i}] (${L.name}): input must be "float" or "binary", got ${JSON.stringify(L.input)}`);
    if (!num(L.error) || !num(L.macs)) bad(`layers[${i}] (${L.name}): error and macs must be numbers`);
    cost(L.added, `layers[${i}].added`);
  });
  const names = layers.map((l) => (l as PlanLayer).name);
  if (names.join() !== candidates.join()) bad(`layers (${names.join(', ')}) differ from model.candidates (${candidates.join(', ')})`);
  if (!Array.isArray(p.float) || !p.float.every((n) => typeof n === 'string')) bad('float must be a list of layer names');
  const float = p.float as string[];
  const marked = layers.filter((l) => (l as PlanLayer).input === 'float').map((l) => (l as PlanLayer).name);
  if (float.join() !== marked.join()) bad(`float (${float.join(', ') || 'none'}) disagrees with the layers marked float (${marked.join(', ') || 'none'})`);
  if (!num(p.spent) || typeof p.withinBudget !== 'boolean') bad('spent and withinBudget missing');
  return p as unknown as Plan;
}

/** What a model offers the plan check: its identity and which candidates currently take float inputs. */
export interface ModelFacts { kind: string; architecture: string; weights: string; candidates: string[]; float: string[] }

/**
 * Whether `plan` belongs to `model`: same kind, candidates and architecture (else the plan
 * is stale: one line). Returns 'source' when the weights are the ones the plan was measured on
 * (the fully binary model: apply the plan to it), 'hybrid' when the model already takes
 * exactly the plan's float inputs (trained with --plan).
 */
export function checkPlanFits(plan: Plan, model: ModelFacts, where = 'plan.json'): 'source' | 'hybrid' {
  const stale = (why: string): never => { throw new PlanError(`${where} is stale or for another model: ${why} (re-run bexnet plan on this model)`); };
  if (plan.model.kind !== model.kind) stale(`it is for a ${plan.model.kind}, this is a ${model.kind}`);
  if (plan.model.candidates.join() !== model.candidates.join()) stale(`its layers are ${plan.model.candidates.join(', ')}, this model's are ${model.candidates.join(', ')}`);
  if (plan.model.architecture !== model.architecture) stale(`architecture ${plan.model.architecture.slice(0, 12)} ≠ this model's ${model.architecture.slice(0, 12)} (widths, classes or layers differ)`);
  if (model.float.join() === plan.float.join()) return 'hybrid';
  if (plan.model.weights === model.weights) return 'source';
  return stale(`this model's float-input layers (${model.float.join(', ') || 'none'}) are not the plan's (${plan.float.join(', ') || 'none'}) and its weights are not the ones the plan was measured on`);
}

/** The budget line of a plan, and whether `measured` keeps it (accuracy plans have no cost limit: null). */
export function budgetCheck(plan: Plan, measured: Cost): { text: string; within: boolean | null } {
  const b = plan.budget;
  if (b.kind === 'accuracy') return { text: `accuracy plan (within ${b.points} points of the weight-binarized model); no cost limit`, within: null };
  const value = b.kind === 'ms' ? measured.ms : b.kind === 'kb' ? measured.bytes / 1024 : measured.macs;
  const unit = b.kind === 'ms' ? 'ms' : b.kind === 'kb' ? 'KiB' : 'float MACs';
  const within = value <= b.limit + 1e-9 * Math.max(1, Math.abs(b.limit));
  return { text: `--max-${b.kind} ${b.limit}: measured ${+value.toFixed(4)} ${unit}, ${within ? 'within budget' : 'OVER budget'}`, within };
}
