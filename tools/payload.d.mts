export const PAYLOAD_TARGET_BYTES: number;
export const PAYLOAD_GUARD_BYTES: number;
export interface PayloadRow { what: string; jsBytes: number; jsGzip: number; wasmBytes: number; wasmGzip: number; totalGzip: number; /** bexnet's row: the JS with its literals' text removed, gzip. */ jsCodeGzip?: number }
export function blankLiterals(src: string): string;
export function measurePayload(): Promise<PayloadRow[]>;
