/** The X-Net experiment's SVG plot (top-1 vs .bxn bytes) for a results object of tools/results/expander.json's shape. */
export function expanderSvg(data: unknown): string;
