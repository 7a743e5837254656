/** README.md with every `<!-- table:NAME -->` block rendered from tools/results/NAME.json. */
export function render(readme: string): string;
