// A minimal `WebAssembly` global for engines that have none, backed by the wasm2js
// kernels: just what the sdk touches today (Module, Instance, Memory for its instanceof
// check, instantiate, validate, Module.imports). Temporary: once the runtime takes a
// kernel provider `{ memory, exports }` (issue 8), the wasm2js exports are passed to it
// directly and this file goes.

/** Installs the shim when the engine has no WebAssembly; returns the Module to pass as `wasmModule`. */
export function installWebAssemblyShim(instantiate) {
  if (typeof globalThis.WebAssembly !== 'undefined') throw new Error('this engine has WebAssembly: load the real kernels instead');
  class Memory {}
  class Module {
    constructor(factory) { this.instantiate = factory; }
    static imports() { return []; } // the scalar release build imports nothing
  }
  class Instance {
    constructor(module, imports) {
      const exports = module.instantiate(imports);
      Object.setPrototypeOf(exports.memory, Memory.prototype); // keeps its own buffer getter and grow
      this.exports = exports;
    }
  }
  globalThis.WebAssembly = {
    Module, Instance, Memory,
    validate: () => false, // so SIMD is never detected
    instantiate: async (module, imports) => new Instance(module, imports),
  };
  return new Module(instantiate);
}
