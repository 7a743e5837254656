/**
 * Finding and instantiating the kernel module. The sdk never locates its wasm
 * itself (no fs, no guessed URLs): callers pass bytes, a URL/Response, or a
 * precompiled WebAssembly.Module (for runtimes that forbid compiling, e.g. workerd).
 */
import { BxnRuntimeError } from './errors.js';

export type Backend = 'simd' | 'scalar';
export type BackendChoice = 'auto' | Backend;
export type WasmSource = ArrayBuffer | ArrayBufferView | WebAssembly.Module | URL | Response;

export interface KernelOptions {
  /** Kernel wasm per backend; 'auto' takes simd when the engine supports it and it is given. */
  wasm?: { simd?: WasmSource; scalar?: WasmSource };
  /** A precompiled kernel module; `backend` says which build it is (default 'scalar'). */
  wasmModule?: WebAssembly.Module;
  backend?: BackendChoice;
}

/** A compiled kernel module, reusable by any number of models. */
export interface BxnKernels { readonly backend: Backend; readonly module: WebAssembly.Module }

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt))
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

let simdSupport: boolean | undefined;
/** True when the engine validates a tiny module using 128-bit SIMD. */
export function simdSupported(): boolean {
  if (simdSupport === undefined) {
    try { simdSupport = WebAssembly.validate(SIMD_PROBE); } catch { simdSupport = false; }
  }
  return simdSupport;
}

export async function sourceBytes(source: ArrayBuffer | ArrayBufferView | URL | Response, what: string): Promise<Uint8Array> {
  // Tag checks, not instanceof, so buffers from another realm are accepted too.
  if (Object.prototype.toString.call(source) === '[object ArrayBuffer]') return new Uint8Array(source as ArrayBuffer);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  let response: Response;
  if (typeof URL !== 'undefined' && source instanceof URL) {
    if (typeof fetch !== 'function') throw new BxnRuntimeError('fetch_failed', `cannot load ${what} from ${source}: this runtime has no fetch`);
    try { response = await fetch(source); } catch (e) {
      throw new BxnRuntimeError('fetch_failed', `fetching ${what} from ${source} failed: ${(e as Error).message}`);
    }
  } else if (typeof Response !== 'undefined' && source instanceof Response) {
    response = source;
  } else {
    throw new BxnRuntimeError('bad_source', `${what} must be an ArrayBuffer, a typed array, a URL or a Response`);
  }
  if (!response.ok) throw new BxnRuntimeError('fetch_failed', `fetching ${what} from ${response.url || 'a Response'}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

export async function loadKernels(options: KernelOptions = {}): Promise<BxnKernels> {
  const choice = options.backend ?? 'auto';
  if (choice === 'simd' && !simdSupported())
    throw new BxnRuntimeError('simd_unsupported', "backend 'simd' was requested but this engine does not support WebAssembly SIMD");
  if (options.wasmModule) return { backend: choice === 'auto' ? 'scalar' : choice, module: options.wasmModule };
  const wasm = options.wasm ?? {};
  const backend: Backend = choice !== 'auto' ? choice : wasm.simd && simdSupported() ? 'simd' : 'scalar';
  const source = wasm[backend];
  if (!source)
    throw new BxnRuntimeError('no_wasm', `no kernel wasm for the '${backend}' backend: pass options.wasm.${backend} (bytes, URL or Response) or options.wasmModule`);
  if (source instanceof WebAssembly.Module) return { backend, module: source };
  const bytes = await sourceBytes(source, `the ${backend} kernels`);
  try {
    return { backend, module: await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>) };
  } catch (e) {
    throw new BxnRuntimeError('bad_wasm', `the ${backend} kernel wasm does not compile: ${(e as Error).message}`);
  }
}

/** Imports the kernels may declare (AssemblyScript's env.abort in debug builds): all throw. */
export function kernelImports(module: WebAssembly.Module): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function')
      throw new BxnRuntimeError('bad_wasm', `the kernel module imports ${imp.kind} '${imp.module}.${imp.name}'; it must only import functions`);
    (imports[imp.module] ??= {})[imp.name] = () => {
      throw new BxnRuntimeError('kernel_abort', `the kernel module called ${imp.module}.${imp.name} (a failed kernel precondition)`);
    };
  }
  return imports;
}
