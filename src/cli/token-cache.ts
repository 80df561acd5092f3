/**
 * Tokens `gatehouse login` obtained, cached per issuer and client under the user's config
 * folder (`$GATEHOUSE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/gatehouse`, else
 * `~/.config/gatehouse`), one file each in `tokens/`, readable by the user alone (0600 in a
 * 0700 folder), written atomically. Shared by every command that needs a user's token
 * (`gatehouse token --exec-credential` for kubectl; SSH later).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** One cached login: the tokens and when the one presented to the gateway expires. */
export interface CachedToken {
  /** The issuer URL the tokens came from. */
  issuer: string;
  clientId: string;
  /** The token presented to the gateway (the access token, or the ID token when asked). */
  token: string;
  /** Epoch seconds when `token` expires. */
  expiresAt: number;
  refreshToken?: string;
  /** Which token `token` is, so a refresh picks the same one. */
  kind: 'access_token' | 'id_token';
  scope?: string;
}

export interface TokenCacheOptions {
  env?: NodeJS.ProcessEnv;
}

/** The user's gatehouse config folder. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['GATEHOUSE_CONFIG_DIR']) return env['GATEHOUSE_CONFIG_DIR'];
  const base = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return join(base, 'gatehouse');
}

/** The cache file of one issuer and client (a hash: URLs do not make file names). */
export function tokenCacheFile(issuer: string, clientId: string, options: TokenCacheOptions = {}) {
  const key = createHash('sha256').update(`${issuer}\n${clientId}`).digest('hex').slice(0, 32);
  return join(configDir(options.env), 'tokens', `${key}.json`);
}

function isCachedToken(value: unknown): value is CachedToken {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['issuer'] === 'string' &&
    typeof v['clientId'] === 'string' &&
    typeof v['token'] === 'string' &&
    typeof v['expiresAt'] === 'number' &&
    (v['kind'] === 'access_token' || v['kind'] === 'id_token') &&
    (v['refreshToken'] === undefined || typeof v['refreshToken'] === 'string')
  );
}

/** The cached login, or undefined when there is none (or it is unreadable: log in again). */
export async function readCachedToken(
  issuer: string,
  clientId: string,
  options: TokenCacheOptions = {},
): Promise<CachedToken | undefined> {
  let text: string;
  try {
    text = await readFile(tokenCacheFile(issuer, clientId, options), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return isCachedToken(value) && value.issuer === issuer && value.clientId === clientId
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}

/** Stores a login (0600, atomic: a reader never sees half a file). */
export async function writeCachedToken(
  entry: CachedToken,
  options: TokenCacheOptions = {},
): Promise<string> {
  const file = tokenCacheFile(entry.issuer, entry.clientId, options);
  const dir = join(file, '..');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(entry, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, file);
  return file;
}

export async function removeCachedToken(
  issuer: string,
  clientId: string,
  options: TokenCacheOptions = {},
): Promise<void> {
  await rm(tokenCacheFile(issuer, clientId, options), { force: true });
}

/** True while the token has more than `marginSeconds` left. */
export function tokenFresh(entry: CachedToken, nowMs = Date.now(), marginSeconds = 60): boolean {
  return entry.expiresAt - marginSeconds > nowMs / 1000;
}
