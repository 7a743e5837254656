// How well the X-Net experiment's sparse layers mix their inputs (issue 9): the sketch
// net's conv2..conv5 and MobileNet's pointwise pw2..pw5 (its depthwise convs between them keep
// each channel apart, so they change no reach) exactly as experiment:expander builds them (seed 1, clampDegree), for
// the grouped convs (plain and shuffled) and the X-Net on graph nodes of 8 channels (the shipped
// graph), of single input channels and of single channels (the authors'): the mean share of the first
// sparse layer's input channels an output of each layer depends on (reachShares), and how many distinct
// input sets that layer's outputs read. Graph arithmetic on the built models: no training, the same
// on any CPU.
//   npm run expander:reach -- [--json tools/results/expander_reach.json]
import { opt, runScript } from '../args.js';
import { writeRows } from '../bench/common.js';
import type { ExpanderLayer } from './expander-layers.js';
import { setupBackend } from './backend.js';
import { buildModel } from './models.js';
import { reachShares, variantExpander, type ExpanderModel, type ExpanderVariant } from './expander-plan.js';
import { layerChannelTable } from '../../sdk/expander.js';

const o = runScript('npm run expander:reach -- [options]', {
  json: opt.string('write the rows to FILE', undefined, { placeholder: 'FILE' }),
});

export interface ReachRow {
  model: ExpanderModel;
  variant: Exclude<ExpanderVariant, 'dense'>;
  f: number;
  layers: string[];
  /** Per layer: the mean share of the first sparse layer's input channels an output depends on. */
  reach: number[];
  /** Distinct sets of input channels among the first sparse layer's outputs. */
  firstLayerInputSets: number;
  graphSeed: number;
}

await setupBackend({ quiet: true }); // the models are only built, never run
const SEED = 1;
const rows: ReachRow[] = [];
for (const modelName of ['sketchnet', 'mobilenet'] as const) for (const f of [2, 4, 8] as const) {
  for (const variant of ['grouped-plain', 'grouped', 'xnet', 'xnet-input-channel', 'xnet-channel'] as const) {
    const model = buildModel(modelName, {
      variant: 'float', classes: 345, seed: SEED,
      expander: variantExpander(variant, f, SEED),
    });
    const xs = model.layers.filter((l) => l.getClassName() === 'ExpanderConv2D') as unknown as ExpanderLayer[];
    const graphs = xs.map((l) => l.layerGraph());
    const first = graphs[0], table = layerChannelTable(first), sets = new Set<string>();
    for (let out = 0; out < first.outChannels; out++) sets.add([...table.subarray(out * first.degree, (out + 1) * first.degree)].sort((a, b) => a - b).join(','));
    rows.push({ model: modelName, variant, f, layers: xs.map((l) => l.name), reach: reachShares(graphs).map((v) => +v.toFixed(4)), firstLayerInputSets: sets.size, graphSeed: SEED });
    model.dispose();
  }
}
for (const r of rows) console.log(`${r.model} f=${r.f} ${r.variant.padEnd(18)} ${r.layers.map((l, i) => `${l} ${(100 * r.reach[i]).toFixed(0)}%`).join('  ')}   ${r.layers[0]} input sets: ${r.firstLayerInputSets}`);
writeRows(o.json, rows, { command: 'npm run expander:reach -- --json tools/results/expander_reach.json' });
