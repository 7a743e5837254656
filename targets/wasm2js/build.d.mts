export const WASM2JS_OUT: string;
export function wrapAsFactory(source: string): string;
export function buildWasm2js(input?: string, output?: string): string;
