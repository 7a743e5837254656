// bexnet <command> [options]: one entry point for the Node tools. A new command is
// a file in tools/commands/ and a line in COMMANDS.
import { readOptions, UsageError } from './args.js';
import { BxnFormatError, BxnInputError, BxnRuntimeError } from '../sdk/index.js';
import type { Command } from './commands/command.js';

// Each command's module loads when it runs: inspect, budget and bench need only the sdk,
// while train and export import tfjs, which a package user of the sdk need not install.
const COMMANDS: { name: string; summary: string; load: () => Promise<Command<any>> }[] = [
  { name: 'train', summary: 'train a float / XNOR / DABN model on bundled data', load: async () => (await import('./commands/train.js')).trainCommand },
  { name: 'export', summary: 'pack a trained model into a .bxn file', load: async () => (await import('./commands/export.js')).exportCommand },
  { name: 'plan', summary: 'HBN: choose which binary layers keep float inputs under a latency, size, MACs or accuracy budget', load: async () => (await import('./commands/plan.js')).planCommand },
  { name: 'inspect', summary: "print a .bxn model's layers, parameters, bytes and arena", load: async () => (await import('./commands/inspect.js')).inspectCommand },
  { name: 'bench', summary: 'run a benchmark (kernels) and optionally write --json FILE', load: async () => (await import('./commands/bench.js')).benchCommand },
  { name: 'budget', summary: 'measure a .bxn model on a runtime and fail when it exceeds size, memory or latency limits', load: async () => (await import('./commands/budget.js')).budgetCommand },
];

/** The command's module; a missing tool dependency (tfjs, the data packages) is one line naming it. */
async function loadCommand(entry: (typeof COMMANDS)[number]): Promise<Command<any>> {
  try {
    return await entry.load();
  } catch (e) {
    const pkg = /Cannot find (?:package|module) '((?:@[^/']+\/)?[^/']+)/.exec((e as Error).message ?? '')?.[1];
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND' || !pkg) throw e;
    console.error(`bexnet ${entry.name}: needs the npm package '${pkg}', a dependency of bexnet's training tools, not of the sdk: npm install ${pkg}`);
    process.exit(2);
  }
}

function help(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return ['usage: bexnet <command> [options]', '', 'commands:', ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '', "bexnet <command> --help shows a command's options."].join('\n');
}

const [name, ...rest] = process.argv.slice(2);
const entry = COMMANDS.find((c) => c.name === name);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  console.log(help());
} else if (!entry) {
  console.error(`bexnet: unknown command '${name}'. Run 'bexnet --help'.`);
  process.exit(2);
} else if (rest.includes('--help') || rest.includes('-h')) {
  console.log(`usage: ${(await loadCommand(entry)).usage}`);
} else {
  const command = await loadCommand(entry);
  try {
    // -o is the one short option (export); treat it as --o.
    const argv = rest.map((a) => (a === '-o' ? '--o' : a));
    const { options, positionals } = readOptions(argv, command.options, command.positionals ?? 0);
    await command.run(options, positionals);
    process.exit(0); // worker threads and tfjs timers must not keep the process alive
  } catch (e) {
    const usage = e instanceof UsageError;
    // The sdk's typed errors carry a stable code: print it, scripts can match on it.
    const code = e instanceof BxnFormatError || e instanceof BxnInputError || e instanceof BxnRuntimeError ? `${e.code}: ` : '';
    console.error(`bexnet ${name}: ${code}${e instanceof Error ? e.message : String(e)}${usage ? ` (see 'bexnet ${name} --help')` : ''}`);
    if (!usage && process.env.BEXNET_DEBUG) console.error(e);
    process.exit(usage ? 2 : 1);
  }
}
