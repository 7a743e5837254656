// bexnet <command> [options]: one entry point for the Node tools.
const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<void> }> = {
  bench: {
    summary: 'bench kernels [--json FILE] [--quick]   kernel benchmark vs tfjs-backend-wasm',
    run: async (argv) => {
      if (argv[0] !== 'kernels') throw new UsageError(`bench: unknown benchmark '${argv[0] ?? ''}' (available: kernels)`);
      process.argv = [process.argv[0], 'bench-kernels', ...argv.slice(1)];
      await import(new URL('./bench-kernels.mjs', import.meta.url).href);
    },
  },
};

class UsageError extends Error {}

function help(): string {
  return ['usage: bexnet <command> [options]', '', 'commands:', ...Object.values(COMMANDS).map((c) => `  ${c.summary}`),
    '', 'bexnet <command> --help shows a command\'s options.'].join('\n');
}

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  console.log(help());
} else if (!COMMANDS[name]) {
  console.error(`bexnet: unknown command '${name}'. Run 'bexnet --help'.`);
  process.exit(2);
} else if (rest.includes('--help')) {
  console.log(`usage: bexnet ${COMMANDS[name].summary}`);
} else {
  try {
    await COMMANDS[name].run(rest);
  } catch (e) {
    console.error(`bexnet ${name}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  }
}
