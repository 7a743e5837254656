/** The HBN experiment's SVG plot (top-1 vs measured latency, Pareto fronts) for a results object of tools/results/hybrid.json's shape. */
export function hybridSvg(data: unknown): string;
