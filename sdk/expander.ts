/**
 * Expander graphs for X-Net layers (FORMAT.md §10): which input channels each output
 * channel reads. Training, export and the runtime all call `expanderGraph`, and the file
 * stores only its parameters, so the sampling below is the specification, bit for bit:
 * change nothing here without a new generator id (test vectors: test/expander.vectors.json).
 *
 * Generator 2 (grouped convolution, `groupedGraph`) is deterministic and has no vectors file.
 *
 * Generator 1: xoshiro128** seeded from the record's 64-bit seed, integers below n by
 * masked rejection, D distinct inputs per output by partial Fisher–Yates over a deck that
 * persists from one output to the next, each output's list sorted ascending.
 */

export const GENERATOR_XOSHIRO_FY = 1;
/**
 * Generator 2: grouped (block-diagonal) convolution, the baseline an X-layer is compared
 * with. No randomness: n = C_in/inGroup input groups, m = ceil(C_out/outGroup) output
 * blocks, degree d = D/inGroup, G = n/d convolution groups (n % d = 0, m % G = 0); output
 * block b is in group g = floor(b·G/m) and reads input groups g·d .. g·d + d − 1, or,
 * shuffled (flags bit 1, a ShuffleNet channel shuffle at the granularity of input groups),
 * g, g + G, .., g + (d − 1)·G.
 */
export const GENERATOR_GROUPED = 2;

export interface ExpanderParams {
  /** Inputs (graph nodes, not necessarily channels: see inGroup/outGroup in FORMAT.md). */
  inputs: number;
  outputs: number;
  /** Inputs per output, 1 ≤ degree ≤ inputs. */
  degree: number;
  seedLo: number;
  seedHi: number;
  /** Every input used ⌊outputs·degree/inputs⌋ or ⌈…⌉ times. */
  balanced: boolean;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/** xoshiro128** (Blackman & Vigna), state s[i] = fmix32(seedLo ^ fmix32(seedHi ^ 0x9E3779B9·(i+1))). */
export function xoshiro128ss(seedLo: number, seedHi: number): () => number {
  const s = new Uint32Array(4);
  for (let i = 0; i < 4; i++) s[i] = fmix32((seedLo ^ fmix32((seedHi ^ Math.imul(0x9e3779b9, i + 1)) >>> 0)) >>> 0);
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1; // the all-zero state is a fixed point
  return () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
}

/** Uniform integer in [0, n), 1 ≤ n ≤ 2^32: draw, keep the bits below n's top bit, retry until < n. */
function below(next: () => number, n: number): number {
  if (n <= 1) return 0;
  const mask = 0xffffffff >>> Math.clz32(n - 1);
  for (;;) {
    const r = (next() & mask) >>> 0;
    if (r < n) return r;
  }
}

/** Largest outputs·degree the generator accepts: the graph is built at load, so its work is bounded. */
export const MAX_GRAPH_EDGES = 1 << 24;

/**
 * The graph as an `outputs × degree` table (row o = output o's inputs, ascending).
 *
 * Deck `a` starts as 0..inputs−1 with `left = inputs` undrawn. A draw takes
 * `j = below(left)`, swaps `a[j]` with `a[left−1]`, decrements `left` and returns the item.
 * Uniform: each output sets `left = inputs`, then draws `degree` items.
 * Balanced: `left` carries over; when it reaches 0 mid-output, it resets to `inputs` and a
 * drawn item that this output already holds is put back (not removed) and drawn again.
 * Either way each output's set is uniform over `degree`-subsets of its deck.
 */
export function expanderGraph(p: ExpanderParams): Int32Array {
  const { inputs, outputs, degree, balanced } = p;
  if (!(Number.isInteger(inputs) && inputs >= 1 && inputs <= 65536 && Number.isInteger(outputs) && outputs >= 1 && outputs <= 65536))
    throw new RangeError(`expander graph: inputs ${inputs} and outputs ${outputs} must be integers in 1..65536`);
  if (!(Number.isInteger(degree) && degree >= 1 && degree <= inputs))
    throw new RangeError(`expander graph: degree ${degree} must be an integer in 1..${inputs} (the inputs)`);
  if (outputs * degree > MAX_GRAPH_EDGES)
    throw new RangeError(`expander graph: ${outputs}×${degree} edges exceed ${MAX_GRAPH_EDGES}`);
  const next = xoshiro128ss(p.seedLo >>> 0, p.seedHi >>> 0);
  const deck = new Int32Array(inputs);
  for (let i = 0; i < inputs; i++) deck[i] = i;
  const held = new Uint8Array(inputs); // items of the current output (balanced resets only)
  const table = new Int32Array(outputs * degree);
  let left = inputs;
  for (let o = 0; o < outputs; o++) {
    if (!balanced) left = inputs;
    const row = table.subarray(o * degree, (o + 1) * degree);
    for (let k = 0; k < degree; k++) {
      if (left === 0) left = inputs;
      let item: number;
      for (;;) {
        const j = below(next, left);
        item = deck[j];
        if (held[item]) continue; // only after a reset: put back, draw again
        deck[j] = deck[left - 1];
        deck[left - 1] = item;
        left--;
        break;
      }
      row[k] = item;
      held[item] = 1;
    }
    for (let k = 0; k < degree; k++) held[row[k]] = 0;
    row.sort();
  }
  return table;
}

/**
 * An X-layer's graph (FORMAT.md §10): the generator runs over channel groups. Inputs come
 * in groups of `inGroup` consecutive channels and outputs in blocks of `outGroup`; output
 * block b reads the input groups in row b of `expanderGraph({inputs: C_in/inGroup,
 * outputs: ceil(C_out/outGroup), degree: D/inGroup})`, every output of a block the same
 * D channels, ascending. Blocks let a kernel gather once for several outputs (bytes of
 * bits: inGroup 8) and run its dense inner loop on the gathered channels.
 */
export interface LayerGraph {
  inChannels: number;
  outChannels: number;
  /** Input channels per output channel. */
  degree: number;
  inGroup: number;
  outGroup: number;
  seedLo: number;
  seedHi: number;
  balanced: boolean;
  /** FORMAT.md §10 generator id: 1 (the expander, the default when absent) or 2 (grouped). */
  generator?: number;
  /** Generator 2 only: group g reads input groups g + G·j (a channel shuffle before the layer). */
  shuffled?: boolean;
}

export function layerGraphError(g: LayerGraph): string | null {
  const { inChannels: cin, outChannels: cout, degree: d, inGroup, outGroup } = g;
  if (!(Number.isInteger(cin) && cin >= 1 && cin <= 65536 && Number.isInteger(cout) && cout >= 1 && cout <= 65536)) return `C_in ${cin} and C_out ${cout} must be integers in 1..65536`;
  if (!(Number.isInteger(inGroup) && inGroup >= 1 && inGroup <= 256 && Number.isInteger(outGroup) && outGroup >= 1 && outGroup <= 256)) return `inGroup ${inGroup} and outGroup ${outGroup} must be integers in 1..256`;
  if (cin % inGroup !== 0) return `C_in ${cin} is not a multiple of inGroup ${inGroup}`;
  if (!(Number.isInteger(d) && d >= 1 && d <= cin && d % inGroup === 0)) return `D ${d} must be a multiple of inGroup ${inGroup} in 1..C_in ${cin}`;
  if (Math.ceil(cout / outGroup) * (d / inGroup) > MAX_GRAPH_EDGES) return `${Math.ceil(cout / outGroup)}×${d / inGroup} graph edges exceed ${MAX_GRAPH_EDGES}`;
  const generator = g.generator ?? GENERATOR_XOSHIRO_FY;
  if (generator === GENERATOR_XOSHIRO_FY) return g.shuffled ? 'the shuffled flag (bit 1) is for generator 2 only' : null;
  if (generator !== GENERATOR_GROUPED) return `graph generator ${generator} is unknown (known: ${GENERATOR_XOSHIRO_FY}, ${GENERATOR_GROUPED})`;
  if (g.seedLo !== 0 || g.seedHi !== 0 || g.balanced) return `generator 2 (grouped) takes no seed and no balanced flag (seed ${g.seedHi}:${g.seedLo}, balanced ${g.balanced})`;
  const n = cin / inGroup, m = Math.ceil(cout / outGroup), per = d / inGroup;
  if (n % per !== 0) return `generator 2 (grouped): ${n} input groups do not split into groups of D/inGroup = ${per}`;
  if (m % (n / per) !== 0) return `generator 2 (grouped): ${m} output blocks do not split evenly over ${n / per} groups`;
  return null;
}

/**
 * Generator 2's table (`outputs × degree`): G = inputs/degree groups, output b in group
 * g = floor(b·G/outputs) reads inputs g·degree + j, or g + G·j when shuffled (j < degree, ascending).
 * The caller has checked inputs % degree = 0 and outputs % G = 0.
 */
export function groupedGraph(inputs: number, outputs: number, degree: number, shuffled: boolean): Int32Array {
  const G = inputs / degree;
  const table = new Int32Array(outputs * degree);
  for (let b = 0; b < outputs; b++) {
    const g = Math.floor((b * G) / outputs);
    for (let j = 0; j < degree; j++) table[b * degree + j] = shuffled ? g + G * j : g * degree + j;
  }
  return table;
}

/** Row b = the input groups of output block b (`outBlocks × D/inGroup`). */
export function layerGroupTable(g: LayerGraph): Int32Array {
  const err = layerGraphError(g);
  if (err) throw new RangeError(`expander layer graph: ${err}`);
  if (g.generator === GENERATOR_GROUPED)
    return groupedGraph(g.inChannels / g.inGroup, Math.ceil(g.outChannels / g.outGroup), g.degree / g.inGroup, g.shuffled === true);
  return expanderGraph({
    inputs: g.inChannels / g.inGroup, outputs: Math.ceil(g.outChannels / g.outGroup), degree: g.degree / g.inGroup,
    seedLo: g.seedLo, seedHi: g.seedHi, balanced: g.balanced,
  });
}

/** Row o = the D input channels of output channel o, ascending (`C_out × D`): the training mask and the weights' order. */
export function layerChannelTable(g: LayerGraph, groups = layerGroupTable(g)): Int32Array {
  const per = g.degree / g.inGroup;
  const table = new Int32Array(g.outChannels * g.degree);
  for (let o = 0; o < g.outChannels; o++) {
    const row = groups.subarray(Math.floor(o / g.outGroup) * per, Math.floor(o / g.outGroup) * per + per);
    let k = o * g.degree;
    for (const grp of row) for (let j = 0; j < g.inGroup; j++) table[k++] = grp * g.inGroup + j;
  }
  return table;
}
