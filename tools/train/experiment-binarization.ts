// The full binarization comparison (issue 4, item 8): sketchnet float / xnor / dabn
// on the fixed seeded QuickDraw-345 split, each variant with its recipe
// (tools/train/recipes.ts; --recipes swaps in other named ones), several seeds. Jobs (variant x seed) run as child processes, two at a
// time by default (one per core: two processes scale better here than two
// worker threads of one process, see tools/train/parallel.ts).
//
//   npm run experiment:binarization -- [options]   (--help lists them)
//
// --quick: 20 classes, 2 epochs, seed 1 (a smoke run of the whole pipeline).
// --binary-last: one more DABN job (first seed) whose last layer is binary too
//   (the size-oriented variant; the papers keep the last layer float).
// --last-layer float|binary|binary-weights: the last layer of every binary job
//   (default float; binary-weights = binary weights on float, ReLU'd inputs).
// --float-inputs: binary variants binarize weights only (every binary conv keeps
//   float, ReLU'd inputs): isolates the weight binarization DABN changes.
// Writes {"rows":[{dataset, model, variant, lastLayer, inputs, top1, top1Seeds, bxnBytes,
// bxnBytesInt8Last, floatBytes, epochs, seeds, ...}], trainImagesPerSec, backend} to --json.
// floatBytes: model.json + weights.bin of the trained tfjs model as saved by
// tools/train/file-io.ts (binary variants keep float latent weights, so the size
// is that of the float model of the same architecture). bxnBytes: size of the
// .bxn written by tools/export's exportModel with f32 float layers;
// bxnBytesInt8Last: the same with the float last layer stored int8 (what the
// quickstart ships); null when the model cannot be exported.
// Imports are static so a job has loaded all its code when training starts: a rebuild
// during a run renames dist's chunks, and a job that imported one at its end died after
// 24 epochs. Jobs are spawned from the dist file as it is when they start, so a long run
// is best launched from a snapshot: cp -r dist build package.json SNAP/; ln -s $PWD/node_modules SNAP/.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { lastStartDeadline, mean, runJobProcess, runQueue, std, writeResultsAtomic } from './experiment-common.js';
import { cpuModel } from '../machine.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entryUrl } from '../entries.mjs';
import { opt, orExit, runScript, UsageError } from '../args.js';
import { loadQuickdraw } from '../data/quickdraw.js';
import { setupBackend } from './backend.js';
import { saveModel } from './file-io.js';
import { BLOCK_ORDERS, sketchNet, VARIANTS, type Variant } from './models.js';
import { ARCH, RECIPES, RECIPES_BY_NAME, recipeModelOptions, recipeTrainOptions, recipesNamed } from './recipes.js';
import { evaluate, train } from './trainer.js';
import { exportModel } from '../export/export.js';

const LAST_LAYERS = ['float', 'binary', 'binary-weights'] as const;
type LastLayer = (typeof LAST_LAYERS)[number];
interface JobResult {
  variant: Variant; lastLayer: LastLayer; inputs: 'binary' | 'float'; seed: number; top1: number; trainImages: number;
  bxnBytes: number | null; bxnBytesInt8Last: number | null; floatBytes: number; imagesPerSec: number; seconds: number;
  backend: string; history: { epoch: number; loss: number; acc: number; testAcc?: number }[];
}

const o = runScript('npm run experiment:binarization -- [options]', {
  epochs: opt.int("epochs of every variant (default each recipe's; --quick: 2)"),
  recipes: opt.choices([...RECIPES_BY_NAME.keys()], "named recipes replacing their variants' defaults, comma-separated", []),
  seeds: opt.ints('seeds, comma-separated (default 1,2,3; --quick: 1)', []),
  variants: opt.choices(VARIANTS, 'variants', [...VARIANTS]),
  classes: opt.int('QuickDraw classes (default 345; --quick: 20)', undefined, { min: 2 }),
  batch: opt.int('batch size', RECIPES.float.batchSize),
  jobs: opt.int('training processes at a time', 2),
  out: opt.string('model directory (default a new temporary one)', undefined, { placeholder: 'DIR' }),
  json: opt.string('write the result to FILE', undefined, { placeholder: 'FILE' }),
  quick: opt.flag('20 classes, 2 epochs, seed 1: a smoke run of the whole pipeline'),
  'binary-last': opt.flag('one more DABN job (first seed) whose last layer is binary too'),
  'float-inputs': opt.flag('binary variants binarize weights only (float, ReLU\'d inputs)'),
  'last-layer': opt.choice(LAST_LAYERS, 'last layer of every binary job', 'float'),
  'block-order': opt.choice(BLOCK_ORDERS, 'binary block order', ARCH.blockOrder),
  'conv-relu': opt.choice(['0', '1'] as const, 'ReLU after each binary conv', ARCH.convRelu ? '1' : '0'),
  'last-start': opt.string('start no job after this UTC time HH:MM (a job cut off by the end of a session is lost; the finished ones are kept)', undefined, { placeholder: 'HH:MM' }),
  job: opt.string('internal: run one job VARIANT:LASTLAYER:SEED and print its result', undefined, { placeholder: 'JOB' }),
});
const quick = o.quick, binaryLast = o['binary-last'], floatInputs = o['float-inputs'];
const inputs = floatInputs ? 'float' as const : 'binary' as const;
// Each variant trains with its default recipe unless --recipes names another for it.
const recipes = recipesNamed(o.recipes);
const classes = o.classes ?? (quick ? 20 : 345);
const epochsOf = (v: Variant): number => o.epochs ?? (quick ? 2 : recipes[v].epochs);
const batchSize = o.batch, parallel = o.jobs, variants = o.variants;
const seeds = o.seeds.length ? o.seeds : quick ? [1] : [1, 2, 3];
const blockOrder = o['block-order'], lastLayerAll = o['last-layer'], convRelu = o['conv-relu'] === '1';

async function runJob(variant: Variant, lastLayer: LastLayer, seed: number, outDir: string): Promise<JobResult> {
  const info = await setupBackend({ quiet: true });
  tf.enableProdMode();
  const recipe = recipes[variant], epochs = epochsOf(variant);
  const data = loadQuickdraw({ classes });
  const model = sketchNet({
    ...recipeModelOptions(recipe), variant, classes, seed, blockOrder, convRelu, lastLayer: lastLayer === 'float' ? 'float' : 'binary',
    floatInputs: floatInputs ? 'all' : lastLayer === 'binary-weights' ? ['conv6'] : [],
  });
  const tag = `${variant}${lastLayer === 'float' ? '' : ` ${lastLayer}-last`}${floatInputs ? ' float-inputs' : ''} seed ${seed}`;
  const r = await train(model, data, {
    ...recipeTrainOptions(recipe), epochs, batchSize, seed, evalEachEpoch: false,
    onProgress: (p) => {
      if (p.phase === 'epoch') console.error(`[${tag}] epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(3)} train-acc ${(p.acc * 100).toFixed(1)}% ${p.imagesPerSec.toFixed(0)} img/s`);
    },
  });
  const top1 = r.testAcc ?? evaluate(model, data);
  const floatBytes = await saveModel(model, join(outDir, `${variant}-${lastLayer}-last-seed${seed}`), { bexnet: { dataset: 'quickdraw', classes: data.classes, seed, epochs, recipe: { lr: recipe.learningRate, grad: recipe.weightGrad } } });
  // .bxn sizes from tools/export when it can export this model (null otherwise).
  let bxnBytes: number | null = null, bxnBytesInt8Last: number | null = null;
  try {
    bxnBytes = exportModel(model).bytes.byteLength;
    bxnBytesInt8Last = exportModel(model, { floatEncoding: 'int8' }).bytes.byteLength;
  } catch (e) {
    console.error(`[${tag}] no .bxn size: ${(e as Error).message}`);
  }
  return { variant, lastLayer, inputs, seed, top1, bxnBytes, bxnBytesInt8Last, trainImages: data.train.n * r.epochs, floatBytes, imagesPerSec: r.imagesPerSec, seconds: r.seconds, backend: info.description, history: r.history };
}

if (o.job !== undefined) {
  // Child: one variant x last layer x seed; result as JSON on the last stdout line.
  const [variant, lastLayer, seed] = o.job.split(':');
  if (!VARIANTS.includes(variant as Variant) || !LAST_LAYERS.includes(lastLayer as LastLayer) || !Number.isInteger(Number(seed))) {
    orExit(() => { throw new UsageError(`--job must be VARIANT:LASTLAYER:SEED, got '${o.job}'`); });
  }
  const res = await runJob(variant as Variant, lastLayer as LastLayer, Number(seed), o.out ?? tmpdir());
  console.log(JSON.stringify(res));
  process.exit(0);
}

const outDir = o.out ?? join(tmpdir(), `bexnet-experiment-${process.pid}`);
mkdirSync(outDir, { recursive: true });
const self = fileURLToPath(entryUrl('experiment-binarization'));
const lastOf = (v: Variant): LastLayer => (v === 'float' ? 'float' : lastLayerAll);
// Seed-major: a run cut short between sessions still has every variant at the first seeds.
const queue: [Variant, LastLayer, number][] = seeds.flatMap((s) => variants.map((v) => [v, lastOf(v), s] as [Variant, LastLayer, number]));
if (binaryLast) queue.push(['dabn', 'binary', seeds[0]]);
const total = queue.length;
console.error(`experiment: sketchnet (${blockOrder}${convRelu ? ' + conv ReLU' : ''}${floatInputs ? ', binary weights on float inputs' : ''}) on QuickDraw-${classes}, variants ${variants.join('/')}, seeds ${seeds.join(',')}, recipes ${variants.map((v) => `${recipes[v].name} (${epochsOf(v)} epochs)`).join(', ')}, batch ${batchSize}, ${parallel} job(s) at a time, models in ${outDir}`);
// Resumable: --json keeps every finished job; a rerun with the same settings skips them.
// One epoch count when every variant has it (the form earlier runs recorded), else one per variant.
const variantEpochs = variants.map(epochsOf);
const epochs = variantEpochs.every((e) => e === variantEpochs[0]) ? variantEpochs[0] : Object.fromEntries(variants.map((v, i) => [v, variantEpochs[i]]));
const settings = { classes, epochs, batchSize, inputs, blockOrder, convRelu, recipes: variants.map((v) => recipes[v].name) };
const keyOf = (r: { variant: string; lastLayer: string; seed: number }) => `${r.variant}:${r.lastLayer}:${r.seed}`;
const previous = o.json !== undefined && existsSync(o.json) ? JSON.parse(readFileSync(o.json, 'utf8')) as { settings?: typeof settings; jobs?: JobResult[]; wallSeconds?: number } : null;
if (previous?.jobs?.length) {
  if (JSON.stringify(previous.settings) !== JSON.stringify(settings))
    orExit(() => { throw new UsageError(`${o.json} holds a run with other settings (${JSON.stringify(previous.settings)}); pass another --json to start a new one`); });
}
const results: JobResult[] = previous?.jobs ?? [];
const finished = new Set(results.map(keyOf));
for (let i = queue.length - 1; i >= 0; i--) if (finished.has(keyOf({ variant: queue[i][0], lastLayer: queue[i][1], seed: queue[i][2] }))) queue.splice(i, 1);
if (results.length) console.error(`resuming: ${results.length} job(s) already in ${o.json}, ${queue.length} to run`);
const t0 = performance.now();
const earlierWall = previous?.wallSeconds ?? 0;
const cpu = cpuModel();

function spawnJob(variant: Variant, lastLayer: LastLayer, seed: number): Promise<JobResult> {
  return runJobProcess(self, `${variant}:${lastLayer}:${seed}`, [...(floatInputs ? ['--float-inputs'] : []), ...(o.recipes.length ? ['--recipes', o.recipes.join(',')] : []), '--out', outDir, '--classes', String(classes), '--epochs', String(epochsOf(variant)), '--batch', String(batchSize), '--block-order', blockOrder, '--conv-relu', convRelu ? '1' : '0']);
}

const groups: [Variant, LastLayer, number[]][] = variants.map((v) => [v, lastOf(v), seeds]);
if (binaryLast) groups.push(['dabn', 'binary', [seeds[0]]]);

/** Rows of every group with at least one finished seed (seeds lists which). */
function summary() {
  const rows = groups.flatMap(([variant, lastLayer, ss]) => {
    const rs = ss.map((seed) => results.find((r) => keyOf(r) === keyOf({ variant, lastLayer, seed }))).filter((r): r is JobResult => !!r);
    if (!rs.length) return [];
    const top1Seeds = rs.map((r) => +r.top1.toFixed(4));
    return [{
      dataset: `quickdraw-${classes}`, model: 'sketchnet', variant, lastLayer, inputs: variant === 'float' ? 'float' : inputs,
      top1: +mean(top1Seeds).toFixed(4), top1Seeds, top1Std: +std(top1Seeds).toFixed(4),
      bxnBytes: rs[0].bxnBytes, bxnBytesInt8Last: rs[0].bxnBytesInt8Last, floatBytes: rs[0].floatBytes, epochs: epochsOf(variant), seeds: rs.map((r) => r.seed),
      lr: recipes[variant].learningRate, weightGrad: recipes[variant].weightGrad ?? null, recipe: recipes[variant].name, blockOrder, convRelu, cpu,
    }];
  });
  // Aggregate training throughput over every session of the run: images trained / wall time.
  const wall = earlierWall + (performance.now() - t0) / 1000;
  const trainImages = results.reduce((s, r) => s + r.trainImages, 0);
  return {
    rows, settings, jobs: results,
    trainImagesPerSec: +(trainImages / wall).toFixed(1),
    backend: `${results[0]?.backend ?? 'unknown'}; ${parallel} training process(es) in parallel`, cpu,
    batchSize, schedule: 'adam, cosine decay to 0', wallSeconds: +wall.toFixed(0),
    command: `npm run experiment:binarization -- ${process.argv.slice(2).join(' ')}`.trim(),
  };
}
function save() {
  if (o.json === undefined) return;
  writeResultsAtomic(o.json, summary());
}

// --last-start: the next UTC occurrence of HH:MM, checked before each job starts.
const failed = await runQueue(queue, {
  parallel, planned: total, lastStart: lastStartDeadline(o['last-start']), key: (j) => j.join(':'), run: (j) => spawnJob(j[0], j[1], j[2]),
  done(r, progress) {
    results.push(r);
    save();
    console.error(`done ${progress}: ${r.variant}${r.lastLayer === 'float' ? '' : ` (${r.lastLayer} last layer)`} seed ${r.seed} top-1 ${(r.top1 * 100).toFixed(2)}% (${r.seconds.toFixed(0)} s, ${r.imagesPerSec.toFixed(0)} img/s)`);
  },
});
const out = summary();
console.log('| variant | inputs | last layer | top-1 mean | per seed | std | tfjs bytes | .bxn bytes | .bxn, int8 last |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of out.rows) console.log(`| ${r.variant} | ${r.inputs} | ${r.lastLayer} | ${(r.top1 * 100).toFixed(2)}% | ${r.top1Seeds.map((v) => (v * 100).toFixed(1)).join(' / ')} | ${(r.top1Std * 100).toFixed(2)} | ${r.floatBytes} | ${r.bxnBytes ?? '-'} | ${r.bxnBytesInt8Last ?? '-'} |`);
console.log(`training throughput ${out.trainImagesPerSec} img/s over ${out.wallSeconds} s (${out.backend})`);
save();
process.exit(failed.length ? 1 : 0);
