import type { Command } from 'commander';
import { addRemoteOptions, callApi, type RemoteOptions } from '../cli-context.js';

interface TicketJson {
  id: string;
  status: string;
  connector: string;
  scope: string;
  requester: { subject: string; name?: string; agent: boolean; groups: string[] };
  command: string;
  reason?: string;
  classes: string[];
  rule: string;
  approvers: string[];
  approvalsRequired: number;
  createdAt: string;
  expiresAt: string;
  executedCommand?: string;
  decisions: {
    reviewer: { subject: string; name?: string };
    action: string;
    rationale?: string;
    command?: string;
    at: string;
  }[];
  viewer: { canDecide: boolean; reason?: string };
  url: string;
}

type JsonOption = RemoteOptions & { json?: boolean };

/** `gatehouse approvals list|show|approve|deny|modify` — the reviewer's CLI over /api/approvals. */
export function registerApprovalsCommand(program: Command): void {
  const approvals = program.command('approvals').description('review held commands');

  addRemoteOptions(approvals.command('list'))
    .description('list tickets you may review (default: pending)')
    .option(
      '--status <status>',
      'pending | approved | denied | modified | expired | cancelled | all',
      'pending',
    )
    .option('--json', 'print JSON')
    .action(async (options: JsonOption & { status: string }) => {
      const query = options.status === 'all' ? '' : `?status=${encodeURIComponent(options.status)}`;
      const tickets = await callApi<TicketJson[]>(options, 'GET', `/api/approvals${query}`);
      if (options.json) return print(tickets);
      if (tickets.length === 0)
        return console.log(`no ${options.status === 'all' ? '' : `${options.status} `}tickets`);
      for (const t of tickets) {
        const who = `${t.requester.name ?? t.requester.subject}${t.requester.agent ? ' (agent)' : ''}`;
        console.log(
          `${t.id}  ${t.status.padEnd(8)}  ${t.connector}  ${who}  ${t.rule}  ${oneLine(t.command, 60)}`,
        );
      }
    });

  addRemoteOptions(approvals.command('show').argument('<id>'))
    .description('show one ticket')
    .option('--json', 'print JSON')
    .action(async (id: string, options: JsonOption) => {
      const ticket = await callApi<TicketJson>(
        options,
        'GET',
        `/api/approvals/${encodeURIComponent(id)}`,
      );
      if (options.json) return print(ticket);
      describe(ticket);
    });

  for (const action of ['approve', 'deny', 'modify'] as const) {
    const command = addRemoteOptions(approvals.command(action).argument('<id>'))
      .description(`${action} a ticket${action === 'approve' ? '' : ' (--reason required)'}`)
      .option('--reason <text>', 'rationale recorded with the decision')
      .option('--json', 'print JSON');
    if (action === 'modify')
      command.requiredOption('--command <text>', 'the command to run instead');
    command.action(
      async (id: string, options: JsonOption & { reason?: string; command?: string }) => {
        if (action !== 'approve' && !options.reason?.trim())
          throw new Error(`--reason is required to ${action}`);
        const ticket = await callApi<TicketJson>(
          options,
          'POST',
          `/api/approvals/${encodeURIComponent(id)}/${action}`,
          {
            rationale: options.reason,
            command: options.command,
          },
        );
        if (options.json) return print(ticket);
        console.log(`${ticket.id}: ${ticket.status}`);
      },
    );
  }
}

function describe(t: TicketJson): void {
  const lines = [
    `ticket     ${t.id} (${t.scope})`,
    `status     ${t.status}`,
    `connector  ${t.connector}`,
    `requester  ${t.requester.name ?? t.requester.subject} [${t.requester.agent ? 'agent' : 'human'}] groups: ${t.requester.groups.join(', ') || '-'}`,
    `rule       ${t.rule}  (classes: ${t.classes.join(', ')})`,
    `reason     ${t.reason ?? '-'}`,
    `approvers  ${t.approvers.join(', ')}  (${t.approvalsRequired} needed)`,
    `created    ${t.createdAt}   expires ${t.expiresAt}`,
    `url        ${t.url}`,
    'command:',
    indent(t.command),
  ];
  if (t.executedCommand) lines.push('runs instead:', indent(t.executedCommand));
  for (const d of t.decisions) {
    lines.push(
      `- ${d.at} ${d.action} by ${d.reviewer.name ?? d.reviewer.subject}${d.rationale ? `: ${d.rationale}` : ''}`,
    );
  }
  lines.push(
    t.viewer.canDecide ? 'you can decide this ticket' : `you cannot decide: ${t.viewer.reason}`,
  );
  console.log(lines.join('\n'));
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));
const oneLine = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};
const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
