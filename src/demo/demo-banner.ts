/** What the banner needs to know about the running demo. */
export interface BannerInfo {
  /** Console / API base URL. */
  consoleUrl: string;
  /** The postgres connector's bound address. */
  pg: { host: string; port: number; database: string };
  connector: string;
  /** The agent the printed token belongs to. */
  subject: string;
  token: string;
  tokenHours: number;
  /** How to invoke the CLI, e.g. `gatehouse` or `node dist/src/cli/gatehouse.js`. */
  cli: string;
  /** `-c FILE` for CLI commands when the defaults would not find the demo; empty otherwise. */
  configFlag: string;
}

/** A psql command line that connects through the gateway with `token` as the password. */
export function psqlCommand(info: Pick<BannerInfo, 'pg' | 'subject' | 'token'>): string {
  const { host, port, database } = info.pg;
  return (
    `PGPASSWORD='${info.token}' psql ` +
    `"host=${host} port=${port} user=${info.subject} dbname=${database} sslmode=disable"`
  );
}

/** The short, friendly text `gatehouse demo` prints once everything listens (docs/cli.md). */
export function demoBanner(info: BannerInfo): string {
  const flag = info.configFlag ? ` ${info.configFlag}` : '';
  // Options belong to the leaf command (`approvals list -c F`), not to its parent.
  const cmd = (sub: string, rest: string) => `${info.cli} ${sub}${flag} ${rest}`;
  const review = (action: string) => `${info.cli} approvals ${action}${flag}`;
  return `
Gatehouse demo is running: an embedded PostgreSQL with fake customer data, behind the gateway.

  Console   ${info.consoleUrl}
  Postgres  ${info.pg.host}:${info.pg.port}  (connector "${info.connector}")

Connect as an AI agent (${info.subject}, group agents, token valid ${info.tokenHours}h):

  ${psqlCommand(info)}

Then try:

  SELECT name, email, ssn, card_number FROM customers LIMIT 5;  -- runs, personal data masked
  DELETE FROM customers;  -- paused: an agent's DELETE without WHERE waits for a dba's approval

Review it from another terminal, as a dba:

  export GATEHOUSE_TOKEN=$(${cmd('token', '--dev alice --groups dba')})
  ${review('list')}
  ${review('approve <ID>')}     # or: deny <ID> --reason "not today"

Other tokens: ${cmd('token', '--dev SUBJECT --groups agents,developers [--agent]')}
Press Ctrl-C to stop.
`;
}
