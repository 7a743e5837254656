// Renders the README's result tables from tools/results/*.json, between
// `<!-- table:NAME -->` and `<!-- /table:NAME -->`. `--check` exits 1 if the README
// is out of date (a test runs it), so no table is ever typed by hand.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const readmePath = `${root}README.md`;

const fmt = (v, digits = 2) => (typeof v === 'number' ? v.toFixed(digits) : String(v));

const TABLES = {
  kernels(data) {
    const rows = data.rows;
    const get = (s, i) => rows.find((r) => r.shape === s && r.impl === i);
    const ratio = (s, i, digits = 2) => (get(s, i) ? `${fmt(get(s, 'tfjs-wasm').medianMs / get(s, i).medianMs, digits)}×` : '–');
    const ms = (s, i) => (get(s, i) ? `${fmt(get(s, i).medianMs, 3)} ms` : '–');
    const convShapes = [...new Set(rows.filter((r) => r.impl === 'bconv-simd-dabn').map((r) => r.shape))];
    const impls = ['tfjs-wasm', 'conv2d-f32', 'conv2d-int8', 'conv2dbw-f32', 'bconv-simd-xnor', 'bconv-simd-dabn', 'bconv-scalar-dabn'];
    const out = [
      `| shape (HxWxC-Cout-k) | ${impls.join(' | ')} | f32 ×tfjs | int8 ×tfjs | bw ×tfjs | DABN ×tfjs | DABN % of ceiling |`,
      `|---|${impls.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|`,
    ];
    for (const s of convShapes) {
      const d = get(s, 'bconv-simd-dabn'), ceil = get(s, 'ceiling-xor-popcnt');
      out.push(`| ${s} | ${impls.map((i) => ms(s, i)).join(' | ')} | ${ratio(s, 'conv2d-f32')} | ${ratio(s, 'conv2d-int8')} | ${ratio(s, 'conv2dbw-f32')} | ${ratio(s, 'bconv-simd-dabn', 1)} | ${fmt((100 * d.gmacs) / ceil.gmacs, 0)}% |`);
    }
    // X-Convs (--xnet): % of the ideal speed-up (dense time / f ÷ X time) and X ÷ grouped of equal MACs.
    if (rows.some((r) => r.impl.startsWith('xconv-'))) {
      const fs = [2, 4, 8];
      out.push('', `| X-Conv: shape, kind | dense | ${fs.map((f) => `X f=${f} (% of ideal)`).join(' | ')} | X ÷ grouped, f=${fs.join('/')} |`, `|---|---:|${fs.map(() => '---:').join('|')}|---|`);
      for (const s of convShapes) {
        for (const [kind, dense, x, grp] of [['float', 'conv2d-f32', 'xconv', 'grouped'], ['float, input-channel graph', 'conv2d-f32', 'xconv-in1', 'grouped'], ['binary (DABN)', 'bconv-simd-dabn', 'xconv-bin', 'grouped-bin'],
          ['binary: dense bconv2d on D = C/f input channels, no graph', 'bconv-simd-dabn', 'bconv-din', null]]) {
          if (!get(s, `${x}-f2`)) continue;
          const cell = (f) => { const r = get(s, `${x}-f${f}`); return r ? `${fmt(r.medianMs, 3)} ms (${fmt((100 * get(s, dense).medianMs) / f / r.medianMs, 0)}%)` : '–'; };
          const vsGrouped = fs.map((f) => (grp && get(s, `${x}-f${f}`) && get(s, `${grp}-f${f}`) ? fmt(get(s, `${x}-f${f}`).medianMs / get(s, `${grp}-f${f}`).medianMs, 2) : '–')).join(' / ');
          out.push(`| ${s}, ${kind} | ${ms(s, dense)} | ${fs.map(cell).join(' | ')} | ${vsGrouped} |`);
        }
      }
    }
    const denseShapes = [...new Set(rows.filter((r) => r.impl === 'dense-f32').map((r) => r.shape))];
    if (denseShapes.length) {
      out.push('', '| dense (inputs-outputs, batch 1) | tfjs-wasm | dense-f32 | dense-int8 | f32 ×tfjs | int8 ×tfjs |', '|---|---:|---:|---:|---:|---:|');
      for (const s of denseShapes) out.push(`| ${s} | ${['tfjs-wasm', 'dense-f32', 'dense-int8'].map((i) => ms(s, i)).join(' | ')} | ${ratio(s, 'dense-f32')} | ${ratio(s, 'dense-int8')} |`);
    }
    const ceilings = rows.filter((r) => r.impl === 'ceiling-xor-popcnt').map((r) => r.gmacs);
    out.push('', `Median ms, all implementations of a shape timed round-robin in one process. XOR+popcount ceiling ${fmt(Math.min(...ceilings), 0)}–${fmt(Math.max(...ceilings), 0)} GMAC/s; tfjs-backend-wasm 4.22 (SIMD, 1 thread); Node ${data.node}; CPU ${data.cpu ?? 'not recorded'}.`);
    // The inner-loop strategies bconv2d chooses between, when the run measured them.
    const variants = ['popcnt8', 'harley-seal', 'popcnt64', 'mixed'].filter((v) => rows.some((r) => r.impl === `bconv-simd-dabn-${v}`));
    if (variants.length) {
      out.push('', `| gathered bconv2d inner loop, GMAC/s | ${variants.join(' | ')} |`, `|---|${variants.map(() => '---:').join('|')}|`);
      for (const s of convShapes) out.push(`| ${s} | ${variants.map((v) => fmt(get(s, `bconv-simd-dabn-${v}`).gmacs, 0)).join(' | ')} |`);
    }
    return out.join('\n');
  },
};

// The side runs (weights-only, last layer) shared the machine with each other: no throughput line.
const binarizationTable = (data, withThroughput) => {
  const pct = (v) => (v == null ? '–' : `${(100 * v).toFixed(1)}%`);
  const kb = (b) => (b == null ? '–' : `${fmt(b / 1024, 1)} KiB`);
  const ratio = (a, b) => (a && b ? `${fmt(a / b, 1)}×` : '–');
  const out = [
    '| dataset | variant | inputs | last layer | top-1 mean ± std | per seed | tfjs float model | .bxn (f32 last) | smaller | .bxn (int8 last) | smaller | epochs |',
    '|---|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of data.rows) {
    const std = r.top1Seeds?.length > 1 ? ` ± ${(100 * r.top1Std).toFixed(1)}` : '';
    out.push(`| ${r.dataset} | ${r.variant} | ${r.inputs ?? (r.variant === 'float' ? 'float' : 'binary')} | ${r.lastLayer ?? 'float'} | ${pct(r.top1)}${std} | ${(r.top1Seeds ?? []).map(pct).join(', ')} | ${kb(r.floatBytes)} | ${kb(r.bxnBytes)} | ${ratio(r.floatBytes, r.bxnBytes)} | ${kb(r.bxnBytesInt8Last)} | ${ratio(r.floatBytes, r.bxnBytesInt8Last)} | ${r.epochs} |`);
  }
  if (withThroughput) out.push('', `Training throughput ${fmt(data.trainImagesPerSec, 0)} images/s over the whole run (${data.backend}), ${fmt(data.wallSeconds / 60, 0)} min wall time.`);
  return out.join('\n');
};

TABLES.binarization = (data) => binarizationTable(data, true);
TABLES.binarization_v1 = (data) => binarizationTable(data, true);
TABLES.binarization_weights = (data) => binarizationTable(data, false);
TABLES.binarization_last = (data) => binarizationTable(data, false);
TABLES.binarization_weights_v2 = (data) => binarizationTable(data, false);
TABLES.binarization_last_v2 = (data) => binarizationTable(data, false);
// A recipe candidate on the test split, run beside other jobs (no throughput line): which recipes, which CPU.
const candidateTable = (data) => `${binarizationTable(data, false)}\n\nRecipes ${[...new Set(data.rows.map((r) => r.recipe))].join(' / ')}; ${data.cpu}.`;
TABLES.binarization_v3 = candidateTable;
TABLES.binarization_v4 = candidateTable;

// The X-Net experiment (tools/train/experiment-expander.ts): dense vs grouped vs X-Net per binarization and f.
TABLES.expander = (data) => {
  const pct = (v) => (v == null ? '–' : `${(100 * v).toFixed(1)}%`);
  const kb = (b) => (b == null ? '–' : `${fmt(b / 1024, 1)} KiB`);
  const out = [
    '| binarization | variant | f | params | top-1 mean ± std | per seed | tfjs float model | .bxn | .bxn ÷ dense |',
    '|---|---|---:|---:|---:|---|---:|---:|---:|',
  ];
  const xHead = (r) => r.head === 'x-binary';
  const order = (r) => [['float', 'xnor', 'dabn'].indexOf(r.binarization), r.f ?? 0, ['dense', 'grouped-plain', 'grouped', 'xnet', 'xnet-input-channel', 'xnet-channel'].indexOf(r.variant), xHead(r) ? 1 : 0];
  const rows = [...data.rows].sort((a, b) => { const x = order(a), y = order(b); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || x[3] - y[3]; });
  const denseOf = (binarization) => data.rows.find((d) => d.variant === 'dense' && d.binarization === binarization);
  for (const r of rows) {
    const dense = denseOf(r.binarization);
    const std = r.top1Seeds?.length > 1 ? ` ± ${(100 * r.top1Std).toFixed(1)}` : '';
    const vs = dense?.bxnBytes && r.bxnBytes ? `${fmt(r.bxnBytes / dense.bxnBytes, 2)}` : '–';
    out.push(`| ${r.binarization} | ${r.variant}${xHead(r) ? ' + binary X-Dense classifier' : ''} | ${r.f ?? '–'} | ${r.params} | ${pct(r.top1)}${std} | ${(r.top1Seeds ?? []).map(pct).join(', ')} | ${kb(r.floatBytes)} | ${kb(r.bxnBytes)} | ${vs} |`);
  }
  const first = data.rows[0];
  // One epoch count for the file, or each recipe's when their schedules differ.
  const recipes = [...new Set(data.rows.map((r) => r.recipe))], epochs = new Set(data.rows.map((r) => r.epochs));
  const schedule = epochs.size === 1 ? `${first?.epochs} epochs, recipes ${recipes.join(' / ')}`
    : `recipes ${recipes.map((name) => `${name} (${data.rows.find((r) => r.recipe === name).epochs} epochs)`).join(' / ')}`;
  if (first) out.push('', `${first.dataset}, ${schedule}; ${data.cpu ?? first.cpu}${data.wallSeconds ? `, ${fmt(data.wallSeconds / 60, 0)} min wall time` : ''}. Grouped and X-Net read the same D = C_in/f channels per output (equal parameters)${data.settings?.model === 'mobilenet' ? ' in the pointwise convs of blocks 2–5' : '; conv2 reads 8 of its 32 at f = 8'}.`);
  // Issue 9's size target: the binary X-Net with an X-Dense classifier against the float dense tfjs model.
  const small = rows.find(xHead), floatDense = denseOf('float');
  if (small?.bxnBytes && floatDense) out.push('', `Smallest file: the ${small.binarization.toUpperCase()} X-Net at f = ${small.f} with a binary-weight X-Dense classifier, ${kb(small.bxnBytes)} at ${pct(small.top1)} top-1, ${fmt(floatDense.floatBytes / small.bxnBytes, 1)}× smaller than the float dense tfjs model (${kb(floatDense.floatBytes)}; issue 9 asks ≥ 50×).`);
  return out.join('\n');
};
TABLES.expander_mnist = (data) => TABLES.expander(data);
TABLES.expander_v4 = (data) => TABLES.expander(data);
TABLES.expander_mobilenet = (data) => TABLES.expander(data);
TABLES.expander_mobilenet_v4 = (data) => TABLES.expander(data);
TABLES.expander_channel_graph = (data) => TABLES.expander(data);
// How far the X-Net experiment's sparse layers mix their inputs (tools/train/expander-reach.ts).
TABLES.expander_reach = (data) => {
  const names = { 'grouped-plain': 'grouped (no shuffle)', grouped: 'grouped (shuffled)', xnet: 'X-Net, nodes of 8 channels (every X kernel)', 'xnet-input-channel': 'X-Net, input channels × blocks of 8 outputs (float X kernels)', 'xnet-channel': 'X-Net, per channel (training only)' };
  // One table per model: their sparse layers differ (sketchnet conv2..conv5, MobileNet pw2..pw5).
  const out = [];
  for (const model of [...new Set(data.rows.map((r) => r.model))]) {
    const rows = data.rows.filter((r) => r.model === model), layers = rows[0].layers;
    if (out.length) out.push('');
    out.push(
      `| ${model}: f | graph | ${layers.join(' | ')} | distinct input sets in ${layers[0]} |`,
      `|---:|---|${layers.map(() => '---:|').join('')}---:|`,
      ...rows.map((r) => `| ${r.f} | ${names[r.variant] ?? r.variant} | ${r.reach.map((v) => `${fmt(100 * v, 0)}%`).join(' | ')} | ${r.firstLayerInputSets} |`),
    );
  }
  out.push('', `Mean share of the first sparse layer's input channels that an output of each layer depends on, in the nets experiment:expander builds (graph seed ${data.rows[0]?.graphSeed}).`);
  return out.join('\n');
};

// The HBN experiment (tools/train/experiment-hybrid.ts): float / WBin / FBin / two planner hybrids per model.
TABLES.hybrid = (data) => {
  const pct = (v) => `${(100 * v).toFixed(1)}%`;
  const names = { float: 'float', wbin: 'WBin (binary weights, float inputs)', fbin: 'FBin (fully binary)', 'hybrid-1': 'hybrid-1', 'hybrid-2': 'hybrid-2' };
  const out = [
    '| model | variant | top-1 | per seed | latency | × FBin | .bxn | binary MACs | float MACs | float-input layers |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of data.rows) {
    const fbin = data.rows.find((x) => x.model === r.model && x.variant === 'fbin');
    const budget = data.settings?.slowdown?.[r.variant];
    out.push(`| ${r.model} | ${names[r.variant]}${budget ? ` (≤ ${budget}× FBin)` : ''} | ${pct(r.top1)} | ${r.top1Seeds.map(pct).join(', ')} | ${fmt(r.latencyMs, 3)} ms | ${fbin ? `${fmt(r.latencyMs / fbin.latencyMs, 2)}×` : '–'} | ${fmt(r.bxnBytes / 1024, 1)} KiB | ${fmt(r.macsBinary / 1e6, 1)} M | ${fmt(r.macsFloat / 1e6, 1)} M | ${r.floatInputLayers.join(', ') || '–'} |`);
  }
  const targets = Object.entries(data.targets ?? {}).flatMap(([m, t]) => t.map((x) => `${m} ${x.variant}: ${fmt(100 * x.recovered, 0)}% of the FBin → WBin gap at ${fmt(x.slowdown, 2)}× FBin's latency`));
  const s = data.settings ?? {};
  // One epoch count, or the float net's and the binary nets' when their recipes' schedules differ.
  const binaryEpochs = typeof s.epochs === 'object' ? s.epochs?.dabn : s.epochs;
  const scratch = typeof s.epochs === 'object' ? `float ${s.epochs?.float}, binary ${binaryEpochs} epochs from scratch` : `${s.epochs} epochs from scratch`;
  const how = (m) => (s.hybridTraining?.[m] === 'scratch' ? `${m}'s trained from scratch like FBin (${binaryEpochs} epochs)` : `${m}'s fine-tuned ${s.finetuneEpochs} from FBin`);
  out.push('', `${s.dataset}, ${scratch}; hybrids: ${['sketchnet', 'resnet'].map(how).join(', ')}; ResNet width ${s.resnetWidth}; latency: ${data.latency}; ${data.cpu}.${targets.length ? ` Target (≥ 70% of the gap within 1.5× FBin): ${targets.join('; ')}.` : ''}`);
  return out.join('\n');
};

// The ResNet's hybrids fine-tuned from FBin (before they were trained from scratch), and the diagnostics beside them.
TABLES.hybrid_resnet_finetune = (data) => {
  const pct = (v) => `${(100 * v).toFixed(1)}%`;
  const out = ['| run | float-input layers | fine-tune | top-1 |', '|---|---|---|---:|'];
  for (const r of data.rows) {
    const what = r.diagnostic ? `diagnostic: ${r.variant === 'fbin' ? 'FBin, no float input' : r.variant}` : r.variant;
    out.push(`| ${what} | ${r.floatInputLayers.join(', ') || '–'} | ${r.epochs} epochs from FBin, lr ${r.learningRate} (cosine) | ${pct(r.top1)} |`);
  }
  out.push('', `${data.from}; diagnostics: \`${data.diagnostics}\`; ${data.cpu}.`);
  return out.join('\n');
};

// Smoke runs of the example model in each runtime (targets/run-all.mjs), relative to Node.
TABLES.runtimes = (data) => {
  // Rows without a model are from the one-model runs before the X-Net example (data.model).
  const modelOf = (r) => r.model ?? data.model.replace(/^.*\/|\.bxn$/g, '');
  const rel = (v, ref) => (ref ? `${fmt(v / ref, 2)}×` : '–');
  const out = [
    '| model | runtime | version | build | cold start (bytes → first result) | × Node | median latency | × Node | outputs = Node |',
    '|---|---|---|---|---:|---:|---:|---:|---|',
  ];
  for (const r of data.rows) {
    const node = data.rows.find((n) => n.runtime === 'node' && modelOf(n) === modelOf(r));
    out.push(`| ${modelOf(r)} | ${r.runtime} | ${r.version} | ${r.build} | ${fmt(r.coldStartMs, 1)} ms | ${rel(r.coldStartMs, node?.coldStartMs)} | ${fmt(r.medianMs, 3)} ms | ${rel(r.medianMs, node?.medianMs)} | ${r.agree ? 'yes' : '**no**'} |`);
  }
  const files = (data.models ?? [data.model]).map((m) => `\`${m}\``).join(' and ');
  out.push('', `${files} on ${data.inputs} seeded inputs (seed ${data.seed}); ${data.rows[0]?.cpu ?? ''}, one process at a time under the CPU lock.`);
  return out.join('\n');
};

// Whole networks (tools/bench/models.ts): bexnet vs tfjs-wasm float, and bexnet-simd per layer.
TABLES.models = (data) => {
  const models = [...new Set(data.rows.map((r) => r.model))];
  const get = (m, i) => data.rows.find((r) => r.model === m && r.impl === i);
  const kib = (b) => `${fmt(b / 1024, 0)} KiB`;
  const out = [
    '| model | MACs | tfjs-wasm (float) | bexnet-simd | × tfjs | bexnet-scalar | × tfjs | file: tfjs float / .bxn | memory: tfjs tensors / bexnet wasm |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const m of models) {
    const t = get(m, 'tfjs-wasm'), s = get(m, 'bexnet-simd'), c = get(m, 'bexnet-scalar');
    out.push(`| ${m} | ${fmt(s.macs / 1e6, 1)} M | ${fmt(t.medianMs, 2)} ms | ${fmt(s.medianMs, 3)} ms | **${fmt(s.speedup, 1)}×** | ${fmt(c.medianMs, 2)} ms | ${fmt(c.speedup, 1)}× | ${kib(t.fileBytes)} / ${kib(s.fileBytes)} | ${kib(t.wasmMemoryBytes)} / ${kib(s.wasmMemoryBytes)} |`);
  }
  for (const m of models) {
    const s = get(m, 'bexnet-simd'), total = s.layers.reduce((a, l) => a + l.ms, 0);
    out.push('', `${m} (${data.models?.[m] ?? ''}), bexnet-simd per layer:`, '', '| # | op | output | MACs | ms | GMAC/s | share |', '|---:|---|---|---:|---:|---:|---:|');
    for (const l of s.layers) out.push(`| ${l.index} | ${l.kind} | ${l.output} | ${fmt(l.macs / 1e6, 2)} M | ${fmt(l.ms, 4)} | ${fmt(l.macs / l.ms / 1e6, 1)} | ${fmt((100 * l.ms) / total, 1)}% |`);
  }
  out.push('', `Median ms per image, the three implementations timed round-robin in one process; per-layer times are medians of profile() runs. ${data.tfjs}; Node ${data.node}; CPU ${data.cpu}.`);
  return out.join('\n');
};

// The recipe tuning grid (tools/train/tune-recipe.ts): validation top-1 per config × variant.
TABLES.recipe_tuning = (data) => {
  const variants = ['float', 'xnor', 'dabn'];
  const configs = [...new Set(data.rows.map((r) => r.config))];
  const get = (c, v) => data.rows.filter((r) => r.config === c && r.variant === v);
  const aug = (a) => (Object.values(a).every((x) => x === 0) ? 'none'
    : [a.rotateDeg && `±${a.rotateDeg}°`, a.scale && `×${1 - a.scale}–${1 + a.scale}`, a.shear && `shear ${a.shear}`, a.shiftPx && `±${a.shiftPx} px`, a.dilate && `dilate ${a.dilate}`, a.flip && `flip ${a.flip}`].filter(Boolean).join(', '));
  // Several seeds: their mean, ± the sample standard deviation and the seed count.
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const cell = (rs) => {
    if (rs.length === 0) return '–';
    const val = rs.map((r) => 100 * r.valTop1), m = mean(val);
    const spread = rs.length > 1 ? ` ± ${Math.sqrt(val.reduce((a, v) => a + (v - m) ** 2, 0) / (val.length - 1)).toFixed(1)}, ${rs.length} seeds` : '';
    return `${m.toFixed(1)}%${spread} (${(100 * mean(rs.map((r) => r.trainTop1))).toFixed(0)}%)`;
  };
  const out = [
    `| config | epochs | augmentation | label smoothing | weight decay | dropout | mixup α | batch | optimizer, lr | ${variants.map((v) => `${v} val (train)`).join(' | ')} |`,
    `|---|---:|---|---:|---:|---:|---:|---:|---|${variants.map(() => '---:').join('|')}|`,
  ];
  for (const c of configs) {
    const any = data.rows.find((r) => r.config === c);
    // Adam rows: the multiple of the v1 (base) rates, which differ per variant, where the file has a base row; else and for other optimizers, the rate.
    const base = data.rows.find((r) => r.config === 'base' && r.variant === any.variant);
    // Without a base row, the rate itself: one per variant when they differ (float's and the binary variants' do).
    const rates = variants.filter((v) => get(c, v).length).map((v) => [v, get(c, v)[0].lr]);
    const rate = new Set(rates.map(([, r]) => r)).size === 1 ? `${any.lr}` : rates.map(([v, r]) => `${v} ${r}`).join(', ');
    const lr = (any.optimizer ?? 'adam') === 'adam' ? (base ? `Adam, ×${fmt(any.lr / base.lr, 0)}` : `Adam, ${rate}`) : `${any.optimizer}, ${rate}`;
    out.push(`| ${c} | ${any.epochs} | ${aug(any.augmentation)} | ${any.labelSmoothing} | ${any.weightDecay} | ${any.dropout ?? 0} | ${any.mixup ?? 0} | ${any.batch} | ${lr} | ${variants.map((v) => cell(get(c, v))).join(' | ')} |`);
  }
  const first = data.rows[0];
  const cpus = [...new Set(data.rows.map((r) => r.cpu))].map((cpu) => `${cpu} (${data.rows.filter((r) => r.cpu === cpu).length})`).join(', ');
  const seeds = [...new Set(data.rows.map((r) => r.seed))];
  out.push('', `${first.dataset}, ${first.split}, seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')}; ${data.rows.length} runs on ${cpus}. Train = top-1 on the un-augmented training drawings.`);
  return out.join('\n');
};

// The same grid at 345 classes (its validation split is 3,450 drawings, ±0.85 points of binomial noise).
TABLES.recipe_tuning_345 = TABLES.recipe_tuning;

TABLES.payload = (data) => {
  const out = ['| what a browser app downloads | JS (min) | JS gzip | wasm | wasm gzip | total gzip | × bexnet |', '|---|---:|---:|---:|---:|---:|---:|'];
  const base = data.rows[0].totalGzip;
  for (const r of data.rows) out.push(`| ${r.what} | ${r.jsBytes} B | ${r.jsGzip} B | ${r.wasmBytes} B | ${r.wasmGzip} B | **${r.totalGzip} B** | ${fmt(r.totalGzip / base, 1)}× |`);
  const verdict = base <= data.targetBytes ? 'met' : `**missed by ${base - data.targetBytes} B**`;
  out.push('', `esbuild ${data.esbuild} (minified, browser), gzip -9; target ${data.targetBytes} B: ${verdict}; test guard ${data.guardBytes} B. \`${data.command}\`.`);
  const code = data.rows[0].jsCodeGzip;
  if (code !== undefined)
    out.push('', `With the text of every string and template literal removed (the error messages, mostly) bexnet's JS would be ${code} B gzip, ${code + data.rows[0].wasmGzip} B with its wasm.`);
  return out.join('\n');
};

/** One table's markdown from its results object (the body between the markers). */
export function renderTable(name, data) {
  if (!Object.hasOwn(TABLES, name)) throw new Error(`no table renderer '${name}'`);
  return TABLES[name](data);
}

export function render(readme) {
  return readme.replace(/<!-- table:(\w+) -->\n[\s\S]*?<!-- \/table:\1 -->/g, (_, name) => {
    const file = `${root}tools/results/${name}.json`;
    const body = existsSync(file) ? TABLES[name](JSON.parse(readFileSync(file, 'utf8'))) : `_no result yet: tools/results/${name}.json_`;
    return `<!-- table:${name} -->\n${body}\n<!-- /table:${name} -->`;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const readme = readFileSync(readmePath, 'utf8');
  const next = render(readme);
  if (process.argv.includes('--check')) {
    if (next !== readme) { console.error('README tables are out of date: run `node tools/render-readme.mjs`'); process.exit(1); }
  } else {
    writeFileSync(readmePath, next);
  }
}
