// bexnet bench: the repo's benchmarks, by name.
import { UsageError } from '../args.js';
import type { Command } from './command.js';

const BENCHES: Record<string, string> = { kernels: './bench-kernels.mjs' };

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
    process.argv = [process.argv[0], script, ...argv];
    await import(new URL(script, import.meta.url).href);
  },
};
