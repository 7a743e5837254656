export type EntryName = 'cli' | 'quickstart' | 'bench-kernels' | 'fuzz' | 'soak' | 'train-bench' | 'train-quick' | 'experiment-binarization' | 'experiment-expander' | 'experiment-hybrid' | 'tune-recipe' | 'train-worker';
export const ENTRIES: Record<EntryName, { source: string; what: string }>;
/** file: URL of the bundle of entry `name` (dist/NAME.mjs). */
export function entryUrl(name: EntryName): URL;
/** file: URL of a kernel build output (build/FILE). */
export function buildUrl(file: string): URL;
/** file: URL of a path relative to the repository root. */
export function rootUrl(path: string): URL;
/** esbuild entry points (name → absolute source path) of a table; a listed source that does not exist throws. */
export function entryPoints(entries?: Record<string, { source: string; what: string }>): Record<string, string>;
