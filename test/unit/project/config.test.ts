/**
 * Config is parsed once from the environment: defaults from the reference seed, every bad variable
 * named in one error, the admin/empty Odoo password refused outside dev auth, the result frozen.
 */
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, parseConfig, type ConfigName } from '../../../src/config.js';
import { HubError } from '../../../src/protocol/errors.js';

const dev = { HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1' };

function problemsOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(HubError);
    const hubError = error as HubError;
    expect(hubError.code).toBe('CONFIG_INVALID');
    return hubError.details as { variable: string; message: string }[];
  }
  throw new Error('parseConfig accepted the environment');
}

/** A value each variable must refuse. */
const badValues: Partial<Record<ConfigName, string>> = {
  HUB_HTTP_PORT: '70000',
  HUB_PORT: 'eighty',
  HUB_DB_SYNC: 'extra',
  HUB_LOG_LEVEL: 'loud',
  HUB_LOG_PRETTY: 'maybe',
  HUB_MDNS_ENABLED: 'sometimes',
  HUB_DEV_AUTH: 'perhaps',
  HUB_SHARDS: '0',
  HUB_LEASE_TTL_MS: '5s',
  HUB_GRACE_MS: '1.5',
  HUB_TABLE_LOCK_TTL_MS: '10',
  HUB_TABLE_LOCK_GRACE_MS: '-5',
  HUB_AUTH_TIMEOUT_MS: '0',
  HUB_AUTH_CACHE_HOURS: '1000',
  HUB_MAX_PAYLOAD: '12',
  HUB_FRAME_MAX_BYTES: '100',
  HUB_FRAME_MAX_DEPTH: '1000',
  HUB_FRAME_MAX_KEYS: '2',
  HUB_FRAME_MAX_ARRAY: 'many',
  HUB_FRAME_MAX_STRING: '-1',
  HUB_PASSTHROUGH_MAX_DEPTH: '0',
  HUB_PASSTHROUGH_MAX_BYTES: '1.5',
  HUB_PREAUTH_MAX_BYTES: '10',
  HUB_FLOOR_PLAN_MAX_BYTES: '12kb',
  HUB_ORDER_MAX_QTY: '0',
  HUB_ORDER_MAX_PRICE: '1e3',
  HUB_MAX_BACKPRESSURE: 'lots',
  HUB_EVENT_RETENTION: '5',
  HUB_COMMIT_WINDOW_MS: '1000',
  HUB_STATUS_INTERVAL_MS: '1',
  HUB_SEND_CHANGES_TO_KITCHEN: 'nah',
  HUB_FORWARD_INTERVAL_MS: '0',
  HUB_FORWARD_BATCH_SIZE: '0',
  ODOO_URL: 'ftp://odoo',
  ODOO_TIMEOUT_MS: 'soon',
  ODOO_IN_DOUBT_PAUSE_MS: '5',
  ODOO_RPC_HEADERS: 'no-colon-here',
  ODOO_FINALIZE_MODE: 'magic',
  HUB_TLS_PORT: '65536',
  HUB_TLS_ONLY: 'always',
  HUB_DEV_AUTH_ALLOW_REMOTE: 'sure',
  HUB_ALLOWED_ORIGINS: 'https://pos.example.com/path',
  HUB_ALLOWED_HOSTS: 'bad/host',
  HUB_AUTH_RECHECK_MS: '10',
  HUB_METRICS_REFRESH_MS: '60001',
  HUB_DEVICE_IDLE_RELEASE_HOURS: '-1',
  HUB_ADMIN_AUTH_FAILURES: '0',
  HUB_RATE_WRITES: '100',
  HUB_RATE_GRANTS: '0/10',
  HUB_RATE_HEARTBEATS: '5/x',
  HUB_RATE_REQUESTS: '5/0',
  HUB_RATE_ABUSE_LIMIT: '0',
  HUB_MAX_LEASES_PER_TERMINAL: '0',
  HUB_MAX_LOCKS_PER_TERMINAL: 'many',
  HUB_MAX_KEYS_PER_TERMINAL: '-1',
  HUB_KEYS_WINDOW_MS: '10',
  HUB_MAX_UNAUTH_PER_ADDRESS: '0',
  HUB_RATE_AUTH_PER_ADDRESS: '1.5/2',
  HUB_RATE_IDENTITY_PER_ADDRESS: '10/0',
  HUB_AUTH_NEGATIVE_CACHE_MS: '-1',
  HUB_RATE_AUTH_ODOO: '/',
  HUB_ACTOR_IDLE_MS: '5',
  HUB_PRUNE_INTERVAL_MS: '0',
  HUB_CLOSED_ORDERS_RETAINED: '-3',
  HUB_ORDERS_MAX_BYTES: '1000',
  HUB_EVENTS_MAX_BYTES: 'big',
  HUB_STORE: 'mysql',
  HUB_PG_URL: 'mysql://db/pos',
  HUB_PG_NODE: 'no port',
  HUB_FOLLOWER_TAIL_MS: '10',
  HUB_PG_LOCK_TIMEOUT_MS: '0',
  HUB_PG_MONITOR_URL: 'http://witness',
  HUB_LEADER_HEARTBEAT_MS: '10',
  HUB_LEADER_STALE_MS: 'soon',
  HUB_FAILOVER_REQUEST_INTERVAL_MS: '1000',
  HUB_ID: 'not an id',
};

describe('parseConfig', () => {
  it('applies the reference seed defaults', () => {
    const config = parseConfig(dev);
    expect(config).toMatchObject({
      HUB_HTTP_PORT: 8766,
      HUB_DB_PATH: './hub.sqlite',
      ODOO_URL: 'http://localhost:8069',
      ODOO_DB: 'pos',
      HUB_LEASE_TTL_MS: 60_000,
      HUB_GRACE_MS: 10_000,
      HUB_TABLE_LOCK_TTL_MS: 45_000,
      HUB_TABLE_LOCK_GRACE_MS: 10_000,
      HUB_FORWARD_INTERVAL_MS: 5000,
      HUB_FORWARD_BATCH_SIZE: 20,
      HUB_MDNS_ENABLED: true,
      HUB_LOG_LEVEL: 'info',
      HUB_DEV_AUTH: true,
      HUB_DB_SYNC: 'full',
    });
    expect(config.HUB_SHARDS).toBeGreaterThanOrEqual(1);
  });

  it('requires HUB_PG_URL with HUB_STORE=postgres and keeps SQLite the default', () => {
    expect(parseConfig(dev).HUB_STORE).toBe('sqlite');
    expect(problemsOf({ ...dev, HUB_STORE: 'postgres' }).map((p) => p.variable)).toEqual(['HUB_PG_URL']);
    const url = 'postgres://poshub:pw@hub-a:5432,hub-b:5432/poshub?target_session_attrs=read-write';
    expect(parseConfig({ ...dev, HUB_STORE: 'postgres', HUB_PG_URL: url }).HUB_PG_URL).toBe(url);
  });

  it('keeps the leader-staleness threshold at least three heartbeats, so one slow heartbeat is no dead leader', () => {
    expect(problemsOf({ ...dev, HUB_LEADER_HEARTBEAT_MS: '5000', HUB_LEADER_STALE_MS: '14999' })).toEqual([
      { variable: 'HUB_LEADER_STALE_MS', message: expect.stringContaining('3 × HUB_LEADER_HEARTBEAT_MS (15000)') },
    ]);
    expect(parseConfig({ ...dev, HUB_LEADER_HEARTBEAT_MS: '5000', HUB_LEADER_STALE_MS: '15000' }).HUB_LEADER_STALE_MS).toBe(15000);
  });

  it('takes HUB_PG_NODE from HUB_PG_URL: its first host by default, else one of its hosts', () => {
    const url = 'postgres://poshub:pw@hub-a,hub-b:5433/poshub?target_session_attrs=read-write';
    const pg = { ...dev, HUB_STORE: 'postgres', HUB_PG_URL: url };
    expect(parseConfig(pg).HUB_PG_NODE).toBe('hub-a:5432');
    expect(parseConfig({ ...pg, HUB_PG_NODE: 'hub-b:5433' }).HUB_PG_NODE).toBe('hub-b:5433');
    const problems = problemsOf({ ...pg, HUB_PG_NODE: 'hub-c:5432' });
    expect(problems).toEqual([{ variable: 'HUB_PG_NODE', message: expect.stringContaining('hub-a:5432, hub-b:5433') }]);
    // A SQLite hub has no data node: the variable is not looked at.
    expect(parseConfig(dev).HUB_PG_NODE).toBe('');
  });

  it('accepts a HUB_ID a terminal can dial, and nothing else', () => {
    expect(parseConfig({ ...dev, HUB_ID: 'hub-a.local:8766' }).HUB_ID).toBe('hub-a.local:8766');
    expect(parseConfig({ ...dev, HUB_ID: 'wss://hub-a.venue.lan:8767/' }).HUB_ID).toBe('wss://hub-a.venue.lan:8767/');
    expect(parseConfig(dev).HUB_ID).toBe('');
    for (const bad of ['hub-a', 'http://hub-a:8766/', 'hub a:1', `${'h'.repeat(130)}:1`])
      expect(problemsOf({ ...dev, HUB_ID: bad }).map((p) => p.variable)).toEqual(['HUB_ID']);
  });

  it('returns a frozen object', () => {
    const config = parseConfig(dev);
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { HUB_HTTP_PORT: number }).HUB_HTTP_PORT = 1;
    }).toThrow(TypeError);
  });

  it('has a bad value in this test for every non-string variable', () => {
    const freeText: ConfigName[] = ['HUB_HOST', 'HUB_DB_PATH', 'HUB_ADMIN_TOKEN', 'ODOO_DB', 'ODOO_USER', 'ODOO_PASSWORD', 'ODOO_FINALIZE_MODEL', 'HUB_METRICS_TOKEN', 'HUB_TLS_CERT', 'HUB_TLS_KEY', 'HUB_CATALOG_CACHE_PATH'];
    const untested = (Object.keys(CONFIG_VARIABLES) as ConfigName[]).filter((n) => !(n in badValues) && !freeText.includes(n));
    expect(untested).toEqual([]);
  });

  it.each(Object.entries(badValues))('names %s when it is invalid', (name, value) => {
    const problems = problemsOf({ ...dev, [name]: value });
    expect(problems.map((p) => p.variable)).toContain(name);
  });

  it('reports every invalid variable at once, each by name, in the message', () => {
    try {
      parseConfig({ ...badValues, HUB_DEV_AUTH: 'true' } as Record<string, string>);
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      for (const name of Object.keys(badValues).filter((n) => n !== 'HUB_DEV_AUTH')) expect(message).toContain(name);
    }
  });

  it('refuses the default admin password outside dev auth', () => {
    expect(problemsOf({})).toEqual([expect.objectContaining({ variable: 'ODOO_PASSWORD' })]);
    expect(problemsOf({ ODOO_PASSWORD: 'admin' })).toEqual([expect.objectContaining({ variable: 'ODOO_PASSWORD' })]);
  });

  it('refuses an empty password outside dev auth', () => {
    expect(problemsOf({ ODOO_PASSWORD: '' }).map((p) => p.variable)).toEqual(['ODOO_PASSWORD']);
  });

  it('accepts a real password, and admin under dev auth', () => {
    expect(parseConfig({ ODOO_PASSWORD: 's3cret-hub' }).ODOO_PASSWORD).toBe('s3cret-hub');
    expect(parseConfig({ ...dev, ODOO_PASSWORD: 'admin' }).ODOO_PASSWORD).toBe('admin');
  });

  it('parses booleans in their usual spellings', () => {
    expect(parseConfig({ ...dev, HUB_MDNS_ENABLED: 'FALSE' }).HUB_MDNS_ENABLED).toBe(false);
    expect(parseConfig({ ...dev, HUB_MDNS_ENABLED: '0' }).HUB_MDNS_ENABLED).toBe(false);
    expect(parseConfig({ ...dev, HUB_MDNS_ENABLED: 'yes' }).HUB_MDNS_ENABLED).toBe(true);
  });

  it('parses ODOO_RPC_HEADERS into lower-cased header names', () => {
    const config = parseConfig({ ...dev, ODOO_RPC_HEADERS: 'X-Api-Token: abc:def, X-Site: 2' });
    expect(config.ODOO_RPC_HEADERS).toEqual({ 'x-api-token': 'abc:def', 'x-site': '2' });
  });

  it('strips a trailing slash from ODOO_URL', () => {
    expect(parseConfig({ ...dev, ODOO_URL: 'http://odoo.lan:8069/' }).ODOO_URL).toBe('http://odoo.lan:8069');
  });

  // Issue 13, item 2: dev auth signs anyone in as manager, so only on loopback and never in production.
  describe('dev auth only on loopback', () => {
    it('refuses HUB_DEV_AUTH=true on a non-loopback HUB_HOST, naming both variables', () => {
      for (const host of ['0.0.0.0', '192.168.1.10', '::']) {
        const problems = problemsOf({ HUB_DEV_AUTH: 'true', HUB_HOST: host });
        expect(problems).toHaveLength(1);
        expect(problems[0]?.variable).toBe('HUB_DEV_AUTH');
        expect(problems[0]?.message).toContain(`HUB_HOST=${host}`);
      }
      // The default HUB_HOST is 0.0.0.0: dev auth alone is refused.
      expect(problemsOf({ HUB_DEV_AUTH: 'true' }).map((p) => p.variable)).toEqual(['HUB_DEV_AUTH']);
    });

    it('accepts loopback hosts, and a remote host only with HUB_DEV_AUTH_ALLOW_REMOTE', () => {
      for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) expect(parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: host }).HUB_DEV_AUTH).toBe(true);
      expect(parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '0.0.0.0', HUB_DEV_AUTH_ALLOW_REMOTE: 'true' }).HUB_HOST).toBe('0.0.0.0');
    });

    it('refuses HUB_DEV_AUTH=true under NODE_ENV=production, even on loopback', () => {
      const problems = problemsOf({ ...dev, NODE_ENV: 'production' });
      expect(problems.map((p) => p.variable)).toEqual(['HUB_DEV_AUTH']);
      expect(problems[0]?.message).toContain('NODE_ENV=production');
    });

    it('never suggests turning dev auth on in a config error', () => {
      const messages = [...problemsOf({}), ...problemsOf({ ODOO_USER: '', ODOO_PASSWORD: '' })].map((p) => p.message);
      for (const message of messages) expect(message).not.toMatch(/HUB_DEV_AUTH/);
    });
  });

  describe('trust-boundary variables', () => {
    it('parses origin and host lists, lower-cased', () => {
      const config = parseConfig({ ...dev, HUB_ALLOWED_ORIGINS: 'https://POS.example.com, http://10.0.0.5:8080', HUB_ALLOWED_HOSTS: 'Hub.Venue.lan pos-hub' });
      expect(config.HUB_ALLOWED_ORIGINS).toEqual(['https://pos.example.com', 'http://10.0.0.5:8080']);
      expect(config.HUB_ALLOWED_HOSTS).toEqual(['hub.venue.lan', 'pos-hub']);
    });

    it('re-checks open sockets at most every 60 s and keeps a short offline window by default', () => {
      const config = parseConfig(dev);
      expect(config.HUB_AUTH_RECHECK_MS).toBeLessThanOrEqual(60_000);
      expect(config.HUB_AUTH_CACHE_HOURS).toBeLessThan(12);
    });
  });
});
