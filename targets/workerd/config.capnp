# workerd config for the smoke worker: node_modules/.bin/workerd serve targets/workerd/config.capnp
#   --socket-addr http=127.0.0.1:PORT
# The kernels are `wasm` modules (precompiled by workerd at startup), the example models `data` modules.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .smokeWorker)],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const smokeWorker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "sdk.mjs", esModule = embed "../../dist/sdk.mjs"),
    (name = "smoke.mjs", esModule = embed "../common/smoke.mjs"),
    (name = "bexnet.simd.wasm", wasm = embed "../../build/bexnet.simd.wasm"),
    (name = "bexnet.scalar.wasm", wasm = embed "../../build/bexnet.scalar.wasm"),
    (name = "sketch-dabn.bxn", data = embed "../../tools/examples/sketch-dabn.bxn"),
    (name = "sketch-xnet-dabn.bxn", data = embed "../../tools/examples/sketch-xnet-dabn.bxn"),
  ],
  compatibilityDate = "2025-01-01",
);
