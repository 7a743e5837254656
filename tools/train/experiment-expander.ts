// The X-Net accuracy experiment (issue 9): sketchnet (or, --model mobilenet, the float
// MobileNet with X pointwise convs) dense vs grouped convs vs X-Net
// (expander graphs) at the same D = C_in / f, each float / xnor / dabn, on the fixed
// seeded QuickDraw-345 split (or MNIST as a sanity check), each binarization with its
// default recipe (tools/train/recipes.ts; --recipes names others: the committed results
// ran under v2, `--recipes float-v2,dabn-v2`). The plan (tools/train/expander-plan.ts): f = 4 with seeds 1, 2 for every
// variant, f = 2 and 8 with seed 1; dense, f-independent, once per seed; and one DABN
// X-Net whose classifier is a binary-weight X-Dense too (issue 9's size target). Jobs
// run as child processes, two at a time by default, as experiment-binarization does.
//
//   npm run experiment:expander -- [options]   (--help lists them)
//
// --quick: 20 classes, 2 epochs, seed 1 (a smoke run of the whole pipeline).
// --size-only --binarization dabn: only the size job. One results file holds every binarization:
// a run may add binarizations to it (settingsMismatch), and keeps the rows of the ones it did not plan.
// At width 1 conv2 has 32 inputs, too few for f = 8 in groups of 8: it reads D = 8
// there (expander.clampDegree) for grouped and X-Net alike; params and .bxn bytes say so.
// Writes {"rows":[{dataset, model, variant, binarization, f, head, params, bxnBytes, floatBytes,
// top1, top1Seeds, top1Std, epochs, seeds, cpu, recipe}], jobs, settings, ...} to --json;
// a rerun with the same --json and settings skips the finished jobs. floatBytes: the tfjs
// model as saved (model.json + weights); bxnBytes: tools/export's .bxn (f32 float layers).
// `node tools/render-readme.mjs` renders the README table, `node tools/plot-expander.mjs`
// the plot (tools/results/expander.svg).
// Imports are static so a job has loaded all its code when training starts (a rebuild
// during a run renames dist's chunks; see experiment-binarization.ts). A long run is best
// launched from a snapshot: cp -r dist build package.json SNAP/; ln -s $PWD/node_modules SNAP/.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { epochCounts, lastStartDeadline, runJobProcess, runQueue, writeResultsAtomic } from './experiment-common.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuModel } from '../machine.js';
import { entryUrl } from '../entries.mjs';
import { opt, orExit, runScript, UsageError } from '../args.js';
import { DATASETS, loadDataset } from '../data/index.js';
import { setupBackend } from './backend.js';
import { saveModel } from './file-io.js';
import { buildModel } from './models.js';
import { RECIPES, RECIPES_BY_NAME, recipeModelOptions, recipeTrainOptions, recipesNamed } from './recipes.js';
import { evaluate, train } from './trainer.js';
import { exportModel } from '../export/export.js';
import {
  BINARIZATIONS, DEFAULT_PLAN, DEFAULT_VARIANTS, EXPANDER_MODELS, EXPANDER_VARIANTS, jobKey, mergedSettings, parseJobKey, pendingJobs, planJobs, settingsMismatch, summarizeRows, variantExpander, CLAMP_DEGREE,
  type Binarization, type ExpanderJob, type ExpanderJobResult, type ExpanderSettings,
} from './expander-plan.js';

const o = runScript('npm run experiment:expander -- [options]', {
  dataset: opt.choice(DATASETS, 'data set (mnist: a sanity check)', 'quickdraw'),
  model: opt.choice(EXPANDER_MODELS, "the net: sketchnet's conv2..conv5 or mobilenet's pointwise convs (float only) become X / grouped", 'sketchnet'),
  variants: opt.choices(EXPANDER_VARIANTS, "variants (xnet-input-channel, xnet-channel: finer graphs, diagnostics; the sdk cannot load xnet-channel)", [...DEFAULT_VARIANTS]),
  binarization: opt.choices(BINARIZATIONS, 'binarizations', [...BINARIZATIONS]),
  recipes: opt.choices([...RECIPES_BY_NAME.keys()], "named recipes replacing their binarizations' defaults, comma-separated (the committed results: float-v2,dabn-v2; expander_v4.json, expander_mobilenet_v4.json: float-v4)", []),
  f: opt.ints(`f values, comma-separated (default ${DEFAULT_PLAN.fs.join(',')})`, [], { min: 1 }),
  'main-f': opt.int(`the f that runs every seed (the others run the first seed; default ${DEFAULT_PLAN.mainF})`),
  seeds: opt.ints(`seeds, comma-separated (default ${DEFAULT_PLAN.seeds.join(',')}; --quick: 1)`, []),
  epochs: opt.int("epochs of every job (default each recipe's; --quick: 2)"),
  classes: opt.int('classes (default all: QuickDraw 345, MNIST 10; --quick: 20 QuickDraw)', undefined, { min: 2 }),
  batch: opt.int('batch size', RECIPES.float.batchSize),
  jobs: opt.int('training processes at a time', 2),
  out: opt.string('model directory (default a new temporary one)', undefined, { placeholder: 'DIR' }),
  json: opt.string('write the result to FILE (a rerun with it skips the finished jobs)', undefined, { placeholder: 'FILE' }),
  quick: opt.flag('20 classes, 2 epochs, seed 1: a smoke run of the whole pipeline'),
  'size-only': opt.flag("only issue 9's size job: a DABN X-Net at the main f, first seed, binary-weight X-Dense classifier"),
  'last-start': opt.string('start no job after this UTC time HH:MM (a job cut off by the end of a session is lost; the finished ones are kept)', undefined, { placeholder: 'HH:MM' }),
  job: opt.string('internal: run one job VARIANT:BINARIZATION:F:SEED (F - for dense) and print its result', undefined, { placeholder: 'JOB' }),
}, process.argv.slice(2).map((a) => (a === '-f' ? '--f' : a))); // help shows one-letter options as -f; --f works too
const quick = o.quick, dataset = o.dataset;
const classes = o.classes ?? (quick && dataset === 'quickdraw' ? 20 : undefined);
// Each binarization trains with its default recipe unless --recipes names another for it.
const recipes = recipesNamed(o.recipes);
const epochsOf = (b: Binarization): number => o.epochs ?? (quick ? 2 : recipes[b].epochs);
const batchSize = o.batch, parallel = o.jobs;
const fs = o.f.length ? o.f : [...DEFAULT_PLAN.fs];
const mainF = o['main-f'] ?? (fs.includes(DEFAULT_PLAN.mainF) ? DEFAULT_PLAN.mainF : fs[0]);
const seeds = o.seeds.length ? o.seeds : quick ? [1] : [...DEFAULT_PLAN.seeds];
const modelName = o.model;
if (modelName === 'mobilenet' && o.binarization.some((b) => b !== 'float')) orExit(() => { throw new UsageError('--model mobilenet is float only: pass --binarization float'); });

async function runJob(job: ExpanderJob, outDir: string): Promise<ExpanderJobResult> {
  const info = await setupBackend({ quiet: true });
  tf.enableProdMode();
  const recipe = recipes[job.binarization], epochs = epochsOf(job.binarization);
  const data = loadDataset(dataset, { classes });
  const model = buildModel(modelName, {
    ...recipeModelOptions(recipe), variant: job.binarization, classes: data.classes.length, seed: job.seed,
    ...(job.variant === 'dense' ? {} : { expander: { ...variantExpander(job.variant, job.f!, job.seed), head: job.head === 'x-binary' } }),
    // The size job's classifier: binary weights on the float features, as an X-Dense.
    ...(job.head === 'x-binary' ? { lastLayer: 'binary' as const, floatInputs: ['conv6'] } : {}),
  });
  const tag = jobKey(job);
  const r = await train(model, data, {
    ...recipeTrainOptions(recipe), epochs, batchSize, seed: job.seed, evalEachEpoch: false,
    onProgress: (p) => {
      if (p.phase === 'epoch') console.error(`[${tag}] epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(3)} train-acc ${(p.acc * 100).toFixed(1)}% ${p.imagesPerSec.toFixed(0)} img/s`);
    },
  });
  const top1 = r.testAcc ?? evaluate(model, data);
  const floatBytes = await saveModel(model, join(outDir, `${modelName === 'sketchnet' ? '' : `${modelName}-`}${tag.replaceAll(':', '-')}`), { bexnet: { dataset, classes: data.classes, seed: job.seed, epochs, recipe: recipe.name } });
  let bxnBytes: number | null = null;
  try {
    bxnBytes = exportModel(model).bytes.byteLength;
  } catch (e) {
    console.error(`[${tag}] no .bxn size: ${(e as Error).message}`);
  }
  const params = model.countParams();
  model.dispose();
  return { ...job, top1, params, bxnBytes, floatBytes, trainImages: data.train.n * r.epochs, imagesPerSec: r.imagesPerSec, seconds: r.seconds, backend: info.description, recipe: recipe.name, epochs };
}

if (o.job !== undefined) {
  // Child: one job; its result as JSON on the last stdout line.
  const job = parseJobKey(o.job);
  if (!job) orExit(() => { throw new UsageError(`--job must be VARIANT:BINARIZATION:F:SEED (F - for dense), got '${o.job}'`); });
  const res = await runJob(job!, o.out ?? tmpdir());
  console.log(JSON.stringify(res));
  process.exit(0);
}

const plan = orExit(() => {
  try {
    const jobs = planJobs({ variants: o.variants, binarizations: o.binarization, fs, seeds, mainF });
    if (!o['size-only']) return jobs;
    if (modelName !== 'sketchnet' || !o.binarization.includes('dabn') || !o.variants.includes('xnet')) throw new Error('--size-only is a DABN X-Net of the sketch net: pass --binarization dabn (and keep xnet in --variants)');
    return jobs.filter((j) => j.head === 'x-binary');
  } catch (e) { throw new UsageError((e as Error).message); }
});
// The data set's name as rows record it (quickdraw-345, mnist-10 ...): the class count is known without loading it.
const datasetName = `${dataset}${classes ? `-${classes}` : dataset === 'quickdraw' ? '-345' : '-10'}`;
const outDir = o.out ?? join(tmpdir(), `bexnet-experiment-expander-${process.pid}`);
const self = fileURLToPath(entryUrl('experiment-expander'));
console.error(`experiment: ${modelName} ${o.variants.join('/')} × ${o.binarization.join('/')} on ${datasetName}, f ${fs.join(',')} (f ${mainF}: seeds ${seeds.join(',')}; others: seed ${seeds[0]}), recipes ${o.binarization.map((b) => `${recipes[b].name} (${epochsOf(b)} epochs)`).join(', ')}, batch ${batchSize}, ${parallel} job(s) at a time, models in ${outDir}`);
// Resumable: --json keeps every finished job; a rerun with the same settings skips them.
const settings: ExpanderSettings = {
  dataset: datasetName, epochs: epochCounts(Object.fromEntries(o.binarization.map((b) => [b, epochsOf(b)]))), batchSize,
  recipes: o.binarization.map((b) => recipes[b].name), clampDegree: CLAMP_DEGREE, ...(modelName !== 'sketchnet' && { model: modelName }),
};
const previous = o.json !== undefined && existsSync(o.json) ? JSON.parse(readFileSync(o.json, 'utf8')) as { settings?: ExpanderSettings; jobs?: ExpanderJobResult[]; wallSeconds?: number } : null;
if (previous?.jobs?.length) {
  const why = settingsMismatch(previous.settings, settings);
  if (why) orExit(() => { throw new UsageError(`${o.json}: ${why}; pass another --json to start a new one`); });
}
const savedSettings = mergedSettings(previous?.jobs?.length ? previous.settings : undefined, settings);
mkdirSync(outDir, { recursive: true });
const results: ExpanderJobResult[] = previous?.jobs ?? [];
const queue = pendingJobs(plan, results);
const total = plan.length;
if (results.length) console.error(`resuming: ${results.length} job(s) already in ${o.json}, ${queue.length} to run`);
const t0 = performance.now();
const earlierWall = previous?.wallSeconds ?? 0;
const cpu = cpuModel();

function spawnJob(job: ExpanderJob): Promise<ExpanderJobResult> {
  return runJobProcess(self, jobKey(job), ['--model', modelName, '--binarization', job.binarization, '--dataset', dataset, ...(classes ? ['--classes', String(classes)] : []), ...(o.recipes.length ? ['--recipes', o.recipes.join(',')] : []), '--out', outDir, '--epochs', String(epochsOf(job.binarization)), '--batch', String(batchSize)]);
}

function summary() {
  const wall = earlierWall + (performance.now() - t0) / 1000;
  const trainImages = results.reduce((s, r) => s + r.trainImages, 0);
  return {
    rows: summarizeRows(plan, results, { dataset: datasetName, epochs: savedSettings.epochs, cpu, model: modelName }), settings: savedSettings, jobs: results,
    trainImagesPerSec: +(trainImages / wall).toFixed(1),
    backend: `${results[0]?.backend ?? 'unknown'}; ${parallel} training process(es) in parallel`, cpu,
    batchSize, wallSeconds: +wall.toFixed(0),
    command: `npm run experiment:expander -- ${process.argv.slice(2).join(' ')}`.trim(),
  };
}
function save() {
  if (o.json === undefined) return;
  writeResultsAtomic(o.json, summary());
}

// --last-start: the next UTC occurrence of HH:MM, checked before each job starts.
const failed = await runQueue(queue, {
  parallel, planned: total, lastStart: lastStartDeadline(o['last-start']), key: jobKey, run: spawnJob,
  done(r, progress) {
    results.push(r);
    save();
    console.error(`done ${progress}: ${jobKey(r)} top-1 ${(r.top1 * 100).toFixed(2)}% (${r.seconds.toFixed(0)} s, ${r.imagesPerSec.toFixed(0)} img/s)`);
  },
});
const out = summary();
console.log('| variant | binarization | f | classifier | params | top-1 mean | per seed | std | tfjs bytes | .bxn bytes |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of out.rows) console.log(`| ${r.variant} | ${r.binarization} | ${r.f ?? '-'} | ${r.head} | ${r.params} | ${(r.top1 * 100).toFixed(2)}% | ${r.top1Seeds.map((v) => (v * 100).toFixed(1)).join(' / ')} | ${(r.top1Std * 100).toFixed(2)} | ${r.floatBytes} | ${r.bxnBytes ?? '-'} |`);
console.log(`training throughput ${out.trainImagesPerSec} img/s over ${out.wallSeconds} s (${out.backend})`);
save();
process.exit(failed.length ? 1 : 0);
