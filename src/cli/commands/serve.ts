import type { Command } from 'commander';
import { loadConfig } from '../../connectors/registry.js';
import { createLogger } from '../../core/logger.js';
import { type RunningGateway, startGateway } from '../../server/gateway.js';

/** `gatehouse serve -c FILE`: run every listener, the API and the console until signalled. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the gateway (all listeners + API + console)')
    .option('-c, --config <file>', 'config file', './gatehouse.yaml')
    .action(async (options: { config: string }) => {
      const logger = createLogger();
      const gateway = await startGateway(await loadConfig(options.config), { logger });
      runUntilSignalled(gateway, logger, async () =>
        gateway.reload(await loadConfig(options.config)),
      );
    });
}

/**
 * SIGINT/SIGTERM drain and exit; SIGHUP reloads policy (a bad config is logged and ignored, the
 * running policy stays in force).
 */
export function runUntilSignalled(
  gateway: Pick<RunningGateway, 'close'>,
  logger: import('pino').Logger,
  reload?: () => Promise<void>,
): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down: draining sessions');
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  if (reload) {
    process.on('SIGHUP', () => {
      reload().catch((err: unknown) =>
        logger.error({ err }, 'config reload failed; keeping the running policy'),
      );
    });
  }
}
