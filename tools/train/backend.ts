// Backend selection for training: @tensorflow/tfjs-node when it can be imported
// (optional dependency; its install downloads libtensorflow), else tfjs with the
// wasm backend (SIMD when available) plus the training kernels wasm lacks.
//
// tfjs-backend-wasm 4.22 disables XNNPACK threads under Node
// (WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE, tfjs issue #3830), so a
// wasm process computes on one core; tools/train/parallel.ts uses two worker
// threads (data parallel) to use both cores.
import * as tf from '@tensorflow/tfjs';
import { registerGradientOverrides } from './grad-overrides.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: BackendName;
  /** Human-readable description, printed by setupBackend unless quiet. */
  description: string;
  simd: boolean;
  threads: number;
  kernels: string[];
}

export interface BackendOptions {
  /** Force a backend; default: tensorflow if importable, else wasm. */
  prefer?: BackendName;
  /** Print which backend runs (default true). */
  quiet?: boolean;
}

let current: BackendInfo | null = null;

async function tryTfjsNode(): Promise<boolean> {
  try {
    // A variable specifier keeps bundlers from resolving the optional package.
    const spec = '@tensorflow/tfjs-node';
    await import(/* @vite-ignore */ spec);
    return tf.findBackend('tensorflow') != null || tf.engine().registryFactory['tensorflow'] != null;
  } catch {
    return false;
  }
}

/** Selects and initialises the training backend once; later calls return the same info. */
export async function setupBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  if (current && (!opts.prefer || opts.prefer === current.name)) return current;
  const log = opts.quiet ? () => {} : (s: string) => console.error(s);
  let info: BackendInfo | null = null;
  if ((opts.prefer ?? 'tensorflow') === 'tensorflow' && (await tryTfjsNode())) {
    if (await tf.setBackend('tensorflow')) {
      info = { name: 'tensorflow', description: 'tfjs-node (libtensorflow, native threads)', simd: true, threads: 0, kernels: [] };
    }
  }
  if (!info && opts.prefer !== 'cpu') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
    if (!(await tf.setBackend('wasm'))) throw new Error('could not initialise the tfjs wasm backend');
    await tf.ready();
    const kernels = registerWasmTrainingKernels();
    const threads = wasm.getThreadsCount();
    info = {
      name: 'wasm', simd, threads, kernels,
      description: `tfjs-backend-wasm ${simd ? 'SIMD' : 'scalar'}, ${threads} XNNPACK thread(s) per process; registered ${kernels.join(', ')}`,
    };
  }
  if (!info) {
    await tf.setBackend('cpu');
    await tf.ready();
    info = { name: 'cpu', description: 'tfjs pure-JS cpu backend (slow)', simd: false, threads: 1, kernels: [] };
  }
  registerGradientOverrides();
  current = info;
  log(`[bexnet] backend: ${info.description}`);
  return info;
}

export function backendInfo(): BackendInfo | null {
  return current;
}
