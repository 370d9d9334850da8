/**
 * The individual `pos-hub doctor` checks. Each returns PASS, WARN or FAIL with one line of detail and
 * never throws: a doctor that crashes on the problem it should report is no help on a Pi over SSH.
 */
import { existsSync, statfsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { CONFIG_VARIABLES, parseConfig, type Config, type ConfigProblem } from '../config.js';
import { localHostName } from '../adapters/mdns/advertiser.js';
import { findAdvert, probeMdns } from '../adapters/mdns/probe.js';
import { classifyStartupError, preflightDatabase } from '../adapters/sqlite/storage-fault.js';
import { DATABASE_FAULT_EXIT, EXIT_CODES } from '../exit-codes.js';
import { HubError } from '../protocol/errors.js';

export type CheckStatus = 'PASS' | 'WARN' | 'FAIL';

export interface CheckResult {
  readonly status: CheckStatus;
  readonly name: string;
  readonly detail: string;
}

const result = (status: CheckStatus, name: string, detail: string): CheckResult => ({ status, name, detail });

function messageOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code)
    return cause.message?.includes(cause.code)
      ? cause.message
      : `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  if (cause?.message) return cause.message;
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time (ODOO_TIMEOUT_MS)';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Parses the config; when it is invalid, every problem is a FAIL line and the other checks still run
 * on a lenient config (bad variables back to their defaults), so one typo does not hide the rest.
 */
export function checkConfig(env: Readonly<Record<string, string | undefined>>): {
  results: CheckResult[];
  config: Config;
} {
  try {
    return {
      results: [result('PASS', 'config', `valid (${Object.keys(CONFIG_VARIABLES).length} variables)`)],
      config: parseConfig(env),
    };
  } catch (error) {
    // HUB_DEV_AUTH only relaxes the password checks here, so the rest of the config can be checked.
    const relaxed = { HUB_DEV_AUTH: 'true', HUB_DEV_AUTH_ALLOW_REMOTE: 'true', NODE_ENV: undefined };
    if (!(error instanceof HubError) || error.code !== 'CONFIG_INVALID') {
      return { results: [result('FAIL', 'config', messageOf(error))], config: parseConfig(relaxed) };
    }
    const problems = (error.details as ConfigProblem[] | undefined) ?? [];
    const lenient: Record<string, string | undefined> = { ...env };
    for (const problem of problems) {
      if (problem.variable !== 'ODOO_PASSWORD' && problem.variable !== 'ODOO_USER') delete lenient[problem.variable];
    }
    let config: Config;
    try {
      config = parseConfig({ ...lenient, ...relaxed });
    } catch {
      config = parseConfig(relaxed);
    }
    return { results: problems.map((p) => result('FAIL', 'config', `${p.variable} ${p.message}`)), config };
  }
}

interface RpcAnswer {
  readonly result?: unknown;
  readonly error?: { readonly message?: string; readonly data?: { readonly name?: string; readonly message?: string } };
}

async function odooCall(config: Config, path: string, params: object): Promise<RpcAnswer> {
  const response = await fetch(`${config.ODOO_URL}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...config.ODOO_RPC_HEADERS },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params, id: 1 }),
    signal: AbortSignal.timeout(config.ODOO_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${path}`);
  const body = (await response.json().catch(() => null)) as RpcAnswer | null;
  if (body === null || typeof body !== 'object' || !('result' in body || 'error' in body)) {
    throw new Error(`${path} did not answer JSON-RPC (is ODOO_URL an Odoo server?)`);
  }
  return body;
}

function rpcError(answer: RpcAnswer): string {
  const data = answer.error?.data;
  return [data?.name, data?.message ?? answer.error?.message].filter(Boolean).join(': ') || 'unknown error';
}

/** Odoo reachable (version_info needs no session) and, if so, the hub's own login. */
export async function checkOdoo(config: Config): Promise<CheckResult[]> {
  let version: RpcAnswer;
  try {
    version = await odooCall(config, '/web/webclient/version_info', {});
  } catch (error) {
    return [
      result('FAIL', 'odoo', `${config.ODOO_URL} unreachable: ${messageOf(error)}`),
      result('FAIL', 'odoo login', 'not tried: Odoo is unreachable'),
    ];
  }
  const serie = (version.result as { server_serie?: unknown; server_version?: unknown } | undefined)?.server_serie;
  const server = (version.result as { server_version?: unknown } | undefined)?.server_version;
  const reach =
    version.error !== undefined
      ? result('FAIL', 'odoo', `version_info failed: ${rpcError(version)}`)
      : serie === '12.0'
        ? result('PASS', 'odoo', `${config.ODOO_URL} answers (Odoo ${String(server)})`)
        : result(
            'WARN',
            'odoo',
            `${config.ODOO_URL} answers, but Odoo ${String(server ?? serie)} is not the 12.0 the hub speaks`,
          );
  try {
    const login = await odooCall(config, '/web/session/authenticate', {
      db: config.ODOO_DB,
      login: config.ODOO_USER,
      password: config.ODOO_PASSWORD,
    });
    const uid = (login.result as { uid?: unknown } | undefined)?.uid;
    if (login.error !== undefined)
      return [reach, result('FAIL', 'odoo login', `${config.ODOO_USER}@${config.ODOO_DB} refused: ${rpcError(login)}`)];
    if (typeof uid !== 'number')
      return [
        reach,
        result('FAIL', 'odoo login', `${config.ODOO_USER}@${config.ODOO_DB} refused (no uid in the answer)`),
      ];
    return [reach, result('PASS', 'odoo login', `signed in as ${config.ODOO_USER} on ${config.ODOO_DB} (uid ${uid})`)];
  } catch (error) {
    return [reach, result('FAIL', 'odoo login', messageOf(error))];
  }
}

/**
 * PRAGMA quick_check on a read-only handle: safe while the hub runs (WAL readers do not block it). A fault
 * is named as the hub would name it at start-up, with the exit code the hub would stop with.
 */
export async function checkSqlite(dbPath: string): Promise<CheckResult> {
  if (!existsSync(dbPath)) {
    return existsSync(dirname(dbPath))
      ? result('PASS', 'sqlite', `${dbPath} does not exist yet; the hub creates it`)
      : result('WARN', 'sqlite', `${dbPath} does not exist and neither does ${dirname(dbPath)}`);
  }
  try {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      const rows = db.pragma('quick_check') as { quick_check: string }[];
      const mode = db.pragma('journal_mode', { simple: true }) as string;
      const verdict = rows.map((r) => r.quick_check);
      return verdict.length === 1 && verdict[0] === 'ok'
        ? result('PASS', 'sqlite', `${dbPath} integrity ok (journal ${mode})`)
        : result('FAIL', 'sqlite', `${dbPath} integrity check: ${verdict.slice(0, 3).join('; ')}`);
    } finally {
      db.close();
    }
  } catch (error) {
    const fault = preflightDatabase(dbPath) ?? classifyStartupError(dbPath, error);
    if (fault === null) return result('FAIL', 'sqlite', `${dbPath}: ${messageOf(error)}`);
    const exit = DATABASE_FAULT_EXIT[fault.fault];
    return result('FAIL', 'sqlite', `${fault.line}; the hub would exit ${EXIT_CODES[exit].code} (${exit})`);
  }
}

/** Below this the hub will soon refuse writes (STORAGE_UNAVAILABLE); below the warning, act this week. */
const DISK_FAIL_BYTES = 16 * 1024 * 1024;
const DISK_WARN_BYTES = 256 * 1024 * 1024;

/** Free space on the file system that holds the database (where a full disk stops the writes). */
export function checkDiskSpace(dbPath: string): CheckResult {
  const dir = existsSync(dbPath) ? dirname(dbPath) : existsSync(dirname(dbPath)) ? dirname(dbPath) : null;
  if (dir === null) return result('WARN', 'disk', `${dirname(dbPath)} does not exist; free space unknown`);
  try {
    const fs = statfsSync(dir);
    const free = fs.bavail * fs.bsize;
    const total = fs.blocks * fs.bsize;
    const mib = (n: number): string => `${Math.floor(n / (1024 * 1024))} MiB`;
    const detail = `${mib(free)} free of ${mib(total)} on the file system of ${dir}`;
    if (free < DISK_FAIL_BYTES) return result('FAIL', 'disk', `${detail}: writes will be refused (STORAGE_UNAVAILABLE) — free space now`);
    if (free < DISK_WARN_BYTES) return result('WARN', 'disk', `${detail}: low`);
    return result('PASS', 'disk', detail);
  } catch (error) {
    return result('WARN', 'disk', `cannot read free space of ${dir}: ${messageOf(error)}`);
  }
}

/** Loads uWS through its adapter (the only module that imports it) and reports native or fallback. */
export async function checkUws(): Promise<CheckResult> {
  try {
    const { isNativeUws } = await import('../adapters/uws/server.js');
    const { SUPPORTED_NODE } = await import('../adapters/uws/runtime.js');
    return isNativeUws()
      ? result(
          'PASS',
          'uws',
          `native binary loaded (${process.platform}-${process.arch}, Node ABI ${process.versions.modules})`,
        )
      : result(
          'FAIL',
          'uws',
          `no native binary for ${process.platform}-${process.arch} ABI ${process.versions.modules} (or UWS_USE_FALLBACK is set): the hub refuses to start (exit 79); it runs on ${SUPPORTED_NODE}`,
        );
  } catch (error) {
    return result('FAIL', 'uws', `uWebSockets.js does not load: ${messageOf(error)}`);
  }
}

function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/** The port is free — or held by a pos-hub that answers /health, which is just as fine. */
export async function checkPort(config: Config): Promise<CheckResult> {
  const { HUB_HOST: host, HUB_HTTP_PORT: port } = config;
  if (port === 0) return result('PASS', 'port', 'HUB_HTTP_PORT=0: an ephemeral port is chosen at start');
  const error = await tryListen(host, port);
  if (error === null) return result('PASS', 'port', `${host}:${port} is free`);
  if (error.code === 'EADDRINUSE') {
    try {
      const health = (await (
        await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
      ).json()) as Record<string, unknown>;
      if (typeof health.connectedTerminals === 'number')
        return result('PASS', 'port', `${port} is in use by a running pos-hub (status ${String(health.status)})`);
    } catch {
      // Not a hub: fall through to the failure below.
    }
    return result('FAIL', 'port', `${host}:${port} is in use by another program`);
  }
  return result('FAIL', 'port', `cannot listen on ${host}:${port}: ${error.code ?? error.message}`);
}

/** How long doctor browses for the hub's own advert; a resolver on the same host answers in milliseconds. */
const MDNS_BROWSE_MS = 3000;

async function hubAnswers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
    const health = (await response.json()) as Record<string, unknown>;
    return typeof health.connectedTerminals === 'number';
  } catch {
    return false;
  }
}

/**
 * Joins the group, then browses for the hub's own `_pos-hub._tcp` advert (this host's `.local` name and
 * HUB_HTTP_PORT) as a terminal would: joining proves little if the advert cannot be resolved.
 */
export async function checkMdns(config: Config): Promise<CheckResult> {
  if (!config.HUB_MDNS_ENABLED)
    return result('PASS', 'mdns', 'disabled (HUB_MDNS_ENABLED=false); terminals need the hub URL set');
  const probe = await probeMdns();
  if (!probe.ok)
    return result(
      'WARN',
      'mdns',
      `not available (${probe.reason}); the hub runs without it, terminals need the hub URL set`,
    );
  const host = localHostName();
  const port = config.HUB_HTTP_PORT;
  const advert = await findAdvert({
    type: 'pos-hub',
    timeoutMs: MDNS_BROWSE_MS,
    matches: (a) => a.port === port && a.host.replace(/\.$/, '').toLowerCase() === host.toLowerCase(),
  });
  if (advert !== null) {
    const txt = Object.entries(advert.txt)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return result(
      'PASS',
      'mdns',
      `the hub's advert resolves: "${advert.name}" at ${advert.host}:${advert.port} (${advert.addresses.join(', ') || 'no address'}), TXT ${txt || '(empty)'}`,
    );
  }
  if (await hubAnswers(port))
    return result(
      'WARN',
      'mdns',
      `the hub runs on port ${port} but its _pos-hub._tcp advert for ${host} was not seen within ${MDNS_BROWSE_MS / 1000} s; terminals need the hub URL set (is multicast blocked?)`,
    );
  return result(
    'PASS',
    'mdns',
    `can join 224.0.0.251:5353; no hub is running to advertise yet (run doctor again once it runs to see its advert)`,
  );
}
