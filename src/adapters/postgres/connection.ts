/**
 * Multi-host connection strings for node-postgres, which (unlike libpq) reads only one host:
 * `postgres://user:pw@hostA:5432,hostB:5432/db?target_session_attrs=read-write` is parsed here and the hosts
 * are tried in order, keeping the first that accepts writes — after a failover, the promoted standby — and
 * passing over a primary that cannot complete a synchronous commit while another is out of recovery.
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

export type PgHost = PgTarget['hosts'][number];

/**
 * What a data node says about itself before the store commits there. `canCommit` is false only for a node
 * out of recovery whose commits wait for a synchronous standby while none is attached: a cut-off old
 * primary that pg_auto_failover's keeper never demoted (docs/ha.md, "Failover suite").
 */
export interface HostProbe {
  readonly inRecovery: boolean;
  readonly canCommit: boolean;
}

/**
 * One query answers both. A walsender row whose sync_state the hub's user may not read (no pg_monitor) is
 * taken as attached: without the grant the choice is what it was before this check, never worse.
 */
export const CAN_COMMIT_SQL = `current_setting('synchronous_standby_names') = ''
  OR current_setting('synchronous_commit') IN ('off', 'local')
  OR EXISTS (SELECT 1 FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum') OR sync_state IS NULL)`;

const PROBE_SQL = `SELECT pg_is_in_recovery() AS ro, ${CAN_COMMIT_SQL} AS commits`;

/** The hosts in the URL's order, except that the one a commit just timed out on goes last. */
export function hostOrder(hosts: readonly PgHost[], avoid: PgHost | null): PgHost[] {
  if (avoid === null) return [...hosts];
  const same = (h: PgHost): boolean => h.host === avoid.host && h.port === avoid.port;
  return [...hosts.filter((h) => !same(h)), ...hosts.filter(same)];
}

export type HostAnswer<C> =
  | { readonly ok: true; readonly conn: C; readonly probe: HostProbe }
  | { readonly ok: false; readonly reason: string };

/**
 * The read-write host choice, with the connecting and probing injected (unit-tested with fake answers):
 * a node in recovery is never chosen; the first node out of recovery that can commit is; a primary that
 * cannot commit is kept only if no other node out of recovery turns up, since it may get its standby back.
 * Every connection not chosen is closed.
 */
export async function chooseHost<C>(
  hosts: readonly PgHost[],
  avoid: PgHost | null,
  open: (host: PgHost) => Promise<HostAnswer<C>>,
  close: (conn: C) => Promise<void>,
): Promise<{ readonly host: PgHost; readonly conn: C } | { readonly host: null; readonly reasons: string[] }> {
  const reasons: string[] = [];
  let fallback: { host: PgHost; conn: C } | null = null;
  for (const host of hostOrder(hosts, avoid)) {
    const answer = await open(host);
    const name = `${host.host}:${host.port}`;
    if (!answer.ok) {
      reasons.push(`${name}: ${answer.reason}`);
      continue;
    }
    if (answer.probe.inRecovery) {
      reasons.push(`${name} is a standby`);
      await close(answer.conn);
    } else if (answer.probe.canCommit) {
      if (fallback !== null) await close(fallback.conn);
      return { host, conn: answer.conn };
    } else {
      reasons.push(`${name} is out of recovery but has no synchronous standby attached`);
      if (fallback === null) fallback = { host, conn: answer.conn };
      else await close(answer.conn);
    }
  }
  return fallback ?? { host: null, reasons };
}

function newClient(
  target: PgTarget,
  { host, port }: PgHost,
  connectTimeoutMs: number,
  queryTimeoutMs: number,
): pg.Client {
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
  return client;
}

/**
 * Connect to a host of the target: with read-write, the one chooseHost picks; otherwise the first that
 * answers. `avoid` is the host a commit last timed out on (tried last). Rejects with every host's reason
 * when none fits, so the caller can retry after the cluster settles.
 */
export async function connectHost(
  target: PgTarget,
  connectTimeoutMs: number,
  queryTimeoutMs: number,
  avoid: PgHost | null = null,
): Promise<{ readonly host: PgHost; readonly client: pg.Client }> {
  const open = async (host: PgHost): Promise<HostAnswer<pg.Client>> => {
    const client = newClient(target, host, connectTimeoutMs, queryTimeoutMs);
    try {
      await client.connect();
      if (!target.readWrite) return { ok: true, conn: client, probe: { inRecovery: false, canCommit: true } };
      const { rows } = await client.query<{ ro: boolean; commits: boolean }>(PROBE_SQL);
      return {
        ok: true,
        conn: client,
        probe: { inRecovery: rows[0]?.ro !== false, canCommit: rows[0]?.commits === true },
      };
    } catch (error) {
      await client.end().catch(() => undefined);
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
  };
  const chosen = await chooseHost(target.hosts, avoid, open, (client) => client.end().catch(() => undefined));
  if (chosen.host === null)
    throw new Error(`no ${target.readWrite ? 'read-write ' : ''}postgres host: ${chosen.reasons.join('; ')}`);
  return { host: chosen.host, client: chosen.conn };
}

/** connectHost without the host's name, for callers that only need a connection. */
export async function connectTarget(
  target: PgTarget,
  connectTimeoutMs: number,
  queryTimeoutMs: number,
): Promise<pg.Client> {
  return (await connectHost(target, connectTimeoutMs, queryTimeoutMs)).client;
}
