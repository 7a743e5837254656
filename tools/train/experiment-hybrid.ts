// The HBN experiment (issue 10): per model (sketch net, small ResNet) and seed, float,
// WBin (binary weights on float inputs), FBin (fully binary DABN) trained from scratch
// with the default float and DABN recipes (tools/train/recipes.ts; --recipes names others:
// the committed results ran under v2, `--recipes float-v2`), and two hybrids the planner chooses from FBin under latency
// budgets of 1.2× and 1.5× FBin's (bexnet plan --max-slowdown), fine-tuned from FBin's
// weights (sketch net) or trained from scratch like FBin (ResNet; HYBRID_TRAINING). Every step is the bexnet command a user would run (train, plan, train --plan,
// export), in a child process per job; the plan, resume and rows are in hybrid-plan.ts.
// Then the first seed's .bxn files of each model are timed together in this process
// (round robin, medians) for latency, and read for bytes and MACs by input kind.
//
//   npm run experiment:hybrid -- [options]   (--help lists them)
//
// --quick: 20 classes, 2 epochs (1 of fine-tuning), seed 1, ResNet width 0.25: a smoke run.
// Writes {"rows":[{dataset, model, variant, top1, top1Seeds, latencyMs, bxnBytes,
// macsBinary, macsFloat, floatInputLayers, cpu}], jobs, settings, ...} to --json; a rerun
// with the same --json and settings skips the finished jobs (a hybrid waits for its FBin).
// Long runs: launch from a snapshot of dist/ and build/ (see experiment-expander.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { opt, orExit, runScript, UsageError } from '../args.js';
import { entryUrl } from '../entries.mjs';
import { cpuModel } from '../machine.js';
import { nodeKernelOptions } from '../node-kernels.js';
import { floatMacs, timeRoundRobin } from '../plan/measure.js';
import { loadModel as loadBxn, type BexnetModel } from '../../sdk/index.js';
import { epochCounts, lastStartDeadline, runJobProcess, writeResultsAtomic } from './experiment-common.js';
import {
  DEFAULT_SEEDS, dependency, gapRecovered, HYBRID_MODELS, HYBRID_TRAINING, HYBRID_VARIANTS, jobKey, parseJobKey, pendingJobs, planJobs, readyJobs, SLOWDOWN, summarizeRows,
  type HybridJob, type HybridJobResult, type HybridModel, type Measured,
} from './hybrid-plan.js';
import { RECIPES_BY_NAME, recipesNamed } from './recipes.js';

const o = runScript('npm run experiment:hybrid -- [options]', {
  models: opt.choices(HYBRID_MODELS, 'models', [...HYBRID_MODELS]),
  variants: opt.choices(HYBRID_VARIANTS, 'variants (the hybrids need fbin)', [...HYBRID_VARIANTS]),
  recipes: opt.choices([...RECIPES_BY_NAME.values()].filter((r) => r.variant !== 'xnor').map((r) => r.name), "named float / DABN recipes replacing the defaults, comma-separated (the committed results: float-v2)", []),
  seeds: opt.ints(`seeds for every model (default: sketchnet ${DEFAULT_SEEDS.sketchnet.join(',')}, resnet ${DEFAULT_SEEDS.resnet.join(',')}; --quick: 1)`, []),
  epochs: opt.int("epochs from scratch of every net (default each recipe's: float for the float net, DABN's for the rest; --quick: 2)"),
  'finetune-epochs': opt.int('epochs of fine-tuning a hybrid from FBin (the sketch net\'s; the ResNet\'s train from scratch, --epochs) (--quick: 1)', 6, { min: 1 }),
  classes: opt.int('QuickDraw classes (default all 345; --quick: 20)', undefined, { min: 2 }),
  'resnet-width': opt.number('width multiplier of the ResNet (--quick: 0.25)', 0.5),
  rounds: opt.int('timing rounds of the final measurement (round robin, medians)', 300),
  jobs: opt.int('jobs at a time', 2, { min: 1 }),
  workers: opt.int('training threads per job (default 1 when jobs run two at a time, else 2)', undefined, { min: 1 }),
  out: opt.string('job directory (default a new temporary one; keep it to resume: the hybrids read FBin from it)', undefined, { placeholder: 'DIR' }),
  json: opt.string('write the result to FILE (a rerun with it skips the finished jobs)', undefined, { placeholder: 'FILE' }),
  quick: opt.flag('20 classes, 2 epochs, seed 1, ResNet width 0.25: a smoke run of the whole pipeline'),
  'last-start': opt.string('start no job after this UTC time HH:MM', undefined, { placeholder: 'HH:MM' }),
  job: opt.string('internal: run one job MODEL:VARIANT:SEED and print its result', undefined, { placeholder: 'JOB' }),
});
const quick = o.quick;
const classes = o.classes ?? (quick ? 20 : undefined);
// The float net trains with the float recipe, WBin, FBin and the hybrids with DABN's.
const recipes = recipesNamed(o.recipes);
const epochsOverride = o.epochs ?? (quick ? 2 : undefined);
const epochsOf = (r: 'float' | 'dabn') => epochsOverride ?? recipes[r].epochs;
// One count when the two agree (the files written before), else each recipe's.
const epochs = epochCounts({ float: epochsOf('float'), dabn: epochsOf('dabn') });
const finetuneEpochs = quick ? 1 : o['finetune-epochs'];
const resnetWidth = quick ? 0.25 : o['resnet-width'];
const seedsOf = (m: HybridModel) => (o.seeds.length ? o.seeds : quick ? [1] : DEFAULT_SEEDS[m]);
const outDir = resolve(o.out ?? join(tmpdir(), `bexnet-experiment-hybrid-${process.pid}`));
const workers = o.workers ?? (o.jobs > 1 ? 1 : 2);
const cli = fileURLToPath(entryUrl('cli'));
const jobDir = (j: HybridJob) => join(outDir, `${j.model}-${j.variant}-s${j.seed}`);

/** Runs `bexnet ARGS` (the bundled CLI), its progress and errors on this stderr as they come; throws if it fails. */
function bexnet(tag: string, args: string[]): void {
  console.error(`[${tag}] bexnet ${args.join(' ')}`);
  // stdout goes to stderr too: the job's own stdout carries only its JSON result.
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: ['ignore', 2, 'inherit'] });
  if (r.status !== 0) throw new Error(`[${tag}] bexnet ${args[0]} exited with ${r.status ?? r.signal} (its message is above)`);
}

function runJob(j: HybridJob): HybridJobResult {
  const t0 = performance.now(), tag = jobKey(j), dir = jobDir(j), bxn = join(dir, 'model.bxn');
  const common = ['--data', 'quickdraw', '--seed', String(j.seed), '--workers', String(workers), ...(classes ? ['--classes', String(classes)] : [])];
  mkdirSync(dir, { recursive: true });
  if (j.variant.startsWith('hybrid')) {
    const plan = join(dir, 'plan.json'), fbin = jobDir({ ...j, variant: 'fbin' });
    bexnet(tag, ['plan', fbin, '--data', 'quickdraw', '--max-slowdown', String(SLOWDOWN[j.variant as 'hybrid-1' | 'hybrid-2']), '--out', plan]);
    // No float input fits the budget: the hybrid is FBin itself (retraining or fine-tuning it would only add noise).
    if (!(JSON.parse(readFileSync(plan, 'utf8')) as { float: string[] }).float.length) {
      console.error(`[${tag}] the plan keeps no float input: the hybrid is FBin (${fbin})`);
      const meta = JSON.parse(readFileSync(join(fbin, 'model.json'), 'utf8')).userDefinedMetadata.bexnet as { testAcc: number };
      return { ...j, top1: meta.testAcc, bxn: join(fbin, 'model.bxn'), dir: fbin, floatInputLayers: [], seconds: +((performance.now() - t0) / 1000).toFixed(0) };
    }
    const scratch = HYBRID_TRAINING[j.model] === 'scratch';
    bexnet(tag, ['train', '--plan', plan, ...(scratch ? ['--from-scratch'] : []), ...common, '--recipe', recipes.dabn.name, '--epochs', String(scratch ? epochsOf('dabn') : finetuneEpochs), '--out', dir]);
  } else {
    const width = j.model === 'resnet' ? resnetWidth : 1;
    bexnet(tag, ['train', '--model', j.model, '--binarize', j.variant === 'float' ? 'none' : 'dabn', ...(j.variant === 'wbin' ? ['--float-inputs', 'all'] : []),
      ...common, '--recipe', recipes[j.variant === 'float' ? 'float' : 'dabn'].name, '--epochs', String(epochsOf(j.variant === 'float' ? 'float' : 'dabn')), '--width', String(width), '--out', dir]);
  }
  bexnet(tag, ['export', dir, '-o', bxn]);
  const meta = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).userDefinedMetadata.bexnet as { testAcc: number; floatInputs?: string[] };
  const floatInputLayers = j.variant === 'wbin' ? ['all'] : meta.floatInputs ?? [];
  return { ...j, top1: meta.testAcc, bxn, dir, floatInputLayers, seconds: +((performance.now() - t0) / 1000).toFixed(0) };
}

if (o.job !== undefined) {
  const job = parseJobKey(o.job);
  if (!job) orExit(() => { throw new UsageError(`--job must be MODEL:VARIANT:SEED, got '${o.job}'`); });
  console.log(JSON.stringify(runJob(job!)));
  process.exit(0);
}

const plan = orExit(() => { try { return planJobs(o.models, seedsOf, o.variants); } catch (e) { throw new UsageError((e as Error).message); } });
const dataset = `quickdraw-${classes ?? 345}`;
const settings = { dataset, epochs, finetuneEpochs, resnetWidth, recipes: [recipes.float.name, recipes.dabn.name], slowdown: SLOWDOWN, hybridTraining: HYBRID_TRAINING };
const previous = o.json !== undefined && existsSync(o.json) ? JSON.parse(readFileSync(o.json, 'utf8')) as { settings?: unknown; jobs?: HybridJobResult[]; outDir?: string } : null;
if (previous?.jobs?.length) {
  if (JSON.stringify(previous.settings) !== JSON.stringify(settings)) orExit(() => { throw new UsageError(`${o.json} was written with other settings (${JSON.stringify(previous.settings)}); pass another --json to start a new one`); });
  if (previous.outDir !== outDir) orExit(() => { throw new UsageError(`${o.json}'s jobs are in ${previous.outDir}: pass --out ${previous.outDir} (the hybrids start from FBin's checkpoint there)`); });
}
mkdirSync(outDir, { recursive: true });
const results: HybridJobResult[] = (previous?.jobs ?? []).filter((r) => existsSync(r.bxn));
const cpu = cpuModel();
const self = fileURLToPath(entryUrl('experiment-hybrid'));
console.error(`experiment: ${o.models.join(', ')} × ${o.variants.join('/')} on ${dataset}, recipes ${recipes.float.name} (${epochsOf('float')} epochs) / ${recipes.dabn.name} (${epochsOf('dabn')}; hybrids: ${finetuneEpochs} from FBin), ResNet width ${resnetWidth}, ${o.jobs} job(s) at a time, jobs in ${outDir}`);

function spawnJob(j: HybridJob): Promise<HybridJobResult> {
  return runJobProcess(self, jobKey(j), ['--out', outDir, ...(epochsOverride !== undefined ? ['--epochs', String(epochsOverride)] : []), ...(o.recipes.length ? ['--recipes', o.recipes.join(',')] : []), '--finetune-epochs', String(finetuneEpochs), '--resnet-width', String(resnetWidth),
    '--jobs', String(o.jobs), '--workers', String(workers), ...(classes ? ['--classes', String(classes)] : [])]);
}

/** The first seed's files of each model, timed together; bytes and MACs by input kind from the sdk. */
async function measureAll(): Promise<Map<string, Measured>> {
  const measured = new Map<string, Measured>();
  for (const model of o.models) {
    const seed = Math.min(...seedsOf(model));
    const mine = results.filter((r) => r.model === model && r.seed === seed);
    if (!mine.length) continue;
    const files = mine.map((r) => new Uint8Array(readFileSync(r.bxn)));
    const loaded: BexnetModel[] = [];
    for (const bytes of files) loaded.push(await loadBxn(bytes, nodeKernelOptions()));
    const timings = timeRoundRobin(loaded, o.rounds);
    mine.forEach((r, i) => {
      const info = loaded[i].info();
      const macsFloat = floatMacs(loaded[i]);
      const macsBinary = info.layers.reduce((s, l) => s + (l.input.dtype === 'bits' && l.weightBytes > 0 ? l.macs : 0), 0);
      measured.set(jobKey(r), { latencyMs: +timings[i].medianMs.toFixed(4), bxnBytes: files[i].length, macsBinary, macsFloat });
    });
    loaded.forEach((m) => m.dispose());
  }
  return measured;
}

/** The results file: every finished job after each one; the rows (measured) at the end of a run. */
async function save(final: boolean) {
  const measured = final ? await measureAll() : new Map<string, Measured>();
  const rows = summarizeRows(results, measured, { dataset, cpu });
  const data = {
    rows, jobs: results, settings, outDir, cpu, node: process.version,
    latency: `the sdk (SIMD where supported) on this machine, ${o.rounds} rounds round robin over one model's files in one process, median ms`,
    targets: Object.fromEntries(o.models.map((m) => [m, gapRecovered(rows, m)])),
    command: `npm run experiment:hybrid -- ${process.argv.slice(2).join(' ')}`.trim(),
  };
  if (o.json !== undefined) writeResultsAtomic(o.json, data);
  return data;
}

const lastStart = lastStartDeadline(o['last-start']);
const pending = pendingJobs(plan, results);
if (results.length) console.error(`resuming: ${results.length} job(s) done, ${pending.length} to run`);
const running: HybridJob[] = [];
let stopped = false;
async function worker(): Promise<void> {
  for (;;) {
    if (Date.now() > lastStart) { if (!stopped) console.error(`--last-start ${o['last-start']} passed: starting no more jobs`); stopped = true; return; }
    const left = pendingJobs(pending, results).filter((j) => !running.some((r) => jobKey(r) === jobKey(j)));
    if (!left.length) return;
    const next = readyJobs(left, results, running)[0];
    if (!next) { await new Promise((r) => setTimeout(r, 5000)); continue; } // a hybrid waits for its FBin
    running.push(next);
    try {
      const r = await spawnJob(next);
      results.push(r);
      console.error(`done ${results.length}/${plan.length}: ${jobKey(r)} top-1 ${(r.top1 * 100).toFixed(2)}% (${r.seconds} s)`);
      await save(false);
    } catch (e) {
      // A failed job is left for the next run, and so are the hybrids that start from it.
      console.error((e as Error).message);
      for (let i = pending.length - 1; i >= 0; i--) {
        const dep = dependency(pending[i]);
        if (jobKey(pending[i]) === jobKey(next) || (dep && jobKey(dep) === jobKey(next))) pending.splice(i, 1);
      }
    } finally {
      running.splice(running.findIndex((j) => jobKey(j) === jobKey(next)), 1);
    }
  }
}
await Promise.all(Array.from({ length: o.jobs }, worker));
const out = (await save(true))!;
console.log('| model | variant | top-1 | per seed | latency ms | .bxn bytes | binary MACs | float MACs | float-input layers |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of out.rows) console.log(`| ${r.model} | ${r.variant} | ${(r.top1 * 100).toFixed(2)}% | ${r.top1Seeds.map((v) => (v * 100).toFixed(1)).join(' / ')} | ${r.latencyMs} | ${r.bxnBytes} | ${r.macsBinary} | ${r.macsFloat} | ${r.floatInputLayers.join(', ') || '–'} |`);
for (const [m, t] of Object.entries(out.targets)) for (const x of t) console.log(`${m} ${x.variant}: recovers ${(x.recovered * 100).toFixed(0)}% of the FBin → WBin gap at ${x.slowdown.toFixed(2)}× FBin's latency`);
process.exit(0);
