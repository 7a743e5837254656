// The npm package as a user gets it: `npm pack` of this checkout, installed offline
// into an empty app folder (the package has no dependencies, so no registry is needed).
// Used by test/package.test.ts and tools/payload.mjs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Packs this checkout (built first: `npm run build`) and installs it into a new app folder; returns paths. */
export function packAndInstall(prefix = 'bexnet-pkg-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const packed = JSON.parse(execFileSync(npm, ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  const tarball = join(dir, packed[0].filename);
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  execFileSync(npm, ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
  return { dir, app, tarball, files: packed[0].files.map((f) => f.path), tarballBytes: packed[0].size, unpackedBytes: packed[0].unpackedSize };
}
