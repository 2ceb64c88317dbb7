import type { Command } from "commander";
/** Commands that talk to a server through the SDK (agents, run, runs, keys). */
export function registerClientCommands(_program: Command): void {}
