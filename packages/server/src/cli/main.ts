import { Command } from 'commander';
import { registerConfigValidate, registerServe } from './serve-command.ts';
import { registerValidate } from './validate-command.ts';
import { registerClientCommands } from './client-commands.ts';
import { configureProgram } from './program-settings.ts';

const program = new Command();
program.name('agentd').description('agentd: durable runs for AI agents').version('0.1.0');
configureProgram(program);
registerServe(program);
registerValidate(program);
registerConfigValidate(program);
registerClientCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`agentd: ${(err as Error).message}\n`);
  process.exit(1);
});
