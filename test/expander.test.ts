// Expander graphs (sdk/expander.ts, FORMAT.md §10): bit-exact against an independent C
// implementation's vectors, well formed, balanced, and better connected than grouped
// convolution at the same degree.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expanderGraph, GENERATOR_GROUPED, groupedGraph, layerChannelTable, layerGraphError, layerGroupTable, xoshiro128ss, MAX_GRAPH_EDGES, type LayerGraph } from '../sdk/expander';

interface Vectors {
  generator: number;
  xoshiro128ss: { seedLo: number; seedHi: number; first: number[] }[];
  graphs: { inputs: number; outputs: number; degree: number; seedLo: number; seedHi: number; balanced: boolean; table: number[] }[];
}
// Written by test/support/expander-vectors.c from the FORMAT.md text, not from this code.
const vectors: Vectors = JSON.parse(readFileSync(new URL('./expander.vectors.json', import.meta.url), 'utf8'));

/** A grouped convolution's graph as a table: output o reads the D channels of group ⌊o·g/C_out⌋. */
function groupedTable(cin: number, cout: number, groups: number): Int32Array {
  const d = cin / groups, t = new Int32Array(cout * d);
  for (let o = 0; o < cout; o++) for (let k = 0; k < d; k++) t[o * d + k] = Math.floor((o * groups) / cout) * d + k;
  return t;
}

/** Fraction of the bottom layer's channels that one top output reaches through `tables` (top first), worst output. */
function reach(tables: Int32Array[], channels: number, degree: number): number {
  let worst = 1;
  for (let start = 0; start < channels; start++) {
    let frontier = new Set([start]);
    for (const t of tables) {
      const next = new Set<number>();
      for (const o of frontier) for (let k = 0; k < degree; k++) next.add(t[o * degree + k]);
      frontier = next;
    }
    worst = Math.min(worst, frontier.size / channels);
  }
  return worst;
}

/** Eigenvalues of a symmetric n×n matrix (cyclic Jacobi; exact to ~1e-12, fine for n ≤ 128). */
function symmetricEigenvalues(m: Float64Array, n: number): number[] {
  const a = Float64Array.from(m);
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => a[i * n + i]).sort((x, y) => y - x);
}

/**
 * The two largest singular values of the normalised bi-adjacency B = D_out^-½ A D_in^-½
 * (A[o][i] = 1 when output o reads input i), from the eigenvalues of BᵀB. σ1 = 1 for any
 * graph; σ2 = 1 means a part of the graph is cut off from the rest (grouped conv), small
 * σ2 means every set of inputs spreads to many outputs.
 */
function singularValues(table: Int32Array, inputs: number, outputs: number, degree: number): [number, number] {
  const dIn = new Float64Array(inputs);
  for (const i of table) dIn[i]++;
  const m = new Float64Array(inputs * inputs);
  for (let o = 0; o < outputs; o++) {
    const row = table.subarray(o * degree, (o + 1) * degree);
    for (const i of row) for (const j of row) m[i * inputs + j] += 1 / (degree * Math.sqrt(dIn[i] * dIn[j]));
  }
  const ev = symmetricEigenvalues(m, inputs);
  return [Math.sqrt(Math.max(0, ev[0])), Math.sqrt(Math.max(0, ev[1]))];
}

/** Nontrivial singular values of a random (d_out, d_in)-biregular bipartite graph concentrate below this (Alon–Boppana / Ramanujan bound). */
const ramanujan = (dOut: number, dIn: number) => (Math.sqrt(dOut - 1) + Math.sqrt(dIn - 1)) / Math.sqrt(dOut * dIn);

describe('expander generator: bit-exact against the C vectors', () => {
  it('the vectors are for generator 1 and cover uniform, balanced, resets and degree = inputs', () => {
    expect(vectors.generator).toBe(1);
    expect(vectors.graphs.some((g) => g.balanced && (g.outputs * g.degree) % g.inputs !== 0)).toBe(true);
    expect(vectors.graphs.some((g) => g.degree === g.inputs)).toBe(true);
    expect(vectors.graphs.some((g) => !g.balanced)).toBe(true);
  });
  for (const v of vectors.xoshiro128ss) {
    it(`xoshiro128** seed (${v.seedLo}, ${v.seedHi}) gives the C stream`, () => {
      const next = xoshiro128ss(v.seedLo, v.seedHi);
      expect(v.first.map(() => next())).toEqual(v.first);
    });
  }
  for (const g of vectors.graphs) {
    it(`${g.balanced ? 'balanced' : 'uniform'} ${g.inputs}→${g.outputs} D=${g.degree} seed (${g.seedLo}, ${g.seedHi}) gives the C table`, () => {
      expect(Array.from(expanderGraph(g))).toEqual(g.table);
    });
  }
});

describe('expander generator: well formed', () => {
  const cases = [
    { inputs: 64, outputs: 64, degree: 16 }, { inputs: 37, outputs: 91, degree: 7 }, { inputs: 345, outputs: 128, degree: 40 },
    { inputs: 9, outputs: 200, degree: 9 }, { inputs: 512, outputs: 3, degree: 1 },
  ];
  for (const c of cases) {
    for (const balanced of [false, true]) {
      it(`${balanced ? 'balanced' : 'uniform'} ${c.inputs}→${c.outputs} D=${c.degree}: each row holds D distinct inputs, ascending, in range`, () => {
        const t = expanderGraph({ ...c, seedLo: 0x1234, seedHi: 99, balanced });
        expect(t.length).toBe(c.outputs * c.degree);
        for (let o = 0; o < c.outputs; o++) {
          const row = Array.from(t.subarray(o * c.degree, (o + 1) * c.degree));
          for (let k = 0; k < row.length; k++) {
            expect(row[k]).toBeGreaterThanOrEqual(0);
            expect(row[k]).toBeLessThan(c.inputs);
            if (k > 0) expect(row[k]).toBeGreaterThan(row[k - 1]);
          }
        }
      });
    }
  }

  it('is deterministic in the seed, and every seed bit changes the graph', () => {
    const p = { inputs: 128, outputs: 128, degree: 16, seedLo: 77, seedHi: 5, balanced: true };
    const base = Array.from(expanderGraph(p));
    expect(Array.from(expanderGraph(p))).toEqual(base);
    for (let bit = 0; bit < 64; bit++) {
      const q = bit < 32 ? { ...p, seedLo: (p.seedLo ^ (1 << bit)) >>> 0 } : { ...p, seedHi: (p.seedHi ^ (1 << (bit - 32))) >>> 0 };
      expect(Array.from(expanderGraph(q)), `seed bit ${bit}`).not.toEqual(base);
    }
  });

  it('balanced: every input is used ⌊E/C_in⌋ or ⌈E/C_in⌉ times; uniform is not held to it', () => {
    for (const [inputs, outputs, degree] of [[64, 64, 16], [37, 91, 7], [128, 345, 32], [100, 3, 40]]) {
      const use = new Int32Array(inputs);
      for (const i of expanderGraph({ inputs, outputs, degree, seedLo: 3, seedHi: 1, balanced: true })) use[i]++;
      const lo = Math.floor((outputs * degree) / inputs);
      for (const u of use) expect(u === lo || u === lo + 1, `${inputs}→${outputs} D=${degree}: use ${u}`).toBe(true);
    }
    const use = new Int32Array(128);
    for (const i of expanderGraph({ inputs: 128, outputs: 128, degree: 16, seedLo: 3, seedHi: 1, balanced: false })) use[i]++;
    expect(Math.max(...use) - Math.min(...use)).toBeGreaterThan(1); // what balancing is for
  });

  it('rejects sizes and degrees outside the spec, and graphs too large to build at load', () => {
    const ok = { inputs: 16, outputs: 16, degree: 4, seedLo: 0, seedHi: 0, balanced: false };
    for (const bad of [{ degree: 0 }, { degree: 17 }, { degree: 2.5 }, { inputs: 0 }, { outputs: 65537 }, { inputs: NaN }])
      expect(() => expanderGraph({ ...ok, ...bad }), JSON.stringify(bad)).toThrow(RangeError);
    expect(() => expanderGraph({ ...ok, inputs: 65536, outputs: 65536, degree: 65536 })).toThrow(/exceed/);
    expect(MAX_GRAPH_EDGES).toBe(1 << 24);
  });
});

describe('layer graphs: channel groups and output blocks', () => {
  const layer = (over: Partial<LayerGraph> = {}): LayerGraph => ({ inChannels: 128, outChannels: 100, degree: 32, inGroup: 8, outGroup: 8, seedLo: 11, seedHi: 0, balanced: true, ...over });

  it('output blocks share one row of whole input groups, and the channel table lifts it', () => {
    const g = layer();
    const groups = layerGroupTable(g);
    expect(groups.length).toBe(Math.ceil(100 / 8) * 4);
    const ch = layerChannelTable(g, groups);
    expect(ch.length).toBe(100 * 32);
    for (let o = 0; o < 100; o++) {
      const row = ch.subarray(o * 32, o * 32 + 32);
      const block = Array.from(groups.subarray(Math.floor(o / 8) * 4, Math.floor(o / 8) * 4 + 4));
      expect(Array.from(row)).toEqual(block.flatMap((grp) => Array.from({ length: 8 }, (_, j) => grp * 8 + j)));
    }
  });

  it('with groups of 1 the channel table is the generator\'s graph itself', () => {
    const g = layer({ inGroup: 1, outGroup: 1, degree: 13, inChannels: 50 });
    expect(Array.from(layerChannelTable(g))).toEqual(Array.from(expanderGraph({ inputs: 50, outputs: 100, degree: 13, seedLo: 11, seedHi: 0, balanced: true })));
  });

  it('says what is wrong with a bad layer graph', () => {
    expect(layerGraphError(layer())).toBeNull();
    expect(layerGraphError(layer({ inChannels: 100 }))).toMatch(/C_in 100 is not a multiple of inGroup 8/);
    expect(layerGraphError(layer({ degree: 12 }))).toMatch(/D 12 must be a multiple of inGroup 8/);
    expect(layerGraphError(layer({ degree: 136 }))).toMatch(/1\.\.C_in 128/);
    expect(layerGraphError(layer({ outGroup: 0 }))).toMatch(/outGroup 0/);
    expect(() => layerGroupTable(layer({ degree: 0 }))).toThrow(RangeError);
  });
});

describe('generator 2: grouped convolution (block-diagonal), plain and shuffled', () => {
  const grouped = (over: Partial<LayerGraph> = {}): LayerGraph =>
    ({ generator: GENERATOR_GROUPED, inChannels: 64, outChannels: 64, degree: 16, inGroup: 8, outGroup: 8, seedLo: 0, seedHi: 0, balanced: false, ...over });
  const rows = (g: LayerGraph) => {
    const t = layerGroupTable(g), d = g.degree / g.inGroup;
    return Array.from({ length: t.length / d }, (_, b) => Array.from(t.subarray(b * d, b * d + d)));
  };

  it('tables worked out by hand', () => {
    // 8 input groups, 8 blocks, d 2: G = 4 groups of 2 blocks.
    expect(rows(grouped())).toEqual([[0, 1], [0, 1], [2, 3], [2, 3], [4, 5], [4, 5], [6, 7], [6, 7]]);
    expect(rows(grouped({ shuffled: true }))).toEqual([[0, 4], [0, 4], [1, 5], [1, 5], [2, 6], [2, 6], [3, 7], [3, 7]]);
    // 4 input groups, 8 blocks (C_out 64 = 2·C_in), d 2: G = 2 groups of 4 blocks.
    expect(rows(grouped({ inChannels: 32 }))).toEqual([[0, 1], [0, 1], [0, 1], [0, 1], [2, 3], [2, 3], [2, 3], [2, 3]]);
    expect(rows(grouped({ inChannels: 32, shuffled: true }))).toEqual([[0, 2], [0, 2], [0, 2], [0, 2], [1, 3], [1, 3], [1, 3], [1, 3]]);
    // 16 input groups, 4 blocks (C_out 32), d 4: G = 4 groups of one block.
    expect(rows(grouped({ inChannels: 128, outChannels: 32, degree: 32 }))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]);
    expect(rows(grouped({ inChannels: 128, outChannels: 32, degree: 32, shuffled: true }))).toEqual([[0, 4, 8, 12], [1, 5, 9, 13], [2, 6, 10, 14], [3, 7, 11, 15]]);
    // d = 1 (G = n): one group each, shuffled or not; d = n (G = 1): the dense layer.
    expect(rows(grouped({ inChannels: 32, outChannels: 32, degree: 8 }))).toEqual([[0], [1], [2], [3]]);
    expect(rows(grouped({ inChannels: 32, outChannels: 32, degree: 8, shuffled: true }))).toEqual([[0], [1], [2], [3]]);
    expect(rows(grouped({ inChannels: 24, outChannels: 20, degree: 24, shuffled: true }))).toEqual([[0, 1, 2], [0, 1, 2], [0, 1, 2]]);
    // Groups of 1 channel, a short last block (C_out 12, outGroup 4: 3 blocks), G = 3.
    expect(rows(grouped({ inChannels: 6, outChannels: 12, degree: 2, inGroup: 1, outGroup: 4 }))).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(rows(grouped({ inChannels: 6, outChannels: 12, degree: 2, inGroup: 1, outGroup: 4, shuffled: true }))).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(Array.from(layerChannelTable(grouped({ inChannels: 16, outChannels: 16, degree: 8, shuffled: true })))).toEqual(
      [...Array(8).fill([0, 1, 2, 3, 4, 5, 6, 7]), ...Array(8).fill([8, 9, 10, 11, 12, 13, 14, 15])].flat());
  });

  it('every group reads d distinct inputs, each input read by exactly one group, ascending rows', () => {
    for (const [n, m, d] of [[16, 16, 4], [16, 32, 2], [32, 8, 8], [12, 6, 4], [9, 9, 3]]) {
      for (const shuffled of [false, true]) {
        const t = groupedGraph(n, m, d, shuffled), G = n / d, readBy = new Int32Array(n).fill(-1);
        for (let b = 0; b < m; b++) {
          const row = Array.from(t.subarray(b * d, b * d + d)), g = Math.floor((b * G) / m);
          expect(row).toEqual([...row].sort((x, y) => x - y));
          for (const i of row) { expect(readBy[i] === -1 || readBy[i] === g).toBe(true); readBy[i] = g; }
        }
        expect(Array.from(readBy).every((g) => g >= 0)).toBe(true);
      }
    }
  });

  it('shuffled after grouped mixes the groups: each group reads min(d, G) groups of the layer before', () => {
    for (const [n, d] of [[8, 2], [8, 4], [16, 4], [16, 2], [32, 4]]) {
      const G = n / d, shuffled = groupedGraph(n, n, d, true), plain = groupedGraph(n, n, d, false);
      const sources = (t: Int32Array, b: number) => new Set(Array.from(t.subarray(b * d, b * d + d), (i) => Math.floor((i * G) / n))).size;
      for (let b = 0; b < n; b++) {
        expect(sources(plain, b)).toBe(1);
        expect(sources(shuffled, b)).toBe(Math.min(d, G));
      }
    }
  });

  it('validation: divisibility, no seed, no balanced flag; shuffled is generator 2 only; unknown generators', () => {
    expect(layerGraphError(grouped())).toBeNull();
    expect(layerGraphError(grouped({ shuffled: true }))).toBeNull();
    expect(layerGraphError(grouped({ degree: 24 }))).toMatch(/8 input groups do not split into groups of D\/inGroup = 3/);
    expect(layerGraphError(grouped({ outChannels: 40 }))).toMatch(/5 output blocks do not split evenly over 4 groups/);
    expect(layerGraphError(grouped({ outChannels: 57 }))).toBeNull(); // 8 blocks, the last short
    expect(layerGraphError(grouped({ seedLo: 1 }))).toMatch(/no seed/);
    expect(layerGraphError(grouped({ seedHi: 1 }))).toMatch(/no seed/);
    expect(layerGraphError(grouped({ balanced: true }))).toMatch(/no balanced flag/);
    expect(layerGraphError(grouped({ generator: 1, seedLo: 5, shuffled: true }))).toMatch(/generator 2 only/);
    expect(layerGraphError(grouped({ generator: 3 }))).toMatch(/generator 3 is unknown/);
    expect(layerGraphError(grouped({ degree: 12 }))).toMatch(/multiple of inGroup/); // the common checks come first
    expect(() => layerGroupTable(grouped({ outChannels: 40 }))).toThrow(RangeError);
  });
});

describe('expansion: an expander layer is better connected than grouped conv at the same D', () => {
  // Every layer of a stack gets its own graph (its own seed), as in a trained X-Net.
  const stack = (n: number, c: number, d: number, balanced: boolean) =>
    Array.from({ length: n }, (_, l) => expanderGraph({ inputs: c, outputs: c, degree: d, seedLo: 1000 + l, seedHi: 0, balanced }));

  for (const [c, f] of [[64, 2], [64, 4], [128, 4], [128, 8], [256, 8]]) {
    const d = c / f;
    it(`C=${c}, f=${f} (D=${d}): inputs reachable after 2 and 3 stacked layers`, () => {
      const grouped = Array.from({ length: 3 }, () => groupedTable(c, c, f));
      // Grouped conv never leaves its group: 1/f of the channels at any depth.
      expect(reach(grouped.slice(0, 2), c, d)).toBeCloseTo(1 / f, 12);
      expect(reach(grouped, c, d)).toBeCloseTo(1 / f, 12);
      for (const balanced of [false, true]) {
        const x = stack(3, c, d, balanced);
        // A random graph reaches 1 − (1 − 1/f)^D of the channels in expectation after 2 layers; the worst output within 0.1 of it.
        const r2 = reach(x.slice(0, 2), c, d), r3 = reach(x, c, d);
        expect(r2, `2 layers, balanced ${balanced}`).toBeGreaterThan(Math.min(1, 1 - (1 - 1 / f) ** d) - 0.1);
        expect(r2).toBeGreaterThanOrEqual(Math.min(1, 2 / f));
        expect(r3, `3 layers, balanced ${balanced}`).toBeGreaterThanOrEqual(0.99);
      }
    });
  }

  for (const [c, f] of [[64, 4], [128, 4], [128, 8]]) {
    const d = c / f;
    it(`C=${c}, f=${f} (D=${d}): second singular value of the normalised bi-adjacency`, () => {
      const [g1, g2] = singularValues(groupedTable(c, c, f), c, c, d);
      expect(g1).toBeCloseTo(1, 9);
      expect(g2).toBeCloseTo(1, 9); // f disconnected blocks: f singular values equal to 1
      const [x1, x2] = singularValues(expanderGraph({ inputs: c, outputs: c, degree: d, seedLo: 5, seedHi: 0, balanced: true }), c, c, d);
      expect(x1).toBeCloseTo(1, 9);
      // Close to the best possible for its degrees (the Ramanujan bound), far below grouped conv's 1.
      expect(x2).toBeLessThan(1.15 * ramanujan(d, d));
      expect(x2).toBeLessThan(0.75);
    });
  }

  it('a layer graph over groups of 8 channels keeps its group graph\'s σ2 at channel level, still well below grouped conv', () => {
    const g: LayerGraph = { inChannels: 128, outChannels: 128, degree: 32, inGroup: 8, outGroup: 8, seedLo: 5, seedHi: 0, balanced: true };
    const [, groupσ2] = singularValues(layerGroupTable(g), 16, 16, 4);
    const [c1, c2] = singularValues(layerChannelTable(g), 128, 128, 32);
    expect(c1).toBeCloseTo(1, 9);
    expect(c2).toBeCloseTo(groupσ2, 9); // lifting by all-ones blocks changes no nontrivial singular value
    expect(c2).toBeLessThan(1.15 * ramanujan(4, 4));
    expect(c2).toBeLessThan(0.95);
  });
});
