// Cloudflare workerd smoke worker. workerd compiles no wasm from bytes at run time, so the
// kernels arrive as precompiled modules declared in config.capnp and go in as `wasmModule`.
//   POST /run?backend=simd|scalar&model=sketch-dabn|sketch-xnet-dabn  body: f32 inputs → the shared smoke result (JSON)
import { loadModel } from './sdk.mjs';
import { floats, runSmoke } from './smoke.mjs';
import simd from './bexnet.simd.wasm';
import scalar from './bexnet.scalar.wasm';
import sketchDabn from './sketch-dabn.bxn';
import sketchXnetDabn from './sketch-xnet-dabn.bxn';

const MODULES = { simd, scalar };
const MODELS = { 'sketch-dabn': sketchDabn, 'sketch-xnet-dabn': sketchXnetDabn };
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/run') {
      const backend = url.searchParams.get('backend') ?? 'simd';
      const name = url.searchParams.get('model') ?? 'sketch-dabn';
      const model = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
      if (!model || !Object.hasOwn(MODULES, backend)) return new Response(`unknown model or backend: ${url.search}`, { status: 400 });
      const inputs = floats(new Uint8Array(await request.arrayBuffer()));
      const kernelOptions = { wasmModule: MODULES[backend], backend };
      return Response.json(await runSmoke({ loadModel, model: new Uint8Array(model), inputs, kernelOptions, now: () => performance.now() }));
    }
    return new Response('not found', { status: 404 });
  },
};
