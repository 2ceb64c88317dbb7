import { Help, type Command, type Option } from 'commander';
import { exitWithUsageCode } from './cli-errors.ts';

/**
 * Settings every command inherits, so call this before adding any: a bad command line exits with
 * 2 (not commander's 1, which scripts could not tell from a refused request), the error starts
 * with `agentd:` like the others and says how to get help, and a subcommand's help lists its group's connection options (--url, --api-key,
 * --data-dir) but not the program's --version, which does nothing there.
 */
export function configureProgram(program: Command): Command {
  return program
    .exitOverride(exitWithUsageCode)
    .showHelpAfterError('(add --help for usage)')
    // One prefix for every error the CLI prints, its own and commander's ("error: …").
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'agentd: ')) })
    .configureHelp({
      showGlobalOptions: true,
      visibleGlobalOptions(command: Command): Option[] {
        return Help.prototype.visibleGlobalOptions.call(this, command).filter((option) => option.long !== '--version');
      },
    });
}
