/** README.md with every `<!-- table:NAME -->` block rendered from tools/results/NAME.json. */
export function render(readme: string): string;
/** One table's markdown from its results object (tools/results/NAME.json's content). */
export function renderTable(name: string, data: unknown): string;
