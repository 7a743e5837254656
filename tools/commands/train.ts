// bexnet train: trains a sketchnet / resnet on bundled data with a live progress line.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { opt, UsageError, type OptionValues } from '../args.js';
import { checkPlanFits, PlanError } from '../plan/plan-file.js';
import { freshHybrid, modelFacts, withFloatInputs } from '../plan/measure.js';
import { datasetFor, readPlanFile, trainedMeta } from './plan.js';
import '../train/layers.js';
import { DATASETS, loadDataset, type DataName } from '../data/index.js';
import { setupBackend } from '../train/backend.js';
import { loadModel, saveModel } from '../train/file-io.js';
import { buildModel, MODELS, VARIANTS, type ModelName, type Variant } from '../train/models.js';
import { RECIPES, RECIPES_BY_NAME, recipeModelOptions, recipeTrainOptions } from '../train/recipes.js';
import { evaluate, train, type Progress } from '../train/trainer.js';
import { commandUsage, type Command } from './command.js';

const BINARIZE = ['none', 'xnor', 'dabn'] as const;

const options = {
  data: opt.choice(DATASETS as readonly DataName[], 'bundled data set', undefined, { required: true }),
  model: opt.choice(MODELS as readonly ModelName[], 'architecture (required without --plan)'),
  binarize: opt.choice(BINARIZE, 'float, XNOR or DABN binary weights and activations (required without --plan)'),
  epochs: opt.int('epochs', undefined, { required: true }),
  out: opt.string('checkpoint and result directory', undefined, { required: true, placeholder: 'DIR' }),
  classes: opt.int('use N evenly spaced classes (default: all)', undefined, { min: 2 }),
  batch: opt.int("batch size (default: the variant's recipe, tools/train/recipes.ts)"),
  lr: opt.number("learning rate at the start of the cosine decay (default: the variant's recipe, whose optimizer it is)"),
  seed: opt.int("weights init and shuffle seed (default 1; with --plan, the plan's model's)", undefined, { min: 0 }),
  workers: opt.int('data-parallel worker threads, 1 or 2 (default 2 on the wasm backend, else 1)'),
  'last-layer': opt.choice(['float', 'binary'] as const, 'last layer precision for binary models', 'float'),
  'float-inputs': opt.string("binary models: these binary convs read float inputs (binary weights only); 'all' = every one (WBin)", undefined, { placeholder: 'all|NAME,...' }),
  width: opt.number('multiply every hidden width', 1),
  expander: opt.choice(['2', '4', '8'] as const, "X-Net: sketchnet's conv2-conv5, or every 3x3 conv in the resnet's blocks, read 1/F of their input channels (expander graphs, FORMAT.md §10)"),
  'graph-seed': opt.int('graph seed of the first X-conv (the next take +1, +2, ...)', 1, { min: 0 }),
  recipe: opt.choice([...RECIPES_BY_NAME.keys()], "a named recipe of tools/train/recipes.ts for this variant (default: the variant's current one)"),
  plan: opt.string("fine-tune the hybrid of a plan.json (bexnet plan): its float-input layers, starting from the weights the plan was measured on; architecture and variant come from that model", undefined, { placeholder: 'FILE' }),
  'from-scratch': opt.flag("with --plan: train the hybrid from the initial weights the plan's model started from (its initialisers and seed), not fine-tune its trained ones"),
};

export const trainCommand: Command<typeof options> = {
  name: 'train',
  usage: commandUsage(`bexnet train --data quickdraw|mnist --model sketchnet|resnet|mobilenet --binarize none|xnor|dabn --epochs N --out DIR [options]
       bexnet train --plan plan.json [--from-scratch] --data quickdraw|mnist --epochs N --out DIR [options]`, options,
    'Writes DIR/model.json + DIR/weights.bin after every epoch (checkpoints) and at the end.'),
  options,
  async run(o) {
    if (o.plan !== undefined) return trainPlan(o);
    if (o['from-scratch']) throw new UsageError('--from-scratch is for --plan (a new model is always trained from scratch)');
    const { data, binarize, epochs, out, classes, width } = o;
    const seed = o.seed ?? 1;
    if (o.model === undefined) throw new UsageError(`--model is required (${MODELS.join(' | ')})`);
    if (binarize === undefined) throw new UsageError('--binarize is required (none | xnor | dabn)');
    const modelName = o.model;
    const variant: Variant = binarize === 'none' ? 'float' : binarize;
    const recipe = o.recipe === undefined ? RECIPES[variant] : RECIPES_BY_NAME.get(o.recipe)!;
    if (recipe.variant !== variant) throw new UsageError(`--recipe ${recipe.name} is for ${recipe.variant}, not --binarize ${binarize}`);
    const batchSize = o.batch ?? recipe.batchSize;
    const learningRate = o.lr ?? recipe.learningRate;
    const lastLayer = o['last-layer'];

    const backend = await setupBackend();
    const workers = o.workers ?? (backend.name === 'wasm' ? 2 : 1);
    if (workers > 2) throw new UsageError('--workers must be 1 or 2 (this machine class has 2 cores)');
    const dataset = loadDataset(data, { classes });
    console.error(`${data}: ${dataset.classes.length} classes, ${dataset.train.n} train / ${dataset.test.n} test images (split seed ${dataset.seed})`);
    const expander = o.expander === undefined ? undefined : { f: Number(o.expander) as 2 | 4 | 8, seed: o['graph-seed'] };
    const fi = o['float-inputs'];
    if (fi !== undefined && variant === 'float') throw new UsageError('--float-inputs is for binary models (--binarize xnor|dabn)');
    const floatInputs = fi === undefined ? undefined : fi === 'all' ? 'all' as const : fi.split(',').map((s) => s.trim()).filter(Boolean);
    let model: tf.LayersModel;
    try {
      model = buildModel(modelName, { ...recipeModelOptions(recipe), variant, classes: dataset.classes.length, seed, lastLayer, width, expander, floatInputs });
    } catch (e) { throw new UsageError((e as Error).message); }
    console.error(`${modelName} ${variant}: ${model.countParams().toLocaleString()} parameters; ${workers} worker(s), batch ${batchSize}`);
    mkdirSync(out, { recursive: true });

    const result = await train(model, dataset, { ...recipeTrainOptions(recipe), epochs, batchSize, learningRate, seed, workers, checkpointDir: out, onProgress: progressPrinter() });
    const testAcc = result.testAcc ?? evaluate(model, dataset);
    const meta = { bexnet: { dataset: dataset.name, classes: dataset.classes, model: modelName, variant, ...(expander && { expander }), recipe: recipe.name, seed, epochs, testAcc, trainImagesPerSec: result.imagesPerSec, backend: backend.name } };
    const bytes = await saveModel(model, out, meta);
    console.log(`test top-1 ${(testAcc * 100).toFixed(2)}% after ${result.epochs} epoch(s), ${result.imagesPerSec.toFixed(0)} images/s (${backend.name}); saved ${out} (${bytes} bytes)`);
    model.dispose();
  },
};

/**
 * --plan: the plan's source model with the plan's float inputs, fine-tuned from its weights, or
 * with --from-scratch trained from the initial weights it started from (same recipe as its variant
 * unless --recipe / --lr). From scratch is for models whose trained weights do not survive the
 * switch: on the small ResNet a float input reads the residual stream through a ReLU where the
 * sign kept its negative half, and the hybrid starts near chance (README, HBN experiment).
 */
async function trainPlan(o: OptionValues<typeof options>) {
  const plan = readPlanFile(o.plan!);
  const { epochs, out } = o;
  const scratch = o['from-scratch'];
  const backend = await setupBackend();
  let source: tf.LayersModel;
  try { source = await loadModel(plan.model.dir); } catch (e) { throw new PlanError(`${o.plan}: its model ${plan.model.dir} cannot be loaded (${(e as Error).message.split('\n')[0]})`); }
  if (checkPlanFits(plan, modelFacts(source), o.plan) !== 'source' && plan.float.length) {
    throw new PlanError(`${o.plan}: ${plan.model.dir} already takes the plan's float inputs; fine-tune it with --plan only from the model the plan was made from`);
  }
  const meta = trainedMeta(source);
  const seed = o.seed ?? meta.seed ?? 1;
  // The initial weights come from the source's initialisers, whose seeds its build drew from meta.seed.
  if (scratch && o.seed !== undefined && meta.seed !== undefined && o.seed !== meta.seed) {
    throw new UsageError(`--from-scratch starts from the initial weights ${plan.model.dir} started from (seed ${meta.seed}): omit --seed or pass --seed ${meta.seed}`);
  }
  const variant = (meta.variant ?? '') as Variant;
  if (!VARIANTS.includes(variant) || variant === 'float') throw new PlanError(`${o.plan}: its model's variant '${meta.variant}' is not a binary one`);
  const given = { model: o.model, binarize: o.binarize === 'none' ? 'float' : o.binarize };
  if (given.model !== undefined && given.model !== meta.model) throw new UsageError(`--model ${given.model}, but the plan's model is a ${meta.model}`);
  if (given.binarize !== undefined && given.binarize !== variant) throw new UsageError(`--binarize ${o.binarize}, but the plan's model is ${variant}`);
  if (o.expander !== undefined || o.width !== 1 || o['last-layer'] !== 'float') throw new UsageError('--expander, --width and --last-layer come from the plan\'s model with --plan');
  const recipe = o.recipe === undefined ? RECIPES[variant] : RECIPES_BY_NAME.get(o.recipe)!;
  if (recipe.variant !== variant) throw new UsageError(`--recipe ${recipe.name} is for ${recipe.variant}, not ${variant}`);
  const classes = (source.outputs[0].shape as number[]).at(-1)!;
  if (o.classes !== undefined && o.classes !== classes) throw new UsageError(`--classes ${o.classes}, but the plan's model has ${classes}`);
  const dataset = datasetFor(o.data, meta, classes);
  const model = await (scratch ? freshHybrid : withFloatInputs)(source, plan.float);
  source.dispose();
  const workers = o.workers ?? (backend.name === 'wasm' ? 2 : 1);
  if (workers > 2) throw new UsageError('--workers must be 1 or 2 (this machine class has 2 cores)');
  const batchSize = o.batch ?? recipe.batchSize, learningRate = o.lr ?? recipe.learningRate;
  console.error(`${meta.model} ${variant} hybrid: float inputs at ${plan.float.join(', ') || 'none'} (${o.plan}), ${scratch ? `trained from scratch as ${plan.model.dir} was (seed ${seed})` : `fine-tuning from ${plan.model.dir}`}; ${dataset.classes.length} classes, ${workers} worker(s), batch ${batchSize}, lr ${learningRate}`);
  mkdirSync(out, { recursive: true });
  const result = await train(model, dataset, { ...recipeTrainOptions(recipe), epochs, batchSize, learningRate, seed, workers, checkpointDir: out, onProgress: progressPrinter() });
  const testAcc = result.testAcc ?? evaluate(model, dataset);
  const bexnet = { ...meta, dataset: dataset.name, classes: dataset.classes, variant, recipe: recipe.name, seed, epochs, testAcc, trainImagesPerSec: result.imagesPerSec, backend: backend.name,
    floatInputs: plan.float, plan: { file: resolve(o.plan!), from: plan.model.dir, weights: plan.model.weights, training: scratch ? 'scratch' : 'finetune' } };
  const bytes = await saveModel(model, out, { bexnet });
  console.log(`test top-1 ${(testAcc * 100).toFixed(2)}% after ${result.epochs} epoch(s) of ${scratch ? 'training the hybrid from scratch' : 'fine-tuning the hybrid'} (float inputs: ${plan.float.join(', ') || 'none'}); saved ${out} (${bytes} bytes)`);
  model.dispose();
}

/** A live progress line on a terminal; a line per ~10% of an epoch in logs. */
function progressPrinter(): (p: Progress) => void {
  const tty = process.stderr.isTTY;
  let lastLogged = -1;
  const eta = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60)}m` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`);
  return (p) => {
    if (p.phase === 'epoch') {
      if (tty) process.stderr.write('\r\x1b[K');
      console.error(`epoch ${p.epoch}/${p.epochs}  loss ${p.loss.toFixed(3)}  train ${(p.acc * 100).toFixed(1)}%` +
        `${p.testAcc === undefined ? '' : `  test ${(p.testAcc * 100).toFixed(1)}%`}  ${p.imagesPerSec.toFixed(0)} img/s`);
      return;
    }
    const width = 24, filled = Math.round((width * p.batch) / p.batches);
    const line = `epoch ${p.epoch}/${p.epochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.batch}/${p.batches}` +
      `  loss ${p.loss.toFixed(3)}  acc ${(p.acc * 100).toFixed(1)}%  ${p.imagesPerSec.toFixed(0)} img/s  ETA ${eta(p.etaSec)}`;
    if (tty) process.stderr.write(`\r\x1b[K${line}`);
    else {
      const decile = Math.floor((10 * p.batch) / p.batches);
      if (decile !== lastLogged) { lastLogged = decile; console.error(line); }
    }
  };
}
