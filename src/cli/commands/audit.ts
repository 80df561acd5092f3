import { once } from 'node:events';
import type { Command } from 'commander';
import { type ExportFormat, exportRecords } from '../../audit/read/chain-export.js';
import { parseAnchor, verifyChain } from '../../audit/read/chain-verify.js';
import { unchainedJournalRecords } from '../../audit/read/journal-backlog.js';
import { openStoreForReading } from '../../audit/read/open-for-reading.js';
import { parseTimeArg } from '../../audit/read/time-arg.js';
import { journalDir } from '../../audit/write/audit-journal.js';
import { CONNECTOR_MODULES } from '../../connectors/registry.js';

/** `gatehouse audit verify|export`: evidence from the store named by the config. */
export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description('check and export the audit record (reads the store named by the config)');

  audit
    .command('verify')
    .description('check the hash chain; exit 1 and name the first broken record if any')
    .option('-c, --config <file>', 'config file (for the store)', './gatehouse.yaml')
    .option('--anchor <seq:hash>', 'a head noted earlier: that record must still have that hash')
    .option('--json', 'print the report as JSON')
    .action(async (options: { config: string; anchor?: string; json?: boolean }) => {
      const anchor = options.anchor === undefined ? undefined : parseAnchor(options.anchor);
      const store = await openStoreForReading(options.config, CONNECTOR_MODULES);
      try {
        const report = await verifyChain(store.db, { anchor });
        const unchained = store.sqlite
          ? await unchainedJournalRecords(store.db, journalDir(store.sqlite.path))
          : 0;
        if (options.json) console.log(JSON.stringify({ ...report, unchained }, null, 2));
        else if (report.ok) {
          console.log(`ok: ${report.records} records, chains: ${report.chains}`);
          console.log(
            `head: ${report.head.seq}:${report.head.hash} (keep it; --anchor checks it later)`,
          );
          if (report.base.seq > 0)
            console.log(`purged by retention: records 1..${report.base.seq}`);
        } else {
          const { broken } = report;
          console.log(
            `broken: record ${broken!.seq} (chain ${broken!.chain}): ${broken!.problem.replace('_', ' ')}: ${broken!.detail}`,
          );
          console.log(`${report.records} records checked before it`);
        }
        if (unchained > 0 && !options.json) {
          console.log(
            `${unchained} records in the audit journal are not chained yet (checked once chained: at once by a running gateway, else when it next starts)`,
          );
        }
        if (!report.ok) process.exitCode = 1;
      } finally {
        await store.close();
      }
    });

  audit
    .command('export')
    .description('write the audit records to stdout, in chain order')
    .option('-c, --config <file>', 'config file (for the store)', './gatehouse.yaml')
    .option('--format <format>', 'jsonl | csv', 'jsonl')
    .option('--since <time>', 'recorded at or after (ISO 8601, or a duration ago: 24h)')
    .option('--until <time>', 'recorded before (ISO 8601, or a duration ago)')
    .action(async (options: { config: string; format: string; since?: string; until?: string }) => {
      if (options.format !== 'jsonl' && options.format !== 'csv') {
        throw new Error('--format must be jsonl or csv');
      }
      const now = Date.now();
      const range = {
        ...(options.since !== undefined && { since: parseTimeArg(options.since, now, '--since') }),
        ...(options.until !== undefined && { until: parseTimeArg(options.until, now, '--until') }),
      };
      const store = await openStoreForReading(options.config, CONNECTOR_MODULES);
      try {
        const format = options.format as ExportFormat;
        for await (const chunk of await exportRecords(store.db, { format, ...range })) {
          if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
        }
      } catch (err) {
        // `… | head`: the reader closed the pipe because it has all it wants.
        if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
      } finally {
        await store.close();
      }
    });
}
