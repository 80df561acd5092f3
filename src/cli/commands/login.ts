import type { Command } from 'commander';
import { addRemoteOptions } from '../cli-context.js';
import { type LoginSshOptions, loginSsh } from './login-ssh.js';

/**
 * `gatehouse login --ssh`. The token comes from --token or $GATEHOUSE_TOKEN (no token cache on
 * this branch yet). Without --ssh there is nothing to do yet: device-code login is not built.
 */
export function registerLoginCommand(program: Command): void {
  addRemoteOptions(program.command('login'))
    .description('get credentials from the gateway (--ssh: a short-lived SSH certificate)')
    .option('--ssh', 'write ~/.gatehouse/ssh/{id_ed25519,id_ed25519-cert.pub,known_hosts}')
    .option('--ssh-dir <dir>', 'where to write them (default ~/.gatehouse/ssh)')
    .option('--connector <name>', 'the SSH connector the printed ssh line uses')
    .action(async (options: LoginSshOptions & { ssh?: boolean; sshDir?: string }) => {
      if (!options.ssh) {
        throw new Error('only `gatehouse login --ssh` is available in this build');
      }
      const result = await loginSsh({
        ...options,
        ...(options.sshDir !== undefined && { dir: options.sshDir }),
      });
      console.error(`certificate valid until ${result.validUntil}: ${result.certificateFile}`);
      console.log(result.sshLine ?? '# the gateway has no SSH connector');
    });
}
