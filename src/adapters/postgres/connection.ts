/**
 * Multi-host connection strings for node-postgres, which (unlike libpq) reads only one host:
 * `postgres://user:pw@hostA:5432,hostB:5432/db?target_session_attrs=read-write` is parsed here and the hosts
 * are tried in order, keeping the first that accepts writes — after a failover, the promoted standby.
 */
import pg from 'pg';

export interface PgTarget {
  readonly hosts: readonly { readonly host: string; readonly port: number }[];
  readonly user: string;
  readonly password: string | undefined;
  readonly database: string;
  readonly readWrite: boolean;
}

/** Parse a (multi-host) postgres:// URL; throws naming what is wrong. */
export function parsePgUrl(url: string): PgTarget {
  const match = /^postgres(?:ql)?:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(url);
  if (match === null)
    throw new Error(
      'not a postgres:// URL (postgres://user@host:port[,host:port…]/database?target_session_attrs=read-write)',
    );
  const [, user, password, hostList = '', database, query] = match;
  const hosts = hostList.split(',').map((part) => {
    const hostPort = /^([^:]+)(?::(\d{1,5}))?$/.exec(part);
    if (hostPort === null) throw new Error(`bad host "${part}" in the postgres URL`);
    const port = hostPort[2] === undefined ? 5432 : Number(hostPort[2]);
    if (port < 1 || port > 65535) throw new Error(`bad port in "${part}"`);
    return { host: decodeURIComponent(hostPort[1] ?? ''), port };
  });
  const params = new URLSearchParams(query ?? '');
  const attrs = params.get('target_session_attrs') ?? 'any';
  if (attrs !== 'any' && attrs !== 'read-write')
    throw new Error(`target_session_attrs=${attrs}: only any and read-write are supported`);
  return {
    hosts,
    user: decodeURIComponent(user ?? 'postgres'),
    password: password === undefined ? undefined : decodeURIComponent(password),
    database: decodeURIComponent(database === undefined || database === '' ? 'postgres' : database),
    readWrite: attrs === 'read-write',
  };
}

/** int8 (count(*), BIGINT columns) as a number: every value the hub stores is far below 2^53. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Connect to the first host that answers (and, with read-write, is not in recovery). Rejects with every
 * host's reason when none fits, so the caller can retry after the cluster settles.
 */
export async function connectTarget(
  target: PgTarget,
  connectTimeoutMs: number,
  queryTimeoutMs: number,
): Promise<pg.Client> {
  const reasons: string[] = [];
  for (const { host, port } of target.hosts) {
    const client = new pg.Client({
      host,
      port,
      user: target.user,
      password: target.password,
      database: target.database,
      connectionTimeoutMillis: connectTimeoutMs,
      // A primary that hangs (not closed, just silent) must fail the call, not stall the writer forever.
      query_timeout: queryTimeoutMs,
      keepAlive: true,
      types: TYPES,
    });
    // A connection that dies later emits 'error'; without a listener that would kill the thread.
    client.on('error', () => undefined);
    try {
      await client.connect();
      if (target.readWrite) {
        const { rows } = await client.query<{ ro: boolean }>('SELECT pg_is_in_recovery() AS ro');
        if (rows[0]?.ro !== false) {
          reasons.push(`${host}:${port} is a standby`);
          await client.end();
          continue;
        }
      }
      return client;
    } catch (error) {
      reasons.push(`${host}:${port}: ${error instanceof Error ? error.message : String(error)}`);
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`no ${target.readWrite ? 'read-write ' : ''}postgres host: ${reasons.join('; ')}`);
}
