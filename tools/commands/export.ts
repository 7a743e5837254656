// bexnet export: a trained model directory → .bxn, with a per-layer report.
import { writeFileSync, statSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { opt, UsageError } from '../args.js';
import { exportModel, type FloatEncoding } from '../export/export.js';
import { loadModel } from '../train/file-io.js';
import '../train/layers.js'; // registers the binary layer classes for loading
import '../train/expander-layers.js'; // and the X-layers
import { commandUsage, kb, table, type Command } from './command.js';

const options = {
  out: opt.string('where to write the .bxn (also -o)', undefined, { placeholder: 'FILE' }),
  o: opt.string('same as --out', undefined, { placeholder: 'FILE' }),
  'float-encoding': opt.choice(['f32', 'f16', 'int8'] as const, "storage of float layers' weights; a float layer whose output is binarized (the first) always stays f32", 'f32'),
  name: opt.string("the model's name in the file (default: the tfjs model's)"),
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
    const model = await loadModel(dir);
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
  },
};
