export interface SmokeResult {
  runtime: string; version: string; build: 'simd' | 'scalar' | 'wasm2js'; kernelBuild?: 'scalar'; reason: string; coldStartMs: number; warmupMs: number; medianMs: number; p95Ms: number;
  wasmMemoryBytes: number; outputs: number[][];
}
export interface Comparison { agree: boolean; sameBuild: boolean; differing: number; maxAbsDiff: number; maxAbs: number; top1Same: boolean }
export const root: string;
export const EXAMPLE_MODELS: { readonly 'sketch-dabn': string; readonly 'sketch-xnet-dabn': string };
export const EXAMPLE_MODEL: string;
export const RUNTIMES: string[];
export const FLOAT_TOLERANCE: number;
export const BUN: string;
export function makeInputs(seed: number, count?: number, size?: number): Promise<Float32Array>;
export function smoke(runtime: string, o: { inputs: Float32Array; inputsPath: string; backend?: 'auto' | 'simd' | 'scalar'; model?: string; runs?: number; batch?: number }): Promise<SmokeResult>;
export function compare(result: SmokeResult, reference: SmokeResult): Comparison;
export function cpuModel(): string;
