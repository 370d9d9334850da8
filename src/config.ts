/**
 * The hub's configuration: one zod schema over environment variables (plus an optional .env, merged
 * by main.ts), parsed once, every problem reported by variable name in one error, then frozen.
 * Defaults are the reference seed's (shared/reference/seeds/000_…txt) plus our own additions.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { HubError } from './protocol/errors.js';

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'must be true or false' }))
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

const url = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }))
  .transform((v) => v.replace(/\/+$/, ''));

/** A token bucket, `rate/burst`: `rate` tokens per second refill a bucket holding at most `burst`. */
const rateSpec = z
  .string()
  .trim()
  .regex(/^\d+\/\d+$/, 'must be rate/burst, e.g. 20/100')
  .transform((v) => {
    const [rate, burst] = v.split('/').map(Number) as [number, number];
    return { perSecond: rate, burst };
  })
  .refine((r) => r.perSecond >= 1 && r.perSecond <= 1_000_000 && r.burst >= 1 && r.burst <= 1_000_000, 'rate and burst must be 1..1000000');

/** `name:value` pairs separated by commas or newlines, e.g. a WAF token header. */
const rpcHeaders = z.string().transform((raw, ctx) => {
  const headers: Record<string, string> = {};
  for (const part of raw.split(/[\n,]/).map((p) => p.trim()).filter(Boolean)) {
    const colon = part.indexOf(':');
    const name = colon > 0 ? part.slice(0, colon).trim() : '';
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not a name:value header` });
      return z.NEVER;
    }
    headers[name.toLowerCase()] = part.slice(colon + 1).trim();
  }
  return headers;
});

/** A comma- or space-separated list, trimmed, empty items dropped. */
const list = z.string().transform((raw) => raw.split(/[\s,]+/).map((p) => p.trim()).filter(Boolean));

/** Origins as browsers send them: scheme://host[:port], no path. */
const origins = list.pipe(
  z.array(
    z
      .string()
      .regex(/^https?:\/\/[^/\s]+$/i, 'each entry must be an origin like https://pos.example.com (scheme and host, no path)')
      .transform((v) => v.toLowerCase()),
  ),
);

const hostnames = list.pipe(z.array(z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, 'each entry must be a host name or IP address').transform((v) => v.toLowerCase())));

const defaultShards = String(Math.max(1, availableParallelism() - 1));

/** Every variable, its default and its meaning. The README's configuration table is checked against this. */
export const CONFIG_VARIABLES = {
  HUB_HTTP_PORT: { schema: int(0, 65535), default: '8766', doc: 'HTTP and WebSocket port (one port, as in the reference client examples).' },
  HUB_HOST: { schema: z.string().trim().min(1), default: '0.0.0.0', doc: 'Address to listen on.' },
  HUB_PORT: { schema: int(0, 65535), default: '8765', doc: 'Legacy WebSocket port of the reference hub; accepted and ignored (WebSocket is served on HUB_HTTP_PORT).' },
  HUB_DB_PATH: { schema: z.string().trim().min(1), default: './hub.sqlite', doc: 'SQLite database file.' },
  HUB_DB_SYNC: { schema: z.enum(['full', 'normal']), default: 'full', doc: 'SQLite synchronous mode; `normal` can lose acknowledged writes on power loss.' },
  HUB_CATALOG_CACHE_PATH: { schema: z.string().trim(), default: '', doc: 'Where the last catalog read from Odoo is kept, so a hub restarted while Odoo is unreachable still serves it (marked stale); empty: catalog-cache.json beside HUB_DB_PATH.' },
  HUB_STORE: { schema: z.enum(['sqlite', 'postgres']), default: 'sqlite', doc: 'The durable store: the embedded SQLite file (HUB_DB_PATH), or a PostgreSQL cluster (HUB_PG_URL; docs/ha.md).' },
  HUB_PG_URL: { schema: z.string().trim().regex(/^(postgres(ql)?:\/\/\S+)?$/, 'must be a postgres:// URL'), default: '', doc: 'With HUB_STORE=postgres: postgres://user:password@hostA:5432,hostB:5432/db?target_session_attrs=read-write (every data node, the writable one is used). Secret.' },
  HUB_FOLLOWER_TAIL_MS: { schema: int(50, 60_000), default: '250', doc: 'With HUB_STORE=postgres, on a follower hub: how often it moves its high-water mark (one synchronous write of its own) and sends its terminals the leader\'s events up to it, refreshing its actors (docs/ha.md "Follower hubs").' },
  HUB_PG_NODE: { schema: z.string().trim().regex(/^([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$|^$/, 'must be host:port, one of the hosts of HUB_PG_URL'), default: '', doc: 'With HUB_STORE=postgres: this hub\'s own data node, host:port as written in HUB_PG_URL (default: its first host). The hub leads while this node is the writable primary (docs/ha.md).' },
  HUB_PG_LOCK_TIMEOUT_MS: { schema: int(100, 600_000), default: '5000', doc: "With HUB_STORE=postgres: how long a commit or takeover waits for the takeovers lock (or a row) another session holds before it is refused as transient (nothing applied) and retried; a stuck session cannot stall the venue (docs/ha.md). Never applied to COMMIT's wait for the standby." },
  HUB_PG_MONITOR_URL: { schema: z.string().trim().regex(/^(postgres(ql)?:\/\/\S+)?$/, 'must be a postgres:// URL'), default: '', doc: "With HUB_STORE=postgres: the pg_auto_failover monitor (postgres://autoctl_node:…@witness:5432/pg_auto_failover). Set, a follower asks it for a failover when the leader hub stops serving while its database is fine (docs/ha.md \"A leader hub that keeps crashing\"), and a commit made with no synchronous standby is acked only if the monitor promotes no other node (docs/ha.md \"A commit alone while the monitor promotes the standby\"); empty, neither. Secret." },
  HUB_LEADER_HEARTBEAT_MS: { schema: int(500, 60_000), default: '5000', doc: 'With HUB_STORE=postgres: how often the leader commits its fenced heartbeat (docs/ha.md).' },
  HUB_LEADER_STALE_MS: { schema: int(5000, 3_600_000), default: '30000', doc: "With HUB_PG_MONITOR_URL: a leader whose heartbeat has not changed for this long is not serving; well above a hub's restart, and at least 3 × HUB_LEADER_HEARTBEAT_MS (docs/ha.md)." },
  HUB_FAILOVER_REQUEST_INTERVAL_MS: { schema: int(60_000, 86_400_000), default: '600000', doc: 'With HUB_PG_MONITOR_URL: a follower asks for a failover at most once per this long (docs/ha.md).' },
  HUB_ID: { schema: z.string().trim().max(128).regex(/^([A-Za-z0-9.-]+:\d{1,5}|wss?:\/\/\S+)?$/, 'must be host:port or a ws:// or wss:// URL terminals can dial'), default: '', doc: 'This hub\'s id in AUTH_OK, HUB_STATUS and the takeovers table, and where a follower sends terminals (NOT_LEADER): host:port or a ws(s):// URL. Default `<hostname>.local:<the port it listens on>`.' },
  HUB_LOG_LEVEL: { schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), default: 'info', doc: 'Log level.' },
  HUB_LOG_PRETTY: { schema: bool, default: 'false', doc: 'Readable logs instead of JSON lines (development).' },
  HUB_MDNS_ENABLED: { schema: bool, default: 'true', doc: 'Advertise `_pos-hub._tcp` over mDNS.' },
  HUB_DEV_AUTH: { schema: bool, default: 'false', doc: 'Dev bypass: an empty AUTH token signs in as the hub\'s own Odoo user. Only with a loopback HUB_HOST, never with NODE_ENV=production.' },
  HUB_DEV_AUTH_ALLOW_REMOTE: { schema: bool, default: 'false', doc: 'Allow HUB_DEV_AUTH on a non-loopback HUB_HOST (anyone on the LAN signs in as manager); warned on every start.' },
  HUB_ALLOWED_ORIGINS: { schema: origins, default: '', doc: 'Extra browser origins allowed to open WebSockets, call /api/* and be named by the terminal page\'s `?hub=` (the hub\'s own origin always is).' },
  HUB_ALLOWED_HOSTS: { schema: hostnames, default: '', doc: 'Extra Host names accepted (besides localhost, the machine\'s IPs, hostname and .local name); others get 421 (DNS rebinding).' },
  HUB_METRICS_TOKEN: { schema: z.string(), default: '', doc: 'When set, GET /metrics needs `Authorization: Bearer <token>`.' },
  HUB_METRICS_REFRESH_MS: { schema: int(0, 60_000), default: '1000', doc: 'GET /metrics serves an exposition rendered this often (a scrape never re-renders it); 0 renders on every scrape.' },
  HUB_AUTH_RECHECK_MS: { schema: int(1000, 600_000), default: '30000', doc: 'Open terminal sockets re-validate their token this often; a session Odoo calls dead is closed with 4001.' },
  HUB_DEVICE_IDLE_RELEASE_HOURS: { schema: int(0, 8760), default: '168', doc: 'A device id unused this long may be claimed by another user (0: only the admin API releases it).' },
  HUB_ADMIN_AUTH_FAILURES: { schema: int(1, 10_000), default: '10', doc: 'Wrong admin tokens accepted per address per minute before 429.' },
  HUB_SHARDS: { schema: int(1, 64), default: defaultShards, doc: 'Shard worker threads hosting table actors (default: cores − 1, at least 1).' },
  HUB_LEASE_TTL_MS: { schema: int(1000, 3_600_000), default: '60000', doc: 'Order lease validity after the last heartbeat.' },
  HUB_GRACE_MS: { schema: int(0, 600_000), default: '10000', doc: 'Lease grace after a terminal disconnects.' },
  HUB_TABLE_LOCK_TTL_MS: { schema: int(1000, 3_600_000), default: '45000', doc: 'Table lock validity after the last heartbeat.' },
  HUB_TABLE_LOCK_GRACE_MS: { schema: int(0, 600_000), default: '10000', doc: 'Table lock grace after a terminal disconnects.' },
  HUB_AUTH_TIMEOUT_MS: { schema: int(100, 600_000), default: '10000', doc: 'Time a new connection has to send AUTH.' },
  HUB_AUTH_CACHE_HOURS: { schema: int(0, 720), default: '2', doc: 'While Odoo is unreachable, tokens validated this recently are still admitted (0: none; see docs/security.md).' },
  HUB_MAX_PAYLOAD: { schema: int(1024, 64 * 1024 * 1024), default: String(1024 * 1024), doc: 'Largest accepted WebSocket frame in bytes; larger closes with 1009.' },
  HUB_MAX_BACKPRESSURE: { schema: int(1024, 256 * 1024 * 1024), default: String(4 * 1024 * 1024), doc: 'Bytes queued to a slow terminal before it is closed (4003) to resync.' },
  HUB_FRAME_MAX_BYTES: { schema: int(1024, 64 * 1024 * 1024), default: String(512 * 1024), doc: 'Largest frame decoded; larger gets ERROR FRAME_TOO_LARGE and the connection stays (HUB_MAX_PAYLOAD closes).' },
  HUB_FRAME_MAX_DEPTH: { schema: int(4, 256), default: '32', doc: 'Deepest nesting of objects/arrays in a frame (FRAME_TOO_DEEP).' },
  HUB_FRAME_MAX_KEYS: { schema: int(16, 100_000), default: '256', doc: 'Most keys in one object of a frame (FRAME_TOO_MANY_KEYS).' },
  HUB_FRAME_MAX_ARRAY: { schema: int(16, 1_000_000), default: '5000', doc: 'Most elements in one array of a frame (FRAME_ARRAY_TOO_LONG).' },
  HUB_FRAME_MAX_STRING: { schema: int(256, 64 * 1024 * 1024), default: String(16 * 1024), doc: 'Longest string in a frame, as sent (FRAME_STRING_TOO_LONG).' },
  HUB_PASSTHROUGH_MAX_DEPTH: { schema: int(1, 64), default: '8', doc: 'Deepest nesting of one field the hub does not know and passes through (PASSTHROUGH_TOO_LARGE).' },
  HUB_PASSTHROUGH_MAX_BYTES: { schema: int(64, 1024 * 1024), default: '4096', doc: 'Largest such pass-through field, in JSON bytes (PASSTHROUGH_TOO_LARGE).' },
  HUB_PREAUTH_MAX_BYTES: { schema: int(512, 1024 * 1024), default: '8192', doc: 'Largest frame read before AUTH_OK; larger is refused undecoded (PREAUTH_FRAME_TOO_LARGE).' },
  HUB_FLOOR_PLAN_MAX_BYTES: { schema: int(1024, 16 * 1024 * 1024), default: String(128 * 1024), doc: 'Largest FLOOR_PLAN_UPDATE frame (FLOOR_PLAN_TOO_LARGE).' },
  HUB_ORDER_MAX_QTY: { schema: int(1, 1_000_000), default: '10000', doc: 'Largest quantity on one order line, either sign (ORDER_VALUE_INVALID).' },
  HUB_ORDER_MAX_PRICE: { schema: int(1, 1_000_000_000_000), default: '1000000000', doc: 'Largest unit price, either sign; amounts may reach 10 × HUB_ORDER_MAX_QTY × this (ORDER_VALUE_INVALID).' },
  HUB_EVENT_RETENTION: { schema: int(100, 10_000_000), default: '100000', doc: 'Broadcast events kept for `lastSeq` resume.' },
  HUB_COMMIT_WINDOW_MS: { schema: int(0, 100), default: '0', doc: 'Group-commit window of the writer: 0 commits as soon as the writer is idle, batching whatever arrived meanwhile (also during the previous fsync); N > 0 waits N ms after the first queued unit, for bigger batches at the cost of N ms per ack.' },
  HUB_STATUS_INTERVAL_MS: { schema: int(1000, 600_000), default: '10000', doc: 'Interval of the HUB_STATUS broadcast.' },
  HUB_ADMIN_TOKEN: { schema: z.string(), default: '', doc: 'Token required by the dashboard, /api/state, /api/devices and the reset API; empty refuses them.' },
  HUB_SEND_CHANGES_TO_KITCHEN: { schema: bool, default: 'true', doc: 'send_changes_to_kitchen until Odoo supplies it: splits, removals and transfers mark orders `changed`.' },
  HUB_FORWARD_INTERVAL_MS: { schema: int(100, 3_600_000), default: '5000', doc: 'Odoo drain interval.' },
  HUB_FORWARD_BATCH_SIZE: { schema: int(1, 1000), default: '20', doc: 'Events per drain batch.' },
  HUB_TLS_CERT: { schema: z.string().trim(), default: '', doc: 'PEM certificate (chain) for wss:// and https:// on HUB_TLS_PORT; set with HUB_TLS_KEY (docs/tls.md).' },
  HUB_TLS_KEY: { schema: z.string().trim(), default: '', doc: 'PEM private key of HUB_TLS_CERT (EC P-256 or RSA); it also signs the hub identity proof.' },
  HUB_TLS_PORT: { schema: int(0, 65535), default: '8767', doc: 'TLS port (wss:// and https://, the same routes as HUB_HTTP_PORT) when HUB_TLS_CERT is set.' },
  HUB_TLS_ONLY: { schema: bool, default: 'false', doc: 'With TLS on, serve plain HTTP/ws only on 127.0.0.1 (local tools, health checks) so the LAN sees TLS alone.' },
  ODOO_URL: { schema: url, default: 'http://localhost:8069', doc: 'Odoo 12 base URL.' },
  ODOO_DB: { schema: z.string().trim().min(1), default: 'pos', doc: 'Odoo database name.' },
  ODOO_USER: { schema: z.string().trim(), default: 'admin', doc: 'Odoo user the hub signs in as (one dedicated user per hub).' },
  ODOO_PASSWORD: { schema: z.string(), default: 'admin', doc: 'Its password; empty or `admin` is refused (allowed only with dev auth on loopback).' },
  ODOO_TIMEOUT_MS: { schema: int(100, 600_000), default: '7500', doc: 'Per-call Odoo timeout (the POS client uses 7.5 s).' },
  ODOO_IN_DOUBT_PAUSE_MS: { schema: int(100, 3_600_000), default: '120000', doc: "After a finalize call whose fate is unknown (timeout, reset), wait this long before the look-up that decides whether to resend: at least Odoo's limit_time_real (120 s by default)." },
  ODOO_RPC_HEADERS: { schema: rpcHeaders, default: '', doc: 'Extra headers on every Odoo call, `name:value`, comma-separated.' },
  ODOO_FINALIZE_MODE: { schema: z.enum(['create_from_ui', 'hub_finalize_snapshot']), default: 'create_from_ui', doc: 'Stock Odoo 12 `create_from_ui`, or the reference addon\'s `hub_finalize_snapshot`.' },
  ODOO_FINALIZE_MODEL: { schema: z.string().trim().min(1), default: 'pos.order', doc: 'Model that carries `hub_finalize_snapshot`.' },
  HUB_RATE_WRITES: { schema: rateSpec, default: '100/400', doc: 'Per terminal: ORDER_SNAPSHOT, ORDER_FINALIZE, ORDER_TRANSFER, TABLE_UPDATE and LEASE_RELEASE frames per second / burst; over it, ERROR RATE_LIMITED with retryAfterMs.' },
  HUB_RATE_GRANTS: { schema: rateSpec, default: '20/100', doc: 'Per terminal: LEASE_ACQUIRE and TABLE_LOCK_ACQUIRE/FORCE_ACQUIRE/RELEASE frames per second / burst.' },
  HUB_RATE_HEARTBEATS: { schema: rateSpec, default: '50/200', doc: 'Per terminal: HEARTBEAT, LEASE_HEARTBEAT and TABLE_LOCK_HEARTBEAT frames per second / burst.' },
  HUB_RATE_REQUESTS: { schema: rateSpec, default: '5/30', doc: 'Per terminal: TICKET_NUMBER_REQUEST and FLOOR_PLAN_UPDATE frames per second / burst.' },
  HUB_RATE_ABUSE_LIMIT: { schema: int(1, 1_000_000), default: '500', doc: 'Refused (rate-limited or capped) frames within 10 s after which the socket is closed with 4007.' },
  HUB_MAX_LEASES_PER_TERMINAL: { schema: int(1, 100_000), default: '64', doc: 'Live order leases one terminal may hold or be acquiring; more gets ERROR TOO_MANY_LEASES.' },
  HUB_MAX_LOCKS_PER_TERMINAL: { schema: int(1, 100_000), default: '32', doc: 'Live table locks one terminal may hold or be acquiring; more gets ERROR TOO_MANY_LOCKS.' },
  HUB_MAX_KEYS_PER_TERMINAL: { schema: int(1, 1_000_000), default: '500', doc: 'Distinct posReferences and tableIds one terminal may address per HUB_KEYS_WINDOW_MS; more gets ERROR TOO_MANY_KEYS.' },
  HUB_KEYS_WINDOW_MS: { schema: int(1000, 86_400_000), default: '60000', doc: 'Window of HUB_MAX_KEYS_PER_TERMINAL.' },
  HUB_MAX_UNAUTH_PER_ADDRESS: { schema: int(1, 100_000), default: '32', doc: 'Sockets one source address may hold before AUTH_OK; more are closed with 4007.' },
  HUB_RATE_AUTH_PER_ADDRESS: { schema: rateSpec, default: '2/20', doc: 'AUTH frames one source address may send per second / burst; more get ERROR RATE_LIMITED and close 4007.' },
  HUB_RATE_IDENTITY_PER_ADDRESS: { schema: rateSpec, default: '10/60', doc: 'GET /api/hub-identity proofs (one signature each) one source address may ask for per second / burst; more get HTTP 429 with Retry-After.' },
  HUB_AUTH_NEGATIVE_CACHE_MS: { schema: int(0, 3_600_000), default: '30000', doc: 'A token Odoo refused is refused from memory this long without asking Odoo again (0: off).' },
  HUB_RATE_AUTH_ODOO: { schema: rateSpec, default: '10/50', doc: 'Hub-wide token checks sent to Odoo per second / burst; beyond it AUTH_FAIL RATE_LIMITED.' },
  HUB_ACTOR_IDLE_MS: { schema: int(1000, 86_400_000), default: '60000', doc: 'A table actor with no lease, lock or open order is evicted from memory after this long unused (rebuilt from SQLite on demand).' },
  HUB_PRUNE_INTERVAL_MS: { schema: int(1000, 86_400_000), default: '60000', doc: 'Interval of the writer\'s pruning of closed orders and old events.' },
  HUB_CLOSED_ORDERS_RETAINED: { schema: int(0, 10_000_000), default: '20000', doc: 'Closed orders (finalized and confirmed by Odoo) kept in SQLite; older ones are deleted.' },
  HUB_ORDERS_MAX_BYTES: { schema: int(1024 * 1024, 64 * 1024 * 1024 * 1024), default: String(256 * 1024 * 1024), doc: 'Snapshot bytes of closed orders kept in SQLite; the oldest closed orders go first.' },
  HUB_EVENTS_MAX_BYTES: { schema: int(1024 * 1024, 64 * 1024 * 1024 * 1024), default: String(512 * 1024 * 1024), doc: 'Payload bytes of the event log; when over, the oldest events go even inside HUB_EVENT_RETENTION (never ones owed to Odoo).' },
} as const;

type Vars = typeof CONFIG_VARIABLES;
export type ConfigName = keyof Vars;
export type Config = Readonly<{ [K in ConfigName]: z.output<Vars[K]['schema']> }>;

export const CONFIG_EXIT_CODE = 78;

export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

/**
 * Parse the environment into a frozen Config. Throws a HubError CONFIG_INVALID whose message names
 * every bad variable and whose `details` lists them, so main.ts can print them and exit 78.
 */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const problems: ConfigProblem[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(CONFIG_VARIABLES)) {
    const raw = env[name];
    const value = raw === undefined || (raw.trim() === '' && spec.default !== '') ? spec.default : raw;
    const parsed = (spec.schema as z.ZodType).safeParse(value);
    if (parsed.success) out[name] = parsed.data;
    else problems.push({ variable: name, message: `${parsed.error.issues.map((i) => i.message).join(', ')} (got ${JSON.stringify(raw)})` });
  }
  if (problems.length === 0) {
    const password = String(out.ODOO_PASSWORD);
    if (out.HUB_DEV_AUTH !== true && (password === '' || password === 'admin')) {
      problems.push({ variable: 'ODOO_PASSWORD', message: 'must be set to the hub user\'s Odoo password (not empty, not "admin")' });
    }
    if (out.HUB_DEV_AUTH !== true && String(out.ODOO_USER) === '') {
      problems.push({ variable: 'ODOO_USER', message: 'must be set to the Odoo user the hub signs in as' });
    }
    problems.push(...devAuthProblems(out.HUB_DEV_AUTH === true, String(out.HUB_HOST), out.HUB_DEV_AUTH_ALLOW_REMOTE === true, env.NODE_ENV));
  }
  if (problems.length === 0) problems.push(...tlsProblems(out));
  if (typeof out.HUB_LEADER_STALE_MS === 'number' && typeof out.HUB_LEADER_HEARTBEAT_MS === 'number' && out.HUB_LEADER_STALE_MS < 3 * out.HUB_LEADER_HEARTBEAT_MS) {
    problems.push({ variable: 'HUB_LEADER_STALE_MS', message: `must be at least 3 × HUB_LEADER_HEARTBEAT_MS (${3 * out.HUB_LEADER_HEARTBEAT_MS}): one slow heartbeat must not look like a dead leader` });
  }
  if (out.HUB_STORE === 'postgres' && String(out.HUB_PG_URL) === '') {
    problems.push({ variable: 'HUB_PG_URL', message: 'must be set when HUB_STORE=postgres (postgres://user:password@hostA,hostB/db?target_session_attrs=read-write)' });
  }
  if (out.HUB_STORE === 'postgres' && String(out.HUB_PG_URL) !== '' && typeof out.HUB_PG_NODE === 'string') {
    const node = ownPgNode(String(out.HUB_PG_URL), out.HUB_PG_NODE);
    if (node.ok) out.HUB_PG_NODE = node.node;
    else problems.push({ variable: 'HUB_PG_NODE', message: node.message });
  }
  if (problems.length > 0) {
    const message = `invalid configuration: ${problems.map((p) => `${p.variable} ${p.message}`).join('; ')}`;
    throw new HubError('CONFIG_INVALID', message, { details: problems });
  }
  return Object.freeze(out) as Config;
}

/** The data hosts of a (multi-host) postgres:// URL as host:port (port 5432 when left out); [] when unreadable. */
export function pgUrlHosts(url: string): string[] {
  const list = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(url)?.[1];
  if (list === undefined) return [];
  return list.split(',').map((part) => (/:\d{1,5}$/.test(part) ? part : `${part}:5432`));
}

/**
 * HUB_PG_NODE: this hub's own data node, which must be one HUB_PG_URL names (the cluster view probes those
 * hosts and finds this one among them by name); empty means the URL's first host.
 */
function ownPgNode(url: string, node: string): { ok: true; node: string } | { ok: false; message: string } {
  const hosts = pgUrlHosts(url);
  if (node === '') {
    const first = hosts[0];
    return first === undefined ? { ok: false, message: 'HUB_PG_URL names no host to take as this hub\'s own node' } : { ok: true, node: first };
  }
  if (hosts.includes(node)) return { ok: true, node };
  return { ok: false, message: `must be one of the hosts of HUB_PG_URL (${hosts.join(', ')}), got ${JSON.stringify(node)}` };
}

/** TLS needs both files, a port of its own, and exists before HUB_TLS_ONLY can hide the plain port. */
function tlsProblems(out: Record<string, unknown>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const cert = String(out.HUB_TLS_CERT);
  const key = String(out.HUB_TLS_KEY);
  if (cert !== '' && key === '') problems.push({ variable: 'HUB_TLS_KEY', message: 'must be set when HUB_TLS_CERT is set' });
  if (key !== '' && cert === '') problems.push({ variable: 'HUB_TLS_CERT', message: 'must be set when HUB_TLS_KEY is set' });
  if (cert !== '' && out.HUB_TLS_PORT !== 0 && out.HUB_TLS_PORT === out.HUB_HTTP_PORT) {
    problems.push({ variable: 'HUB_TLS_PORT', message: `must differ from HUB_HTTP_PORT (${String(out.HUB_HTTP_PORT)})` });
  }
  if (out.HUB_TLS_ONLY === true && cert === '') problems.push({ variable: 'HUB_TLS_ONLY', message: 'needs HUB_TLS_CERT and HUB_TLS_KEY' });
  return problems;
}

/** Addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * Dev auth admits an empty token as a manager: on a LAN shared with guests that is an open door, so it
 * is refused off loopback (unless explicitly allowed) and always under NODE_ENV=production.
 */
function devAuthProblems(devAuth: boolean, host: string, allowRemote: boolean, nodeEnv: string | undefined): ConfigProblem[] {
  if (!devAuth) return [];
  const problems: ConfigProblem[] = [];
  if (!isLoopbackHost(host) && !allowRemote) {
    problems.push({
      variable: 'HUB_DEV_AUTH',
      message: `is true while HUB_HOST=${host} is not a loopback address: anyone on the network would sign in as manager (listen on 127.0.0.1, or set HUB_DEV_AUTH_ALLOW_REMOTE=true on purpose)`,
    });
  }
  if (nodeEnv === 'production') {
    problems.push({ variable: 'HUB_DEV_AUTH', message: 'is true while NODE_ENV=production: a production hub validates every token with Odoo' });
  }
  return problems;
}

/** The secrets never to log or show (the logger redacts them by these names). */
export const SECRET_VARIABLES: readonly ConfigName[] = ['ODOO_PASSWORD', 'HUB_ADMIN_TOKEN', 'ODOO_RPC_HEADERS', 'HUB_METRICS_TOKEN', 'HUB_PG_URL', 'HUB_PG_MONITOR_URL'];
