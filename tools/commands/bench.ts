// bexnet bench: the repo's benchmarks, by name.
import { fileURLToPath } from 'node:url';
import { UsageError } from '../args.js';
import { entryUrl, type EntryName } from '../entries.mjs';
import { KERNEL_BENCH_OPTIONS } from '../bench/kernel-options.js';
import { commandUsage, type Command } from './command.js';

const BENCHES: Record<string, EntryName> = { kernels: 'bench-kernels' };

export const benchCommand: Command<typeof KERNEL_BENCH_OPTIONS> = {
  name: 'bench',
  usage: commandUsage(`bexnet bench kernels [options]
  kernels   bconv2d / conv2d vs tfjs-backend-wasm, with the XOR+popcount ceiling`, KERNEL_BENCH_OPTIONS),
  options: KERNEL_BENCH_OPTIONS,
  positionals: 1,
  async run(o, [which]) {
    const script = BENCHES[which ?? ''];
    if (!script) throw new UsageError(`unknown benchmark '${which ?? ''}' (available: ${Object.keys(BENCHES).join(', ')})`);
    // The benchmark is a script: hand it the options back as its argv.
    const argv = Object.entries(o).flatMap(([k, v]) => (v === true ? [`--${k}`] : v === false || v === undefined ? [] : [`--${k}`, String(v)]));
    const url = entryUrl(script);
    process.argv = [process.argv[0], fileURLToPath(url), ...argv];
    await import(url.href);
  },
};
