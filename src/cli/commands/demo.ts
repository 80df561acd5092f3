import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../../core/logger.js';
import { DEMO_API_LISTEN, DEMO_PG_LISTEN, demoConfigYaml } from '../../demo/demo-config.js';
import { runDemo } from '../../demo/run-demo.js';
import { runUntilSignalled } from './serve.js';

interface DemoCommandOptions {
  apiListen: string;
  pgListen: string;
  stateDir: string;
  inMemory: boolean;
  reset: boolean;
  printConfig: boolean;
}

/** `gatehouse demo` (what `npm start` runs): the gateway in front of an embedded PostgreSQL. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run the gateway with the embedded demo: PostgreSQL with sample data, dev issuer, SQLite store',
    )
    .option('--api-listen <addr>', 'API and console address', DEMO_API_LISTEN)
    .option('--pg-listen <addr>', 'postgres connector address', DEMO_PG_LISTEN)
    .option('--state-dir <dir>', 'where the store, dev key and demo data live', '.gatehouse')
    .option('--in-memory', 'keep the demo database in memory (fresh data every start)', false)
    .option('--reset', 'start over with fresh demo data and an empty store', false)
    .option('--print-config', 'print the demo config (YAML) and exit', false)
    .addHelpText(
      'after',
      '\nLogs go to stderr at level warn; set GATEHOUSE_LOG_LEVEL=info to see sessions.',
    )
    .action(async (options: DemoCommandOptions) => {
      if (options.printConfig) {
        process.stdout.write(
          demoConfigYaml({
            target: { host: '127.0.0.1', port: 5432 },
            stateDir: resolve(options.stateDir),
            apiListen: options.apiListen,
            pgListen: options.pgListen,
          }).replace(
            'port: 5432',
            'port: 5432  # the embedded database picks a free port at start',
          ),
        );
        return;
      }
      const logger = createLogger(process.env['GATEHOUSE_LOG_LEVEL'] ?? 'warn');
      const demo = await runDemo({
        apiListen: options.apiListen,
        pgListen: options.pgListen,
        stateDir: options.stateDir,
        inMemory: options.inMemory,
        reset: options.reset,
        logger,
      });
      runUntilSignalled(demo, logger);
    });
}
