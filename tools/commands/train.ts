// bexnet train: trains a sketchnet / resnet on bundled data with a live progress line.
import { mkdirSync } from 'node:fs';
import { choiceOption, intOption, numberOption, UsageError } from '../args.js';
import { DATASETS, loadDataset, type DataName } from '../data/index.js';
import { setupBackend } from '../train/backend.js';
import { saveModel } from '../train/file-io.js';
import { buildModel, MODELS, type ModelName, type Variant } from '../train/models.js';
import { RECIPES, recipeModelOptions, recipeTrainOptions } from '../train/recipes.js';
import { evaluate, train, type Progress } from '../train/trainer.js';
import type { Command } from './command.js';

const BINARIZE = ['none', 'xnor', 'dabn'] as const;

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a float / XNOR / DABN model on bundled data',
  usage: `bexnet train --data quickdraw|mnist --model sketchnet|resnet --binarize none|xnor|dabn --epochs N --out DIR
  [--classes N]       use N evenly spaced classes (default: all)
  [--batch N]         batch size (default 128)
  [--lr X]            Adam learning rate, cosine decay (default: the variant's recipe, tools/train/recipes.ts)
  [--seed N]          weights init and shuffle seed (default 1)
  [--workers 1|2]     data-parallel worker threads (default 2 on the wasm backend)
  [--last-layer float|binary]  last layer precision for binary models (default float)
  [--width X]         multiply every hidden width (default 1)
Writes DIR/model.json + DIR/weights.bin after every epoch (checkpoints) and at the end.`,
  options: { data: 'value', model: 'value', binarize: 'value', epochs: 'value', out: 'value', classes: 'value', batch: 'value', lr: 'value', seed: 'value', workers: 'value', 'last-layer': 'value', width: 'value' },
  async run(o) {
    const data = choiceOption(o, 'data', DATASETS as readonly DataName[]);
    const modelName = choiceOption(o, 'model', MODELS as readonly ModelName[]);
    const binarize = choiceOption(o, 'binarize', BINARIZE);
    const epochs = intOption(o, 'epochs', NaN);
    if (Number.isNaN(epochs)) throw new UsageError('--epochs is required');
    if (typeof o.out !== 'string') throw new UsageError('--out DIR is required');
    const out = o.out;
    const variant: Variant = binarize === 'none' ? 'float' : binarize;
    const classes = o.classes === undefined ? undefined : intOption(o, 'classes', 0, 2);
    const batchSize = intOption(o, 'batch', RECIPES[variant].batchSize);
    const recipe = RECIPES[variant];
    const learningRate = numberOption(o, 'lr', recipe.learningRate);
    const seed = intOption(o, 'seed', 1, 0);
    const lastLayer = choiceOption(o, 'last-layer', ['float', 'binary'] as const, 'float');
    const width = numberOption(o, 'width', 1);

    const backend = await setupBackend();
    const workers = intOption(o, 'workers', backend.name === 'wasm' ? 2 : 1);
    if (workers > 2) throw new UsageError('--workers must be 1 or 2 (this machine class has 2 cores)');
    const dataset = loadDataset(data, { classes });
    console.error(`${data}: ${dataset.classes.length} classes, ${dataset.train.n} train / ${dataset.test.n} test images (split seed ${dataset.seed})`);
    const model = buildModel(modelName, { ...recipeModelOptions(recipe), variant, classes: dataset.classes.length, seed, lastLayer, width });
    console.error(`${modelName} ${variant}: ${model.countParams().toLocaleString()} parameters; ${workers} worker(s), batch ${batchSize}`);
    mkdirSync(out, { recursive: true });

    const result = await train(model, dataset, { ...recipeTrainOptions(recipe), epochs, batchSize, learningRate, seed, workers, checkpointDir: out, onProgress: progressPrinter() });
    const testAcc = result.testAcc ?? evaluate(model, dataset);
    const meta = { bexnet: { dataset: dataset.name, classes: dataset.classes, model: modelName, variant, recipe: recipe.name, seed, epochs, testAcc, trainImagesPerSec: result.imagesPerSec, backend: backend.name } };
    const bytes = await saveModel(model, out, meta);
    console.log(`test top-1 ${(testAcc * 100).toFixed(2)}% after ${result.epochs} epoch(s), ${result.imagesPerSec.toFixed(0)} images/s (${backend.name}); saved ${out} (${bytes} bytes)`);
    model.dispose();
  },
};

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
