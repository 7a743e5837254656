export type Stroke = [number[], number[]];
export function normalizeStrokes(strokes: { x: number; y: number }[][], epsilon?: number): Stroke[];
export function simplify(points: [number, number][], epsilon: number): [number, number][];
export function rasterize(strokes: Stroke[], size?: number): number[];
export function strokesToInput(strokes: { x: number; y: number }[][], size?: number): number[];
