// bexnet export: a trained model directory → .bxn, with a per-layer report.
import { writeFileSync, statSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { choiceOption, UsageError } from '../args.js';
import { exportModel, type FloatEncoding } from '../export/export.js';
import { loadModel } from '../train/file-io.js';
import '../train/layers.js'; // registers the binary layer classes for loading
import { kb, table, type Command } from './command.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'pack a trained model into a .bxn file',
  usage: `bexnet export DIR -o FILE.bxn [--float-encoding f32|f16|int8] [--name NAME]
  DIR                 a directory written by bexnet train (model.json + weights.bin)
  -o, --out FILE      where to write the .bxn
  --float-encoding    storage of float layers' weights (default f32); a float layer
                      whose output is binarized (the first) always stays f32
Folds batch norm into thresholds / multipliers, computes α/β or XNOR scales, packs
bits, and prints each layer's size and quantization error (relative L2 vs the
latent float weights).`,
  options: { out: 'value', o: 'value', 'float-encoding': 'value', name: 'value' },
  positionals: 1,
  async run(o, [dir]) {
    if (!dir) throw new UsageError('missing the model directory (bexnet export DIR -o FILE.bxn)');
    const out = (o.out ?? o.o) as string | undefined;
    if (typeof out !== 'string') throw new UsageError('missing -o FILE.bxn');
    const floatEncoding = choiceOption(o, 'float-encoding', ['f32', 'f16', 'int8'] as const, 'f32') as FloatEncoding;
    try {
      statSync(`${dir}/model.json`);
    } catch {
      throw new UsageError(`${dir}/model.json not found (train with: bexnet train ... --out ${dir})`);
    }
    tf.enableProdMode(); // no tfjs console banners in the report
    await tf.setBackend('cpu');
    const model = await loadModel(dir);
    const meta = (model.getUserDefinedMetadata() as { bexnet?: { classes?: string[] } } | undefined)?.bexnet;
    const { bytes, layers } = exportModel(model, { name: typeof o.name === 'string' ? o.name : model.name, labels: meta?.classes ?? [], floatEncoding });
    writeFileSync(out, bytes);
    console.log(table([
      ['#', 'op', 'output', 'bytes', 'quant. error', 'from'],
      ...layers.map((l, i) => [i, l.op, l.shape, l.bytes, l.quantError === null ? '' : l.quantError.toFixed(4), l.from.join(' → ')]),
    ]));
    console.log(`wrote ${out}: ${kb(bytes.length)} (${bytes.length} bytes)`);
    model.dispose();
  },
};
