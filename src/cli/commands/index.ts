import type { Command } from 'commander';
import { registerServeCommand } from './serve.js';

/** Every CLI command registers itself here; one line per command file. */
export function registerCommands(program: Command): void {
  registerServeCommand(program);
}
