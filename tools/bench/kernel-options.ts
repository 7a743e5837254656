// Options of the kernel benchmark (tools/bench/kernels.ts), shared with `bexnet bench kernels`.
import { opt } from '../args.js';

export const KERNEL_BENCH_USAGE = 'npm run bench:kernels -- [--json FILE] [--quick] [--variants] [--xnet]';
export const KERNEL_BENCH_OPTIONS = {
  json: opt.string('write the rows to FILE', undefined, { placeholder: 'FILE' }),
  quick: opt.flag('1 s per shape instead of 4 s'),
  'budget-ms': opt.int('timing budget per shape in ms (default 4000; --quick: 1000)'),
  shape: opt.string('only the shapes whose label (HxWxC-COUT-KxK) matches REGEX', undefined, { placeholder: 'REGEX' }),
  variants: opt.flag("also time each of bconv2d's inner-loop strategies (assembly/bconv.ts INNER_*)"),
  xnet: opt.flag('also time X-Convs at f = 2, 4, 8 (float and binary) and grouped convs of equal MACs'),
};
