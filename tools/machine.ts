// What machine produced a result: every results JSON records it, because kernel
// speed ratios differ between CPU families (the CPU changes between sessions here).
import { execSync } from 'node:child_process';

let cached: string | undefined;

/** The CPU model as `lscpu` names it ("AMD EPYC", "Intel(R) Xeon(R) Processor"), or 'unknown'. */
export function cpuModel(): string {
  if (cached === undefined) {
    try { cached = /Model name:\s*(.*)/.exec(execSync('lscpu', { encoding: 'utf8' }))?.[1]?.trim() ?? 'unknown'; } catch { cached = 'unknown'; }
  }
  return cached;
}
