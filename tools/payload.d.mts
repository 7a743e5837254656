export const PAYLOAD_TARGET_BYTES: number;
export const PAYLOAD_GUARD_BYTES: number;
export interface PayloadRow { what: string; jsBytes: number; jsGzip: number; wasmBytes: number; wasmGzip: number; totalGzip: number }
export function measurePayload(): Promise<PayloadRow[]>;
