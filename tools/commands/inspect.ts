// bexnet inspect: what a .bxn file holds and what running it costs.
import { readFileSync } from 'node:fs';
import { UsageError } from '../args.js';
import { loadModel, readBxn } from '../../sdk/index.js';
import { OP_BY_NAME } from '../../sdk/ops.js';
import { nodeKernelOptions } from '../node-kernels.js';
import { kb, table, type Command } from './command.js';

export const inspectCommand: Command = {
  name: 'inspect',
  usage: `bexnet inspect FILE.bxn
Validates the file like the runtime does, then prints the layer table (op, output,
MACs, parameters, weight bytes, kernel scratch, in place — from the op registry; for X-layers
also density D/C_in and the MACs saved against the dense layer), parameters, weight bytes, the
planned arena and total wasm memory.`,
  options: {},
  positionals: 1,
  async run(_o, [file]) {
    if (!file) throw new UsageError('missing the .bxn file (bexnet inspect FILE.bxn)');
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
    readBxn(bytes); // throws BxnFormatError with what and where
    const model = await loadModel(bytes, nodeKernelOptions());
    const info = model.info();
    console.log(`${info.name} (${info.producer}), format ${info.formatVersion}, input ${info.inputShape.join('x')}, ${info.outputLength} outputs${info.labels.length ? ` (${info.labels.slice(0, 3).join(', ')}${info.labels.length > 3 ? ', …' : ''})` : ''}`);
    const shape = (s: { h: number; w: number; c: number; dtype: string }) => `${s.h}x${s.w}x${s.c}${s.dtype === 'bits' ? ' bits' : ''}`;
    const sparse = info.layers.some((l) => l.density < 1);
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    console.log(table([
      ['#', 'op', 'input', 'output', 'MACs', 'params', 'weight bytes', 'scratch', 'in place', ...(sparse ? ['density', 'MACs saved'] : [])],
      ...info.layers.map((l) => [l.index, l.kind, shape(l.input), shape(l.output), l.macs.toLocaleString(), l.params.toLocaleString(),
        l.weightBytes, l.scratchBytes, OP_BY_NAME.get(l.kind)!.inPlace ? 'yes' : '',
        ...(sparse ? (l.density < 1 ? [pct(l.density), (l.denseMacs - l.macs).toLocaleString()] : ['', '']) : [])]),
    ]));
    console.log(`parameters ${info.params.toLocaleString()}, MACs ${info.macs.toLocaleString()}, file ${kb(bytes.length)}, weights ${kb(info.weightBytes)}, arena ${kb(info.arenaBytes)}, wasm memory ${kb(info.wasmMemoryBytes)} (${info.backend})`);
    if (sparse) {
      const saved = info.layers.reduce((n, l) => n + l.denseMacs - l.macs, 0);
      console.log(`X-layers: ${info.layers.filter((l) => l.density < 1).length}, MACs saved ${saved.toLocaleString()} (${pct(saved / (info.macs + saved))} of the dense model's), graph index tables ${kb(info.graphBytes)} (built at load, part of weights)`);
    }
    model.dispose();
  },
};
