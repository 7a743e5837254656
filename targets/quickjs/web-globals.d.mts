export class Utf8Decoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: 'utf-8';
  readonly fatal: true;
  decode(input?: ArrayBuffer | ArrayBufferView): string;
}
export function installWebGlobals(): void;
