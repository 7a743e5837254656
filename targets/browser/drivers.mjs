// One small interface over the three browser engines' drivers, so the smoke and demo tests
// run the same flow everywhere: Chromium (Debian chromium + playwright-core), Firefox
// (Debian firefox-esr + puppeteer-core over WebDriver BiDi) and WebKit (Debian
// webkit2gtk-driver: WebKitWebDriver + MiniBrowser --automation, under xvfb-run).
//   const b = await openBrowser('chromium'); await b.goto(url); await b.eval('1 + 1'); await b.close();
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

export const BROWSERS = ['chromium', 'firefox', 'webkit'];
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const FIREFOX = '/usr/bin/firefox-esr';
export const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** `expr` is a JS expression (may be a promise); its JSON value comes back. */
const asyncScript = (expr) => `const done = arguments[arguments.length - 1];
  (async () => (${expr}))().then((value) => done({ value }), (e) => done({ error: String(e && e.stack || e) }));`;

function unwrap(r, expr) {
  if (r && r.error) throw new Error(`in the page: ${r.error}\n(evaluating ${expr.slice(0, 200)})`);
  return r.value;
}

const freePort = () => new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });

function need(path, pkg) {
  if (!existsSync(path)) throw new Error(`${path} is missing: install Debian ${pkg} (.ci/run does)`);
}

async function chromium() {
  need(CHROMIUM, 'chromium');
  const { chromium: pw } = await import('playwright-core');
  const browser = await pw.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  return {
    name: 'chromium', version: browser.version(),
    goto: (url) => page.goto(url),
    eval: async (expr) => unwrap(await page.evaluate(`(async () => { try { return { value: await (${expr}) }; } catch (e) { return { error: String(e && e.stack || e) }; } })()`), expr),
    stroke: async (points) => { await page.mouse.move(...points[0]); await page.mouse.down(); for (const p of points.slice(1)) await page.mouse.move(...p, { steps: 2 }); await page.mouse.up(); },
    screenshot: (path) => page.screenshot({ path }),
    close: () => browser.close(),
  };
}

async function firefox() {
  need(FIREFOX, 'firefox-esr');
  const { default: puppeteer } = await import('puppeteer-core');
  // The window size comes from the flags: puppeteer's viewport emulation sends BiDi commands
  // (emulation.setScreenOrientationOverride) that Firefox ESR 140 does not know.
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, defaultViewport: null, args: ['--width=900', '--height=700'] });
  const page = await browser.newPage();
  return {
    name: 'firefox', version: (await browser.version()).replace(/^firefox\//i, ''),
    goto: (url) => page.goto(url),
    eval: async (expr) => unwrap(await page.evaluate(`(async () => { try { return { value: await (${expr}) }; } catch (e) { return { error: String(e && e.stack || e) }; } })()`), expr),
    stroke: async (points) => { await page.mouse.move(...points[0]); await page.mouse.down(); for (const p of points.slice(1)) await page.mouse.move(...p, { steps: 2 }); await page.mouse.up(); },
    screenshot: (path) => page.screenshot({ path }),
    close: () => browser.close(),
  };
}

async function webkit() {
  need('/usr/bin/WebKitWebDriver', 'webkit2gtk-driver'); need(MINIBROWSER, 'webkit2gtk-driver'); need('/usr/bin/xvfb-run', 'xvfb');
  const port = await freePort();
  // Own process group, so close() ends xvfb-run, Xvfb and the driver together.
  const driver = spawn('xvfb-run', ['-a', 'WebKitWebDriver', `--port=${port}`], { stdio: 'ignore', detached: true });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const r = await fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const json = await r.json();
    if (!r.ok) throw new Error(`WebDriver ${method} ${path}: ${JSON.stringify(json.value).slice(0, 300)}`);
    return json.value;
  };
  let session;
  for (let t = 0; t < 100 && !session; t++) {
    try {
      session = await call('POST', '/session', { capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } } });
    } catch (e) {
      if (t === 99) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const s = `/session/${session.sessionId}`;
  await call('POST', `${s}/timeouts`, { script: 120_000 });
  await call('POST', `${s}/window/rect`, { width: 900, height: 700 }).catch(() => {});
  return {
    name: 'webkit', version: session.capabilities.browserVersion,
    goto: (url) => call('POST', `${s}/url`, { url }),
    eval: async (expr) => unwrap(await call('POST', `${s}/execute/async`, { script: asyncScript(expr), args: [] }), expr),
    stroke: async (points) => {
      const actions = [{ type: 'pointerMove', x: Math.round(points[0][0]), y: Math.round(points[0][1]), duration: 0 }, { type: 'pointerDown', button: 0 }];
      for (const [x, y] of points.slice(1)) actions.push({ type: 'pointerMove', x: Math.round(x), y: Math.round(y), duration: 10 });
      actions.push({ type: 'pointerUp', button: 0 });
      await call('POST', `${s}/actions`, { actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions }] });
    },
    screenshot: async (path) => { const { writeFileSync } = await import('node:fs'); writeFileSync(path, Buffer.from(await call('GET', `${s}/screenshot`), 'base64')); },
    close: async () => { await call('DELETE', s).catch(() => {}); try { process.kill(-driver.pid, 'SIGTERM'); } catch { /* already gone */ } },
  };
}

const OPEN = { chromium, firefox, webkit };
/** Opens a browser by engine name ('chromium' | 'firefox' | 'webkit'). */
export function openBrowser(name) {
  if (!OPEN[name]) throw new Error(`unknown browser ${name}; one of ${BROWSERS.join(', ')}`);
  return OPEN[name]();
}
