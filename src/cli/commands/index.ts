import type { Command } from 'commander';
import { registerApprovalsCommand } from './approvals.js';
import { registerAuditCommand } from './audit.js';
import { registerConfigCommand } from './config.js';
import { registerDemoCommand } from './demo.js';
import { registerExecCommand } from './exec.js';
import { registerLoginCommand } from './login.js';
import { registerPolicyCommand } from './policy.js';
import { registerServeCommand } from './serve.js';
import { registerSessionsCommand } from './sessions.js';
import { registerTokenCommand } from './token.js';

/** Every CLI command registers itself here; one line per command file. */
export function registerCommands(program: Command): void {
  registerServeCommand(program);
  registerTokenCommand(program);
  registerConfigCommand(program);
  registerPolicyCommand(program);
  registerDemoCommand(program);
  registerApprovalsCommand(program);
  registerExecCommand(program);
  registerSessionsCommand(program);
  registerAuditCommand(program);
  registerLoginCommand(program);
}
