/**
 * Arena planning: every activation and scratch buffer gets an offset in one arena,
 * buffers whose lifetimes overlap never share bytes. Greedy: largest first, lowest
 * offset that does not collide with an already placed, time-overlapping buffer.
 */
import { align16 } from './layout.js';

export interface BufferRequest {
  bytes: number;
  /** First and last step (inclusive) during which the buffer holds live data. */
  firstStep: number;
  lastStep: number;
}

export interface ArenaPlan { offsets: number[]; arenaBytes: number }

export function planArena(buffers: BufferRequest[]): ArenaPlan {
  const n = buffers.length;
  const size = buffers.map((b) => align16(b.bytes));
  // Lifetime neighbours by a sweep over start steps: in a chain each buffer meets only a few.
  const byStart = buffers.map((_, i) => i).sort((a, b) => buffers[a].firstStep - buffers[b].firstStep);
  const neighbours: number[][] = buffers.map(() => []);
  for (let x = 0; x < n; x++) {
    const i = byStart[x];
    for (let y = x + 1; y < n && buffers[byStart[y]].firstStep <= buffers[i].lastStep; y++) {
      neighbours[i].push(byStart[y]);
      neighbours[byStart[y]].push(i);
    }
  }
  const order = buffers.map((_, i) => i).sort((a, b) => size[b] - size[a] || a - b);
  const offsets = new Array<number>(n).fill(0);
  const placed = new Array<boolean>(n).fill(false);
  let arenaBytes = 0;
  for (const i of order) {
    if (size[i] === 0) continue;
    const taken = neighbours[i].filter((j) => placed[j] && size[j] > 0).sort((a, b) => offsets[a] - offsets[b]);
    let offset = 0;
    for (const j of taken) {
      if (offset + size[i] <= offsets[j]) break;
      offset = Math.max(offset, offsets[j] + size[j]);
    }
    offsets[i] = offset;
    placed[i] = true;
    arenaBytes = Math.max(arenaBytes, offset + size[i]);
  }
  return { offsets, arenaBytes };
}
