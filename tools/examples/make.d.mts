export const EXAMPLES: Record<string, { data: string; model: string; binarize: 'dabn'; classes: number; epochs: number; seed: number; recipe: string; expander?: number; 'last-layer'?: string }>;
