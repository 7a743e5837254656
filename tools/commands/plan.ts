// bexnet plan: HBN — which binary layers of a trained model keep float inputs under a
// budget (methods.md §3). Measures each candidate's input-binarization error on
// calibration images and its added cost with the sdk on this machine, ranks, selects
// (tools/plan/hbn.ts), exports the chosen hybrid and measures it against the budget,
// and writes plan.json (tools/plan/plan-file.ts).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { opt, UsageError } from '../args.js';
import { DATASETS, loadDataset, loadQuickdraw, type DataName, type Dataset } from '../data/index.js';
import { cpuModel } from '../machine.js';
import { pickWithin, rank, selectMeasured, fitsWithin, costOf, limitInCostUnits, BUDGET_KINDS, type Budget, type BudgetKind, type Candidate, type Cost } from '../plan/hbn.js';
import {
  accuracyOn, architectureHash, calibrationSlices, candidatesOf, fineTunedAccuracy, floatInputsOf, inputErrors, measureCosts, measureHybrid, modelKind,
  weightsHash, withScaledFloatInputs,
} from '../plan/measure.js';
import { parsePlan, PlanError, PLAN_FORMAT, PLAN_VERSION, type Plan, type PlanBudget } from '../plan/plan-file.js';
import { setupBackend } from '../train/backend.js';
import type { Variant } from '../train/models.js';
import { RECIPES, recipeTrainOptions } from '../train/recipes.js';
import { loadModel } from '../train/file-io.js';
import '../train/layers.js';
import '../train/expander-layers.js';
import '../train/regularize.js'; // SeededDropout
import { commandUsage, kb, table, type Command } from './command.js';

const options = {
  data: opt.choice(DATASETS as readonly DataName[], "the model's data set (calibration images come from its training split)", undefined, { required: true }),
  'max-ms': opt.number("median latency of one inference of the exported hybrid, ms (the sdk on this machine)"),
  'max-slowdown': opt.number("--max-ms as a multiple of the fully binary model's latency measured now (e.g. 1.5)"),
  'max-kb': opt.number('size of the exported hybrid .bxn, KiB'),
  'max-macs': opt.number("MACs of weight ops on float inputs in the hybrid (the first conv and a float last layer included)"),
  'within-points': opt.number('accuracy mode: the cheapest hybrid within N top-1 points of the weight-binarized one (see README)'),
  'rank-by': opt.choice(BUDGET_KINDS, 'accuracy mode: the cost that ranks layers and is minimised', 'ms'),
  calibration: opt.int('calibration images (training split) for the input-binarization errors', 256),
  validation: opt.int('accuracy mode: further training-split images, held out from the fine-tuning, to score hybrids on', 1000),
  'finetune-epochs': opt.int("accuracy mode: epochs each hybrid is fine-tuned from the model's weights before it is scored (0: zero-shot, float inputs read x / c)", 1, { min: 0 }),
  'finetune-steps': opt.int('accuracy mode: stop each fine-tuning after N steps (quick runs)'),
  'finetune-lr': opt.number("accuracy mode: fine-tuning learning rate (default: a quarter of the variant's recipe)"),
  workers: opt.int('accuracy mode: data-parallel fine-tuning threads, 1 or 2 (default 2 on the wasm backend)'),
  seed: opt.int('seed of the calibration / validation draw', 1, { min: 0 }),
  rounds: opt.int('timing rounds (each runs every measured model once, round robin; medians)', 200),
  out: opt.string('where to write the plan (default: MODEL/plan.json)', undefined, { placeholder: 'FILE' }),
};

/** The bexnet metadata a trained model directory carries. */
export interface TrainedMeta { dataset?: string; classes?: string[]; model?: string; variant?: string; recipe?: string; seed?: number }
export const trainedMeta = (m: { getUserDefinedMetadata(): unknown }): TrainedMeta => ((m.getUserDefinedMetadata() as { bexnet?: TrainedMeta } | undefined)?.bexnet ?? {});

/** The data set a model was trained on: its classes by name (QuickDraw) or count, checked against the metadata. */
export function datasetFor(data: DataName, meta: TrainedMeta, classes: number): Dataset {
  const names = meta.classes;
  const ds = data === 'quickdraw' && names?.length ? loadQuickdraw({ names }) : loadDataset(data, { classes });
  if (names?.length && ds.classes.join() !== names.join()) throw new UsageError(`the model was trained on ${names.length} classes (${names.slice(0, 3).join(', ')}, …) that --data ${data} does not give`);
  if (ds.classes.length !== classes) throw new UsageError(`the model has ${classes} outputs, --data ${data} gives ${ds.classes.length} classes`);
  return ds;
}

const fmtMs = (v: number) => `${v.toFixed(3)} ms`;
const describeCost = (c: Cost) => `${fmtMs(c.ms)}, ${kb(c.bytes)} (${c.bytes} B), ${c.macs.toLocaleString()} float MACs`;

export const planCommand: Command<typeof options> = {
  name: 'plan',
  usage: commandUsage('bexnet plan MODEL_DIR --data quickdraw|mnist (--max-ms N | --max-kb N | --max-macs N | --within-points N) [options]', options,
    `HBN: binary weights everywhere, float inputs only where they pay. For each candidate layer
(sketchnet: conv2-conv5, conv6 when binary) it measures on calibration images from the
training split the input-binarization error e = ‖sign(x)·c − x‖/‖x‖ (c = mean|x|, one scale
per layer), exports the fully binary model and each one-float-input hybrid and times them
with the sdk here (round robin, medians), ranks layers by e / added cost and takes them
while the budget allows. Budgets are totals of the hybrid, checked on the exported hybrid,
measured; a layer is dropped until the measurement fits. Accuracy mode: the cheapest prefix of
the ranking whose top-1, after a short fine-tune from the model's weights, on held-out
training-split images, is within N points of every candidate on float inputs.
Writes plan.json and prints the table.
Then: bexnet train --plan plan.json (fine-tunes the hybrid), bexnet export DIR --plan plan.json.`),
  options,
  positionals: 1,
  async run(o, [dir]) {
    if (!dir) throw new UsageError('missing the model directory (bexnet plan MODEL_DIR --data quickdraw --max-ms N)');
    try { statSync(join(dir, 'model.json')); } catch { throw new UsageError(`${join(dir, 'model.json')} not found (a directory written by bexnet train)`); }
    const modes = (['max-ms', 'max-slowdown', 'max-kb', 'max-macs', 'within-points'] as const).filter((k) => o[k] !== undefined);
    if (o['max-slowdown'] !== undefined && !(o['max-slowdown'] >= 1)) throw new UsageError(`--max-slowdown must be ≥ 1 (a multiple of the fully binary model's latency), got ${o['max-slowdown']}`);
    if (modes.length !== 1) throw new UsageError(`give exactly one of --max-ms, --max-slowdown, --max-kb, --max-macs, --within-points${modes.length ? ` (got ${modes.map((m) => `--${m}`).join(', ')})` : ''}`);
    const mode = modes[0];
    const out = o.out ?? join(dir, 'plan.json');

    const backend = await setupBackend({ quiet: true });
    const model = await loadModel(dir);
    const meta = trainedMeta(model);
    const classes = (model.outputs[0].shape as number[]).at(-1)!;
    const candidates = candidatesOf(model);
    const already = floatInputsOf(model);
    if (already.length) console.error(`note: ${dir} already takes float inputs at ${already.join(', ')}; the plan starts from its weights with every candidate binary`);
    const data = datasetFor(o.data, meta, classes);
    const nVal = mode === 'within-points' ? o.validation : 0;
    const slices = calibrationSlices(data, o.calibration, nVal, o.seed);

    console.error(`${model.name}: candidates ${candidates.join(', ')}; ${o.calibration} calibration images (training split, seed ${o.seed}); tfjs ${backend.name}`);
    const errors = inputErrors(model, candidates, slices.calibration);
    const costs = await measureCosts(model, candidates, o.rounds);
    const cands: Candidate[] = candidates.map((n) => ({ name: n, error: errors.get(n)!.error, macs: costs.layers.get(n)!.macs, added: costs.layers.get(n)!.added }));

    let float: string[], budget: PlanBudget, rankedBy: BudgetKind, measured: Cost, limit: number | null = null;
    if (mode === 'within-points') {
      // Accuracy mode: the ranking's prefixes, each fine-tuned from the model's weights (or
      // zero-shot with --finetune-epochs 0) and scored on validation images (see README).
      rankedBy = o['rank-by'];
      const ranking = rank(cands, rankedBy);
      const epochs = o['finetune-epochs'];
      const variant = meta.variant as Variant;
      if (epochs > 0 && !RECIPES[variant]) throw new UsageError(`accuracy mode fine-tunes with the variant's recipe; this model's variant is '${meta.variant}'`);
      const recipe = RECIPES[variant];
      const workers = o.workers ?? (backend.name === 'wasm' ? 2 : 1);
      if (workers > 2) throw new UsageError('--workers must be 1 or 2');
      const tune = epochs > 0 ? { ...recipeTrainOptions(recipe), epochs, learningRate: o['finetune-lr'] ?? recipe.learningRate / 4, seed: o.seed, workers, maxSteps: o['finetune-steps'] } : null;
      const scales = new Map([...errors].map(([n, e]) => [n, e.scale]));
      const scored = new Map<string, number>();
      const score = async (set: string[]) => {
        const key = candidates.filter((n) => set.includes(n)).join();
        if (!scored.has(key)) {
          let acc: number;
          if (tune) acc = await fineTunedAccuracy(model, set, data, slices.fineTune, slices.validation, tune);
          else {
            const h = await withScaledFloatInputs(model, set, scales);
            try { acc = accuracyOn(h, slices.validation.x, slices.validation.y); } finally { h.dispose(); }
          }
          scored.set(key, acc);
          console.error(`  float inputs ${key || 'none'}: ${(acc * 100).toFixed(2)}% on ${nVal} validation images${tune ? ` after ${epochs} epoch(s) of fine-tuning` : ' (zero-shot)'}`);
        }
        return scored.get(key)!;
      };
      const reference = await score(candidates);
      const accuracy: number[] = [];
      for (let k = 0; k <= ranking.length; k++) accuracy.push(await score(ranking.slice(0, k).map((r) => r.name)));
      const k = pickWithin(costs.base, ranking, accuracy, reference, o['within-points'] as number, rankedBy);
      const chosen = new Set(ranking.slice(0, k).map((r) => r.name));
      float = candidates.filter((n) => chosen.has(n));
      budget = { kind: 'accuracy', points: o['within-points'] as number, rankedBy, reference, accuracy, finetuneEpochs: epochs, validation: nVal };
      const m = await measureHybrid(model, float, o.rounds);
      measured = m.cost;
      if (!tune && reference < accuracy[0]) console.error(`note: zero-shot, every candidate on float inputs (${(reference * 100).toFixed(2)}%) scores below the fully binary model (${(accuracy[0] * 100).toFixed(2)}%): its later layers were trained on binarized inputs; fine-tune (--finetune-epochs N) to compare hybrids`);
      console.error(`accuracy mode: weight-binarized reference ${(reference * 100).toFixed(2)}%, ranking prefixes ${accuracy.map((a) => (a * 100).toFixed(1)).join(' / ')}%`);
    } else {
      const kind: BudgetKind = mode === 'max-ms' || mode === 'max-slowdown' ? 'ms' : mode === 'max-kb' ? 'kb' : 'macs';
      rankedBy = kind;
      // --max-slowdown: an ms budget relative to the fully binary model as measured in this process.
      const b: Budget = { kind, limit: mode === 'max-slowdown' ? +(o['max-slowdown']! * costs.base.ms).toFixed(4) : o[mode] as number };
      if (mode === 'max-slowdown') console.error(`--max-slowdown ${o['max-slowdown']}: ${o['max-slowdown']} × the fully binary ${costs.base.ms.toFixed(4)} ms = --max-ms ${b.limit}`);
      limit = limitInCostUnits(b);
      budget = b;
      // Select on the estimate, then export and measure; while the measured hybrid is over the
      // limit, its worst-ranked layer is dropped and the rest selected again (hbn.ts selectMeasured).
      const s = await selectMeasured(costs.base, cands, b, async (f) => (await measureHybrid(model, f, o.rounds)).cost);
      if (s.infeasible) throw new Error(`over budget even with every cost-saving layer: the fully binary model measures ${describeCost(costs.base)}, the limit is --max-${kind} ${b.limit}`);
      if (s.dropped.length) console.error(`measured over the limit: dropped ${s.dropped.join(', ')}`);
      float = s.float;
      measured = s.measured;
    }
    const ranking = rank(cands, rankedBy);
    const estimate = cands.filter((c) => float.includes(c.name)).reduce((e, c) => ({ ms: e.ms + c.added.ms, bytes: e.bytes + c.added.bytes, macs: e.macs + c.added.macs }), { ...costs.base });
    const spentRaw = costOf(measured!, rankedBy);
    const plan: Plan = {
      format: PLAN_FORMAT, version: PLAN_VERSION,
      model: { kind: modelKind(model), architecture: architectureHash(model), weights: weightsHash(model), candidates, dir: resolve(dir), classes },
      calibration: { dataset: data.name, split: 'train', images: o.calibration, seed: o.seed, granularity: 'one scale c = mean|x| per layer over all calibration values' },
      machine: { cpu: cpuModel(), backend: `sdk ${costs.backend}` },
      budget: budget!, base: costs.base,
      layers: candidates.map((n) => {
        const r = ranking.find((x) => x.name === n);
        const c = costs.layers.get(n)!;
        return { name: n, input: float.includes(n) ? 'float' : 'binary', error: errors.get(n)!.error, macs: c.macs, added: c.added, kernelMs: c.kernelMs, rank: r?.rank ?? null, ratio: r && Number.isFinite(r.ratio) ? r.ratio : null };
      }),
      float: float!, estimate, measured: measured!,
      spent: rankedBy === 'kb' ? spentRaw / 1024 : spentRaw,
      withinBudget: limit === null ? true : fitsWithin(spentRaw, limit),
    };
    writeFileSync(out, JSON.stringify(plan, null, 2) + '\n');

    const unit = rankedBy === 'ms' ? 'ms' : rankedBy === 'kb' ? 'B' : 'MAC';
    console.log(`${model.name} on ${cpuModel()}: fully binary ${describeCost(costs.base)}`);
    console.log(table([
      ['layer', 'input', 'error', 'MACs', 'kernel ms binary', 'kernel ms float', '+ms', '+bytes', '+float MACs', `rank (e per ${unit})`],
      ...plan.layers.map((l) => [l.name, l.input, l.error.toFixed(4), l.macs.toLocaleString(), l.kernelMs.binary.toFixed(4), l.kernelMs.float.toFixed(4),
        l.added.ms.toFixed(4), l.added.bytes, l.added.macs.toLocaleString(), l.rank === null ? '-' : `${l.rank} (${l.ratio === null ? '∞' : l.ratio.toPrecision(3)})`]),
    ]));
    const lim = budget!.kind === 'accuracy' ? `within ${budget!.points} points of the weight-binarized model` : `--max-${budget!.kind} ${budget!.limit}`;
    console.log(`float inputs: ${float!.join(', ') || 'none'} (${lim})`);
    console.log(`estimated ${describeCost(estimate)}; measured after export ${describeCost(measured!)}`);
    console.log(`${plan.withinBudget ? 'within budget' : 'OVER budget'}; wrote ${out}`);
    model.dispose();
    if (!plan.withinBudget) throw new Error(`the hybrid with no float inputs measured ${plan.spent} > ${budget!.kind === 'accuracy' ? '' : budget!.limit}: the budget cannot be met`);
  },
};

/** plan.json from disk, validated (one-line PlanError on anything wrong). */
export function readPlanFile(file: string): Plan {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new PlanError(`cannot read ${file}: ${(e as Error).message}`); }
  return parsePlan(text, file);
}
