// tf.io handlers that save/load a LayersModel to a directory (model.json +
// weights.bin), the layout of tfjs-node's file:// handler, which is not
// available without tfjs-node.
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export function fileSaveHandler(dir: string, extra: Record<string, unknown> = {}): tf.io.IOHandler {
  return {
    async save(art: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      mkdirSync(dir, { recursive: true });
      const weights = art.weightData == null ? new Uint8Array(0)
        : new Uint8Array(tf.io.CompositeArrayBuffer.join(art.weightData as ArrayBuffer | ArrayBuffer[]));
      const json = {
        modelTopology: art.modelTopology,
        format: art.format ?? 'layers-model',
        generatedBy: art.generatedBy,
        convertedBy: art.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: art.weightSpecs ?? [] }],
        userDefinedMetadata: { ...(art.userDefinedMetadata ?? {}), ...extra },
      };
      // Write to temporary names then rename, so a crash never leaves a torn checkpoint.
      writeFileSync(join(dir, WEIGHTS_BIN + '.tmp'), weights);
      writeFileSync(join(dir, MODEL_JSON + '.tmp'), JSON.stringify(json));
      renameSync(join(dir, WEIGHTS_BIN + '.tmp'), join(dir, WEIGHTS_BIN));
      renameSync(join(dir, MODEL_JSON + '.tmp'), join(dir, MODEL_JSON));
      const modelJSONBytes = Buffer.byteLength(JSON.stringify(json));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(), modelTopologyType: 'JSON',
          modelTopologyBytes: Buffer.byteLength(JSON.stringify(art.modelTopology)),
          weightSpecsBytes: Buffer.byteLength(JSON.stringify(art.weightSpecs ?? [])),
          weightDataBytes: weights.byteLength,
        },
        responses: [],
        // modelJSONBytes is informative only
        ...({ modelJSONBytes } as object),
      } as tf.io.SaveResult;
    },
  };
}

export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = JSON.parse(readFileSync(join(dir, MODEL_JSON), 'utf8'));
      const specs: tf.io.WeightsManifestEntry[] = [];
      const bufs: Buffer[] = [];
      for (const group of json.weightsManifest as tf.io.WeightsManifestConfig) {
        for (const p of group.paths) bufs.push(readFileSync(join(dir, p)));
        specs.push(...group.weights);
      }
      const all = Buffer.concat(bufs);
      return {
        modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy,
        weightSpecs: specs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}

/** Saves `model` to `dir` (model.json + weights.bin); returns the bytes written. */
export async function saveModel(model: tf.LayersModel, dir: string, meta: Record<string, unknown> = {}): Promise<number> {
  const r = await model.save(fileSaveHandler(dir, meta));
  return (r.modelArtifactsInfo.weightDataBytes ?? 0) + ((r as unknown as { modelJSONBytes: number }).modelJSONBytes ?? 0);
}

/** Loads a model saved by saveModel (custom layers must be registered: import './layers.js', './expander-layers.js' and './regularize.js'). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileLoadHandler(dir));
}
