/** The slice of an API ticket the demo tests look at. */
export interface Ticket {
  id: string;
  connector: string;
  status: string;
  rule: string;
  command: string;
  requester: { subject: string; agent: boolean };
}

export interface PrintedConnection {
  host: string;
  port: number;
  user: string;
  database: string;
  password: string;
}

/**
 * The connection a reader of the banner would use: PGPASSWORD and the psql conninfo string,
 * parsed from the printed text (so a wrong banner fails the test, not just a wrong handle).
 */
export function printedConnection(banner: string): PrintedConnection {
  const password = /PGPASSWORD='([^']+)'/.exec(banner)?.[1];
  const conninfo = /psql "([^"]+)"/.exec(banner)?.[1];
  if (!password || !conninfo) throw new Error(`no psql command in the banner:\n${banner}`);
  const fields = Object.fromEntries(
    conninfo.split(/\s+/).map((pair) => pair.split('=', 2) as [string, string]),
  );
  return {
    host: fields['host']!,
    port: Number(fields['port']),
    user: fields['user']!,
    database: fields['dbname']!,
    password,
  };
}

/** Polls the approvals API as `token` until a pending ticket for `command` shows up. */
export async function waitForTicket(
  apiUrl: string,
  token: string,
  command: string,
  timeoutMs = 15_000,
): Promise<Ticket> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const response = await fetch(`${apiUrl}/api/approvals?status=pending`, {
      headers: { authorization: `Bearer ${token}` },
    });
    last = `${response.status} ${await response.clone().text()}`;
    if (response.ok) {
      const tickets = (await response.json()) as Ticket[];
      const ticket = tickets.find((t) => t.command === command);
      if (ticket) return ticket;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `no pending ticket for "${command}" within ${timeoutMs} ms (last answer: ${last})`,
  );
}
