import { existsSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { loadConfig } from '../connectors/registry.js';

/** Options every command that talks to a running gateway accepts. */
export interface RemoteOptions {
  config: string;
  token?: string;
  apiUrl?: string;
}

/** Loads the config for its addresses only; secrets are not needed (nor read) by clients. */
export async function loadClientConfig(path: string): Promise<Config | undefined> {
  if (!existsSync(path)) return undefined;
  return loadConfig(path, { checkReferences: false });
}

/** The bearer token: --token, else $GATEHOUSE_TOKEN. */
export function resolveToken(options: RemoteOptions): string {
  const token = options.token ?? process.env['GATEHOUSE_TOKEN'];
  if (!token) {
    throw new Error(
      'no token: pass --token or set GATEHOUSE_TOKEN (e.g. GATEHOUSE_TOKEN=$(gatehouse token --dev alice --groups dba))',
    );
  }
  return token;
}

export async function resolveApiUrl(options: RemoteOptions): Promise<string> {
  if (options.apiUrl) return options.apiUrl.replace(/\/$/, '');
  const config = await loadClientConfig(options.config);
  if (config?.server.api.public_url) return config.server.api.public_url.replace(/\/$/, '');
  const listen = config?.server.api.listen ?? { host: '127.0.0.1', port: 8080 };
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
}

/** Calls the gateway's REST API; a non-2xx answer becomes an Error with the API's message. */
export async function callApi<T>(
  options: RemoteOptions,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const { status, ok, payload } = await requestApi<T & { message?: string; error?: string }>(
    options,
    method,
    path,
    body,
  );
  if (!ok) throw new Error(`${payload.message ?? status} (${payload.error ?? status})`);
  return payload;
}

/** Calls the REST API and returns the status with the JSON body, whatever the status. */
export async function requestApi<T>(
  options: RemoteOptions,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; ok: boolean; payload: T }> {
  const url = `${await resolveApiUrl(options)}${path}`;
  const token = resolveToken(options);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new Error(`cannot reach the gateway API at ${url}: ${(err as Error).message}`);
  }
  const payload = (await response.json().catch(() => ({}))) as T;
  return { status: response.status, ok: response.ok, payload };
}

export function addRemoteOptions<T extends import('commander').Command>(command: T): T {
  return command
    .option('-c, --config <file>', 'config file (for the API address)', './gatehouse.yaml')
    .option('--token <jwt>', 'bearer token (default: $GATEHOUSE_TOKEN)')
    .option('--api-url <url>', 'gateway API base URL (default: from the config)') as T;
}
