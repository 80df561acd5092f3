import pg from 'pg';

/** Every field a server can put in an ErrorResponse/NoticeResponse, as pg names them. */
export const SERVER_MESSAGE_FIELDS = [
  'severity',
  'code',
  'message',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const;

export type ServerMessage = Partial<Record<(typeof SERVER_MESSAGE_FIELDS)[number], string>>;

/** One result as the client saw it, values as the raw text (or bytes, hex) the server sent. */
export interface ResultSnapshot {
  command: string | null;
  rowCount: number | null;
  fields: Array<
    Pick<
      pg.FieldDef,
      | 'name'
      | 'tableID'
      | 'columnID'
      | 'dataTypeID'
      | 'dataTypeSize'
      | 'dataTypeModifier'
      | 'format'
    >
  >;
  rows: unknown[][];
}

/** What a query produced: its results, or the error (a server error keeps every field). */
export type QueryOutcome =
  | { ok: true; results: ResultSnapshot[] }
  | { ok: false; error: ServerMessage | { clientError: string } };

/** A server message reduced to the fields the server sent (absent ones dropped). */
export function serverMessage(source: object): ServerMessage {
  const out: ServerMessage = {};
  const record = source as Record<string, unknown>;
  for (const key of SERVER_MESSAGE_FIELDS) {
    const value = record[key];
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}

/** Type parsers that keep what the server sent: text as text, binary as hex. */
const rawTypes = {
  getTypeParser: () => (value: string | Buffer) =>
    typeof value === 'string' ? value : Buffer.from(value).toString('hex'),
};

function snapshotResult(result: pg.QueryArrayResult): ResultSnapshot {
  return {
    command: result.command,
    rowCount: result.rowCount,
    fields: result.fields.map(
      ({ name, tableID, columnID, dataTypeID, dataTypeSize, dataTypeModifier, format }) => ({
        name,
        tableID,
        columnID,
        dataTypeID,
        dataTypeSize,
        dataTypeModifier,
        format,
      }),
    ),
    rows: result.rows,
  };
}

/** A query for `snapshot`: simple protocol for plain text, extended when values or a name are given. */
export interface SnapshotQuery {
  text: string;
  values?: unknown[];
  name?: string;
  binary?: boolean;
}

/**
 * Runs a query and records everything the client can observe, so two connections can be
 * compared with one `toEqual`. Never throws for query errors; the error becomes the outcome.
 */
export async function snapshot(
  client: pg.Client,
  query: string | SnapshotQuery,
): Promise<QueryOutcome> {
  const config: SnapshotQuery = typeof query === 'string' ? { text: query } : query;
  try {
    const result = (await client.query({
      ...config,
      rowMode: 'array',
      types: rawTypes,
    } as pg.QueryArrayConfig)) as pg.QueryArrayResult | pg.QueryArrayResult[];
    const results = Array.isArray(result) ? result : [result];
    return { ok: true, results: results.map(snapshotResult) };
  } catch (err) {
    if (err instanceof pg.DatabaseError) return { ok: false, error: serverMessage(err) };
    return { ok: false, error: { clientError: err instanceof Error ? err.message : String(err) } };
  }
}

/** Collects the notices a client receives (every field), in order. */
export function collectNotices(client: pg.Client): ServerMessage[] {
  const notices: ServerMessage[] = [];
  client.on('notice', (notice) => notices.push(serverMessage(notice)));
  return notices;
}

/** Collects the ParameterStatus values the server reports (at startup and after SET). */
export function collectParameters(client: pg.Client): Map<string, string> {
  const parameters = new Map<string, string>();
  const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
  connection.on('parameterStatus', (msg: { parameterName: string; parameterValue: string }) =>
    parameters.set(msg.parameterName, msg.parameterValue),
  );
  return parameters;
}
