// The demo page: pointer strokes → QuickDraw-style 28×28 input → the worker → top-5.
// window.bexnetDemo exposes the last input and prediction for test/demo.test.ts.
// The model is one of the committed examples (tools/examples/), chosen by the picker or ?model=.
import { strokesToInput } from './preprocess.mjs';

const pad = document.getElementById('pad');
const ctx = pad.getContext('2d');
const $ = (id) => document.getElementById(id);
const MODELS = [...$('model').options].map((o) => o.value);
const strokes = [];
const pending = new Map();
let nextId = 0, current = null, modelInfo = null, worker = null;
let busy = false, again = false; // an inference in flight; a newer drawing waiting for it

const demo = window.bexnetDemo = { ready: false, busy: false, strokes, lastInput: null, lastTop: null, predictions: 0, classify };

function classify(input) {
  const id = nextId++;
  return new Promise((resolve) => { pending.set(id, resolve); worker.postMessage({ id, input }); });
}

/** A fresh worker for example `name`; the previous one (and its pending answers) is dropped. */
function start(name) {
  worker?.terminate();
  pending.clear(); // their inference died with the worker, so nothing is in flight
  busy = demo.busy = again = false;
  modelInfo = null;
  demo.ready = false;
  $('model').value = name;
  $('status').textContent = `loading ${name}…`;
  const url = new URL('./worker.mjs', import.meta.url);
  url.searchParams.set('model', `../../tools/examples/${name}.bxn`);
  worker = new Worker(url, { type: 'module' });
  worker.onmessage = ({ data }) => {
    if (data.type === 'ready') {
      modelInfo = data;
      demo.ready = true;
      $('status').textContent = `${data.name}: ${(data.modelBytes / 1024).toFixed(1)} KiB model, ${data.classes} classes, ${data.backend} kernels (${data.kernelFile}), loaded in ${data.loadMs.toFixed(1)} ms`;
      if (strokes.length) update();
    } else if (data.type === 'error') {
      $('status').textContent = `could not load the model: ${data.message}`;
    } else {
      pending.get(data.id)?.(data);
      pending.delete(data.id);
    }
  };
}
const asked = new URL(location.href).searchParams.get('model');
start(MODELS.includes(asked) ? asked : MODELS[0]);
$('model').addEventListener('change', () => {
  const url = new URL(location.href);
  url.searchParams.set('model', $('model').value);
  history.replaceState(null, '', url);
  start($('model').value);
});

function show({ top, ms }) {
  demo.lastTop = top;
  demo.predictions++;
  $('top5').innerHTML = top.map((p) => `<li>${p.label} <span class="muted">${(100 * p.score).toFixed(1)}%</span><span class="bar" style="width:${Math.round(120 * p.score)}px"></span></li>`).join('');
  $('latency').textContent = `inference ${ms.toFixed(2)} ms (in the worker)`;
}

function drawInput(input) {
  const c = $('input').getContext('2d');
  const img = c.createImageData(28, 28);
  input.forEach((v, i) => { const g = 255 - Math.round(255 * v); img.data.set([g, g, g, 255], 4 * i); });
  c.putImageData(img, 0, 0);
}

/** Classify the drawing; while one inference is in flight, only the newest drawing is queued. */
async function update() {
  if (busy) { again = true; return; }
  busy = demo.busy = true;
  const input = strokesToInput(strokes);
  demo.lastInput = input;
  drawInput(input);
  show(await classify(input));
  busy = demo.busy = again;
  if (again) { again = false; busy = false; update(); }
}

const point = (e) => { const r = pad.getBoundingClientRect(); return { x: (e.clientX - r.left) * (pad.width / r.width), y: (e.clientY - r.top) * (pad.height / r.height) }; };
pad.addEventListener('pointerdown', (e) => {
  pad.setPointerCapture(e.pointerId);
  current = [point(e)];
  strokes.push(current);
  ctx.lineWidth = 6; ctx.lineCap = ctx.lineJoin = 'round'; ctx.strokeStyle = '#111';
});
pad.addEventListener('pointermove', (e) => {
  if (!current) return;
  const p = point(e), q = current[current.length - 1];
  current.push(p);
  ctx.beginPath(); ctx.moveTo(q.x, q.y); ctx.lineTo(p.x, p.y); ctx.stroke();
  if (modelInfo) update();
});
const end = () => { if (current && modelInfo) update(); current = null; };
pad.addEventListener('pointerup', end);
pad.addEventListener('pointercancel', end);
$('clear').addEventListener('click', () => {
  strokes.length = 0; ctx.clearRect(0, 0, pad.width, pad.height);
  $('top5').innerHTML = ''; $('latency').textContent = ''; demo.lastInput = demo.lastTop = null;
});
