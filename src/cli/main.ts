import { Command } from 'commander';
import { cliMessage } from './cli-message.js';
import { registerCommands } from './commands/index.js';

const program = new Command('gatehouse')
  .description('Identity-aware access gateway for AI agents and the people who supervise them')
  .showHelpAfterError();

registerCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(cliMessage(err instanceof Error ? err.message : String(err)));
  process.exitCode = 1;
});
