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
MACs, parameters, weight bytes, kernel scratch, in place — from the op registry), parameters, weight bytes, the planned arena and total wasm memory.`,
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
    console.log(table([
      ['#', 'op', 'input', 'output', 'MACs', 'params', 'weight bytes', 'scratch', 'in place'],
      ...info.layers.map((l) => [l.index, l.kind, shape(l.input), shape(l.output), l.macs.toLocaleString(), l.params.toLocaleString(),
        l.weightBytes, l.scratchBytes, OP_BY_NAME.get(l.kind)!.inPlace ? 'yes' : '']),
    ]));
    console.log(`parameters ${info.params.toLocaleString()}, MACs ${info.macs.toLocaleString()}, file ${kb(bytes.length)}, weights ${kb(info.weightBytes)}, arena ${kb(info.arenaBytes)}, wasm memory ${kb(info.wasmMemoryBytes)} (${info.backend})`);
    model.dispose();
  },
};
