// bexnet bench: the repo's benchmarks, by name.
import { fileURLToPath } from 'node:url';
import { UsageError } from '../args.js';
import { entryUrl, type EntryName } from '../entries.mjs';
import type { Command } from './command.js';

const BENCHES: Record<string, EntryName> = { kernels: 'bench-kernels' };

export const benchCommand: Command = {
  name: 'bench',
  summary: 'run a benchmark (kernels) and optionally write --json FILE',
  usage: `bexnet bench kernels [--json FILE] [--quick] [--variants]
  kernels   bconv2d / conv2d vs tfjs-backend-wasm, with the XOR+popcount ceiling`,
  options: { json: 'value', quick: 'flag', variants: 'flag' },
  positionals: 1,
  async run(o, [which]) {
    const script = BENCHES[which ?? ''];
    if (!script) throw new UsageError(`unknown benchmark '${which ?? ''}' (available: ${Object.keys(BENCHES).join(', ')})`);
    const argv = Object.entries(o).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, String(v)]));
    const url = entryUrl(script);
    process.argv = [process.argv[0], fileURLToPath(url), ...argv];
    await import(url.href);
  },
};
