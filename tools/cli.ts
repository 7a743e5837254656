// bexnet <command> [options]: one entry point for the Node tools. A new command is
// a file in tools/commands/ and a line in COMMANDS.
import { readOptions, UsageError } from './args.js';
import { BxnFormatError, BxnInputError, BxnRuntimeError } from '../sdk/index.js';
import type { Command } from './commands/command.js';
import { trainCommand } from './commands/train.js';
import { exportCommand } from './commands/export.js';
import { inspectCommand } from './commands/inspect.js';
import { benchCommand } from './commands/bench.js';
import { budgetCommand } from './commands/budget.js';

const COMMANDS: Command<any>[] = [trainCommand, exportCommand, inspectCommand, benchCommand, budgetCommand];

function help(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return ['usage: bexnet <command> [options]', '', 'commands:', ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '', "bexnet <command> --help shows a command's options."].join('\n');
}

const [name, ...rest] = process.argv.slice(2);
const command = COMMANDS.find((c) => c.name === name);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  console.log(help());
} else if (!command) {
  console.error(`bexnet: unknown command '${name}'. Run 'bexnet --help'.`);
  process.exit(2);
} else if (rest.includes('--help') || rest.includes('-h')) {
  console.log(`usage: ${command.usage}`);
} else {
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
