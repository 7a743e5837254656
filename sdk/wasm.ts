/**
 * Finding and instantiating the kernels. The runtime talks to a kernel provider
 * `{ memory, exports }`: what a WebAssembly instance has, and what a wasm2js module
 * offers. With no kernel option the packaged build is found by `default-kernels.ts`
 * (beside this module, or inlined in the single-file build); callers may instead pass
 * bytes, a URL/Response (CDNs, strict CSP), a precompiled WebAssembly.Module (runtimes
 * that forbid compiling, e.g. workerd) or a ready provider (wasm2js).
 */
import { defaultKernelSource } from './default-kernels.js';
import { BxnFormatError, BxnInputError, BxnRuntimeError } from './errors.js';
import { DEFAULT_LIMITS } from './format/model.js';

export type Backend = 'simd' | 'scalar';
export type BackendChoice = 'auto' | Backend;
/**
 * Which packaged build zero-config loading takes: 'all' kernels, or the smaller 'core' build
 * (every op's kernels but the X-Net ones; sdk/ops.ts CORE_KERNELS).
 */
export type KernelSet = 'core' | 'all';
export type WasmSource = ArrayBuffer | ArrayBufferView | WebAssembly.Module | URL | Response;

/** Linear memory as the runtime uses it (WebAssembly.Memory, or wasm2js's memory object). */
export interface KernelMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }

/** One kernel instance: its memory and its exported functions (assembly/EXPORTS.md). Used by one model. */
export interface KernelProvider { readonly memory: KernelMemory; readonly exports: Readonly<Record<string, unknown>> }

export interface KernelOptions {
  /** Kernel wasm per backend; 'auto' takes simd when the engine supports it and it is given. */
  wasm?: { simd?: WasmSource; scalar?: WasmSource };
  /** A precompiled kernel module; `backend` says which build it is (default 'scalar'). */
  wasmModule?: WebAssembly.Module;
  /**
   * Kernels without WebAssembly, e.g. a wasm2js build of the scalar kernels: a function
   * returning a fresh `{ memory, exports }` per model (each model needs its own memory).
   * `backend` says which build it is (default 'scalar').
   */
  provider?: () => KernelProvider;
  backend?: BackendChoice;
}

/** Kernels ready to instantiate, reusable by any number of models. */
export interface BxnKernels {
  /** Which kernel build runs (info().backend). */
  readonly backend: Backend;
  /** Why this build was chosen and where it came from (info().backendReason). */
  readonly reason: string;
  /** The compiled module, when the kernels are WebAssembly. */
  readonly module?: WebAssembly.Module;
  /** A fresh provider (own memory) for one model. */
  instantiate(): KernelProvider | Promise<KernelProvider>;
  /** Synchronous instantiate, where the engine allows it (loadModelSync). */
  instantiateSync?(): KernelProvider;
}

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

/**
 * The bytes of `source`, at most `maxBytes` of them: a URL or Response is refused by its
 * Content-Length, or while it streams at the first chunk over the cap, so a hostile or
 * mistaken server cannot make the sdk allocate without bound. (A slow one is the caller's
 * to abort: fetch with an AbortSignal and pass the Response.)
 */
export async function sourceBytes(source: ArrayBuffer | ArrayBufferView | URL | Response, what: string, maxBytes: number): Promise<Uint8Array> {
  const over = (n: number) => new BxnFormatError('limit_exceeded', `${what} has ${n} bytes or more, over the ${maxBytes}-byte cap (maxFileBytes)`);
  const capped = (b: Uint8Array) => { if (b.length > maxBytes) throw over(b.length); return b; };
  // Tag checks, not instanceof, so buffers from another realm are accepted too.
  if (Object.prototype.toString.call(source) === '[object ArrayBuffer]') return capped(new Uint8Array(source as ArrayBuffer));
  if (ArrayBuffer.isView(source)) return capped(new Uint8Array(source.buffer, source.byteOffset, source.byteLength));
  let response: Response;
  if (typeof URL !== 'undefined' && source instanceof URL) {
    // Deno's and Bun's fetch read file: URLs faster than their node:fs loads (measured 26 vs
    // 61 ms, 1 vs 13 ms); Node's fetch refuses them after loading its HTTP stack (~0.15 s).
    const g = globalThis as { Deno?: unknown; Bun?: unknown };
    if (source.protocol === 'file:' && g.Deno === undefined && g.Bun === undefined) {
      const bytes = await readFileUrl(source, maxBytes, over);
      if (bytes) return capped(bytes);
    }
    if (typeof fetch !== 'function') throw new BxnRuntimeError('fetch_failed', `cannot load ${what} from ${source}: this runtime has no fetch`);
    try { response = await fetch(source); } catch (e) {
      throw new BxnRuntimeError('fetch_failed', `fetching ${what} from ${source} failed: ${(e as Error).message}`);
    }
  } else if (typeof Response !== 'undefined' && source instanceof Response) {
    response = source;
  } else {
    throw new BxnRuntimeError('bad_source', `${what} must be an ArrayBuffer, a typed array, a URL or a Response`);
  }
  const from = response.url || 'a Response';
  if (!response.ok) throw new BxnRuntimeError('fetch_failed', `fetching ${what} from ${from}: HTTP ${response.status}`);
  // Content-Length counts encoded bytes; decoding gzip or brotli only makes more.
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) { response.body?.cancel().catch(() => {}); throw over(declared); }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const reader = response.body?.getReader();
    // No stream (engines without ReadableStream): read whole, then check.
    if (!reader) return capped(new Uint8Array(await response.arrayBuffer()));
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      if (Object.prototype.toString.call(r.value) !== '[object Uint8Array]') throw new TypeError('a chunk is not a Uint8Array');
      total += r.value.byteLength;
      if (total > maxBytes) { reader.cancel().catch(() => {}); throw over(total); }
      chunks.push(r.value);
    }
  } catch (e) {
    if (e instanceof BxnFormatError) throw e; // the cap, passed through
    throw new BxnRuntimeError('fetch_failed', `reading ${what} from ${from} failed: ${(e as Error).message}`);
  }
  const bytes = new Uint8Array(total);
  for (let i = 0, at = 0; i < chunks.length; at += chunks[i++].length) bytes.set(chunks[i], at);
  return bytes;
}

/**
 * A file: URL read with the host's file system where it has one (Node, Deno and Bun all
 * provide node:fs). The specifier is not a literal, so
 * bundlers leave it alone and browsers never evaluate it. Undefined when there is no fs.
 */
async function readFileUrl(url: URL, maxBytes: number, over: (n: number) => Error): Promise<Uint8Array | undefined> {
  const specifier = 'node:fs/promises';
  let fs: { readFile(u: URL): Promise<Uint8Array>; stat(u: URL): Promise<{ size: number; isFile(): boolean }> };
  try { fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier); } catch { return undefined; }
  let stat: { size: number; isFile(): boolean } | undefined;
  try { stat = await fs.stat(url); } catch { /* readFile reports it */ }
  // Only a regular file has a size to check first; /dev/zero or a pipe would be read without end.
  if (stat && !stat.isFile()) throw new BxnRuntimeError('fetch_failed', `${url.href} is not a regular file`);
  if (stat && stat.size > maxBytes) throw over(stat.size);
  try {
    const b = await fs.readFile(url);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new BxnRuntimeError('fetch_failed', `reading ${url.href}: ${(e as Error).message}`);
  }
}

const isModule = (m: unknown): m is WebAssembly.Module =>
  typeof WebAssembly !== 'undefined' && Object.prototype.toString.call(m) === '[object WebAssembly.Module]';

/** Kernels from a compiled module: each instantiate() is a new instance with its own memory. */
export function kernelsFromModule(module: WebAssembly.Module, backend: Backend, reason = `${backend}: a precompiled module was passed (wasmModule)`): BxnKernels {
  if (!isModule(module))
    throw new BxnInputError('bad_argument', `wasmModule must be a WebAssembly.Module (from WebAssembly.compile or a bundler's .wasm import), got ${describe(module)}`);
  const imports = kernelImports(module);
  const provider = (instance: WebAssembly.Instance): KernelProvider => ({ memory: instance.exports.memory as KernelMemory, exports: instance.exports });
  return {
    backend, reason, module,
    instantiate: async () => provider(await WebAssembly.instantiate(module, imports)),
    instantiateSync: () => provider(new WebAssembly.Instance(module, imports)),
  };
}

/** Kernels from a provider factory (a wasm2js module, a test double): no WebAssembly needed. */
export function kernelsFromProvider(factory: () => KernelProvider, backend: Backend, reason = `${backend}: a kernel provider was passed (provider)`): BxnKernels {
  if (typeof factory !== 'function')
    throw new BxnInputError('bad_argument', `provider must be a function returning a fresh { memory, exports } per model, got ${describe(factory)}`);
  return { backend, reason, instantiate: factory, instantiateSync: factory };
}

// Zero-config kernels are compiled once per source and shared by every model (each model
// still instantiates its own memory): the single-file build gives both sets the same bytes,
// compiled once. A failed load is not cached, so a retry retries.
const packaged: Record<string, Promise<BxnKernels>> = {};

function packagedKernels(backend: Backend, set: KernelSet, why: string): Promise<BxnKernels> {
  const source = defaultKernelSource(backend, set);
  // A file by its URL; inlined bytes (one per backend, whatever the set) by their backend.
  const key = source instanceof URL ? source.href : backend;
  const cached = packaged[key];
  if (cached) return cached;
  const p = (async () => {
    if (source === undefined)
      throw new BxnRuntimeError('wasm_not_found', `this build of the sdk cannot locate its '${backend}' kernels (no import.meta.url): pass options.wasm.${backend}, options.wasmModule or options.provider, or import 'bexnet/inline'`);
    // Only a URL can fail to load; inlined bytes are already here.
    const from = source instanceof URL ? source.href : 'inlined in this module';
    let bytes: Uint8Array;
    try {
      bytes = await sourceBytes(source, `the ${backend} kernels`, DEFAULT_LIMITS.maxFileBytes);
    } catch (e) {
      throw new BxnRuntimeError('wasm_not_found', `the packaged '${backend}' kernels could not be loaded from ${from} (${(e as Error).message}); ` +
        "a bundler that does not copy `new URL('…', import.meta.url)` assets (esbuild) needs them passed as options.wasm, or 'bexnet/inline'");
    }
    return kernelsFromModule(await compileKernels(bytes, backend), backend, `${why}; kernels ${from}`);
  })();
  packaged[key] = p;
  p.catch(() => { if (packaged[key] === p) delete packaged[key]; });
  return p;
}

async function compileKernels(bytes: Uint8Array, backend: Backend): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new BxnRuntimeError('bad_wasm', `the ${backend} kernel wasm does not compile: ${(e as Error).message}`);
  }
}

/**
 * Kernels as the options name them; with none, the packaged build for this engine: `set`
 * 'all' (the default: any model) or 'core' (loadModel takes it for a model that needs no more).
 */
export async function loadKernels(options: KernelOptions = {}, set: KernelSet = 'all'): Promise<BxnKernels> {
  if (set !== 'core' && set !== 'all') throw new BxnInputError('bad_argument', `the kernel set must be 'core' or 'all', got ${describe(set)}`);
  const choice = options.backend ?? 'auto';
  if (choice === 'simd' && !simdSupported())
    throw new BxnRuntimeError('simd_unsupported', "backend 'simd' was requested but this engine does not support WebAssembly SIMD");
  if (options.provider !== undefined) return kernelsFromProvider(options.provider, choice === 'auto' ? 'scalar' : choice);
  if (options.wasmModule !== undefined) return kernelsFromModule(options.wasmModule, choice === 'auto' ? 'scalar' : choice);
  const requested = choice === 'auto' ? '' : `${choice}: requested (backend: '${choice}')`;
  if (options.wasm === undefined) {
    // Zero config (namesKernels false): the packaged build, SIMD where the engine validates it.
    const backend: Backend = choice !== 'auto' ? choice : simdSupported() ? 'simd' : 'scalar';
    return packagedKernels(backend, set, requested || (backend === 'simd' ? 'simd: WebAssembly SIMD detected' : 'scalar: this engine does not support WebAssembly SIMD'));
  }
  const wasm = options.wasm;
  const backend: Backend = choice !== 'auto' ? choice : wasm.simd && simdSupported() ? 'simd' : 'scalar';
  const reason = requested || (backend === 'simd' ? 'simd: WebAssembly SIMD detected'
    : wasm.simd ? 'scalar: this engine does not support WebAssembly SIMD' : 'scalar: only options.wasm.scalar was given');
  const source = wasm[backend];
  if (!source)
    throw new BxnRuntimeError('no_wasm', `no kernel wasm for the '${backend}' backend: pass options.wasm.${backend} (bytes, URL or Response), or no wasm option at all to use the packaged kernels`);
  if (isModule(source)) return kernelsFromModule(source, backend, `${reason}; a precompiled module`);
  const bytes = await sourceBytes(source, `the ${backend} kernels`, DEFAULT_LIMITS.maxFileBytes);
  return kernelsFromModule(await compileKernels(bytes, backend), backend, `${reason}; kernels from options.wasm.${backend}`);
}

/** True when the options say where the kernels come from (else the packaged build is used). */
export const namesKernels = (o: KernelOptions): boolean => o.wasm !== undefined || o.wasmModule !== undefined || o.provider !== undefined;

/** The kernels a load option names, checked: what loadKernels() returned, not any object. */
export function checkKernels(kernels: unknown): BxnKernels {
  const k = kernels as Partial<BxnKernels> | null | undefined;
  if (k === null || typeof k !== 'object' || typeof k.instantiate !== 'function' || (k.backend !== 'simd' && k.backend !== 'scalar'))
    throw new BxnInputError('bad_argument', `kernels must be what loadKernels() returns ({ backend, instantiate }), got ${describe(kernels)}`);
  return k as BxnKernels;
}

/** A provider's memory and exports, checked before the runtime uses them. */
export function checkProvider(p: unknown): KernelProvider {
  const provider = p as Partial<KernelProvider> | null | undefined;
  if (provider === null || typeof provider !== 'object' || provider.exports === null || typeof provider.exports !== 'object')
    throw new BxnRuntimeError('bad_wasm', `the kernels' instantiate() gave ${describe(p)}, not { memory, exports }`);
  const memory = provider.memory as Partial<KernelMemory> | undefined;
  if (!memory || typeof memory.grow !== 'function' || Object.prototype.toString.call(memory.buffer) !== '[object ArrayBuffer]')
    throw new BxnRuntimeError('bad_wasm', "the kernel provider has no 'memory' (an object with an ArrayBuffer 'buffer' and grow(pages))");
  return provider as KernelProvider;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v !== 'object') return typeof v;
  const tag = Object.prototype.toString.call(v).slice(8, -1);
  return tag === 'Object' ? `an object with keys {${Object.keys(v).join(', ')}}` : `a ${tag}`;
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
