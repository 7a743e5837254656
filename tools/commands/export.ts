// bexnet export: a trained model directory → .bxn, with a per-layer report.
import { writeFileSync, statSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { opt, UsageError } from '../args.js';
import { exportModel, type FloatEncoding } from '../export/export.js';
import { loadModel } from '../train/file-io.js';
import '../train/layers.js'; // registers the binary layer classes for loading
import '../train/expander-layers.js'; // and the X-layers
import '../train/regularize.js'; // and SeededDropout
import { budgetCheck, checkPlanFits } from '../plan/plan-file.js';
import { measureBxn, modelFacts, withFloatInputs } from '../plan/measure.js';
import { readPlanFile } from './plan.js';
import { commandUsage, kb, table, type Command } from './command.js';

const options = {
  out: opt.string('where to write the .bxn (also -o)', undefined, { placeholder: 'FILE' }),
  o: opt.string('same as --out', undefined, { placeholder: 'FILE' }),
  'float-encoding': opt.choice(['f32', 'f16', 'int8'] as const, "storage of float layers' weights; a float layer whose output is binarized (the first) always stays f32", 'f32'),
  name: opt.string("the model's name in the file (default: the tfjs model's)"),
  plan: opt.string('a plan.json (bexnet plan): export its hybrid (the model it was made from gets the plan\'s float inputs; a model fine-tuned with --plan is checked to have them), then measure the file against the plan\'s budget (exit 1 when over)', undefined, { placeholder: 'FILE' }),
  rounds: opt.int('with --plan: timed inferences for the latency check', 200),
};

export const exportCommand: Command<typeof options> = {
  name: 'export',
  usage: commandUsage(`bexnet export DIR -o FILE.bxn [options]
  DIR  a directory written by bexnet train (model.json + weights.bin)`, options,
  `Folds batch norm into thresholds / multipliers, computes α/β or XNOR scales, packs
bits, and prints each layer's size and quantization error (relative L2 vs the
latent float weights).`),
  options,
  positionals: 1,
  async run(o, [dir]) {
    if (!dir) throw new UsageError('missing the model directory (bexnet export DIR -o FILE.bxn)');
    const out = o.out ?? o.o;
    if (out === undefined) throw new UsageError('missing -o FILE.bxn');
    const floatEncoding: FloatEncoding = o['float-encoding'];
    try {
      statSync(`${dir}/model.json`);
    } catch {
      throw new UsageError(`${dir}/model.json not found (train with: bexnet train ... --out ${dir})`);
    }
    tf.enableProdMode(); // no tfjs console banners in the report
    await tf.setBackend('cpu');
    let model = await loadModel(dir);
    const plan = o.plan === undefined ? undefined : readPlanFile(o.plan);
    if (plan) {
      const fit = checkPlanFits(plan, modelFacts(model), o.plan);
      if (fit === 'source' && plan.float.length) {
        console.error(`${dir} is the model ${o.plan} was made from: exporting it with float inputs at ${plan.float.join(', ')} (not fine-tuned; bexnet train --plan fine-tunes)`);
        const hybrid = await withFloatInputs(model, plan.float);
        model.dispose();
        model = hybrid;
      }
    }
    const meta = (model.getUserDefinedMetadata() as { bexnet?: { classes?: string[] } } | undefined)?.bexnet;
    const { bytes, layers } = exportModel(model, { name: o.name ?? model.name, labels: meta?.classes ?? [], floatEncoding });
    writeFileSync(out, bytes);
    console.log(table([
      ['#', 'op', 'output', 'weights', 'bytes', 'quant. error', 'from'],
      ...layers.map((l, i) => [i, l.op, l.shape, `${l.encoding ?? ''}${l.density === null ? '' : ` X ${+(l.density * 100).toFixed(1)}%`}`, l.bytes, l.quantError === null ? '' : l.quantError.toFixed(4), l.from.join(' → ')]),
    ]));
    for (const [i, l] of layers.entries()) if (l.note) console.log(`layer ${i} (${l.op}): ${l.note}`);
    console.log(`wrote ${out}: ${kb(bytes.length)} (${bytes.length} bytes)`);
    model.dispose();
    if (plan) {
      // The plan's budget, checked on the file just written (measured, not estimated).
      const { text, within } = budgetCheck(plan, await measureBxn(bytes, o.rounds));
      if (within === false) throw new Error(`plan budget ${text} (${out} was written)`);
      console.log(`plan budget ${text}`);
    }
  },
};
