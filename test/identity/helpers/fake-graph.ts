import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Microsoft Graph `getMemberObjects` (a neighbour of the code under test):
 * answers with the groups registered per object id, in pages of `pageSize`.
 */
export class FakeGraph implements AsyncDisposable {
  readonly groups = new Map<string, string[]>();
  readonly requests: Array<{ method: string; path: string; authorization?: string }> = [];
  pageSize = 1000;
  failWith: number | undefined;
  readonly #server: Server;
  readonly url: string;

  private constructor(server: Server) {
    this.#server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(): Promise<FakeGraph> {
    let graph: FakeGraph | undefined;
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', graph!.url);
      const entry = { method: req.method ?? '', path: url.pathname };
      graph!.requests.push(
        req.headers.authorization ? { ...entry, authorization: req.headers.authorization } : entry,
      );
      req.resume();
      if (graph!.failWith) return void res.writeHead(graph!.failWith).end();
      if (req.headers.authorization !== 'Bearer graph-access-token') {
        return void res.writeHead(401).end();
      }
      const match = /^\/v1\.0\/directoryObjects\/([^/]+)\/getMemberObjects$/.exec(url.pathname);
      const groups = match ? graph!.groups.get(decodeURIComponent(match[1]!)) : undefined;
      if (!groups) return void res.writeHead(404).end();
      const skip = Number(url.searchParams.get('skip') ?? 0);
      const page = groups.slice(skip, skip + graph!.pageSize);
      const body: Record<string, unknown> = { value: page };
      if (skip + graph!.pageSize < groups.length) {
        body['@odata.nextLink'] = `${graph!.url}${url.pathname}?skip=${skip + graph!.pageSize}`;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    graph = new FakeGraph(server);
    return graph;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }
}
