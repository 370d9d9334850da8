/**
 * A terminal's way in: AUTH checked by the token validator and the device binding, then AUTH_OK, the
 * shards told it is connected, and its sync (SYNC_INIT, or SYNC_RESUME from `lastSeq`) from the writer.
 * A newer socket for the same device replaces the older one (4004).
 */
import type { Logger } from '../adapters/log/logger.js';
import { ownerOf, type TerminalIdentity, type TokenValidator } from '../ports/auth.js';
import type { Clock } from '../ports/clock.js';
import type { HubIdentityView } from '../ports/cluster.js';
import type { HubMetrics } from '../ports/metrics.js';
import { CLOSE_CODES } from '../protocol/close-codes.js';
import { PROTOCOL_VERSION } from '../protocol/constants.js';
import { toHubError } from '../protocol/errors.js';
import type { HubMessageOf } from '../protocol/hub-messages.js';
import type { Caller } from '../threads/rpc.js';
import type { DeviceClaims } from './device-claims.js';
import type { FanOut } from './fan-out.js';
import type { Session } from './session.js';
import { SharedSyncInit, type Frame } from './shared-sync-init.js';
import { markReady, type TerminalConn, type TerminalRegistry } from './terminal-registry.js';
import type { FrontToShard, FrontToWriter, SyncResult } from '../threads/contract.js';

/** Records named in one RECORDS_QUARANTINED; `count` still says how many there are. */
const MAX_QUARANTINE_REPORT = 100;

export interface SignInDeps {
  readonly registry: TerminalRegistry;
  readonly fanOut: FanOut;
  readonly claims: DeviceClaims;
  readonly tokenValidator: TokenValidator;
  readonly shards: readonly Caller<FrontToShard>[];
  readonly writer: Caller<FrontToWriter>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: HubMetrics;
  /** False while the hub resets or shuts down: nobody is admitted. */
  readonly accepting: () => boolean;
  /** The last committed seq, sent in AUTH_OK. */
  readonly seq: () => number;
  /** The socket signed in: it leaves its address's unauthenticated share. */
  readonly settled: (session: Session) => void;
  readonly onChange: () => void;
  /** `hub: {id, role, epoch}` for AUTH_OK (issue 18); absent, AUTH_OK has no `hub`. */
  readonly hub?: () => HubIdentityView;
}

export class SignIn {
  /** The newest SYNC_INIT and its bytes, shared by every terminal that syncs while it is current. */
  private readonly syncInit = new SharedSyncInit();

  constructor(private readonly deps: SignInDeps) {}

  authenticate(conn: TerminalConn, token: string, deviceId: string, lastSeq: number | undefined): void {
    const session = conn.state;
    session.phase = 'authenticating';
    this.deps.tokenValidator
      .validate(token, deviceId)
      .then(async (result) => {
        if (session.phase !== 'authenticating' || !result.ok) return result;
        // The device id is bound to its first user: another user is refused and never displaces it.
        const claim = await this.deps.claims.claim(deviceId, ownerOf(result.identity));
        return claim.ok ? result : claim;
      })
      .then(
        (result) => {
          if (session.phase !== 'authenticating') return;
          if (!result.ok) {
            this.deps.fanOut.sendTo(conn, { type: 'AUTH_FAIL', reason: result.reason, code: result.code });
            session.phase = 'closed';
            conn.end(CLOSE_CODES.AUTH_FAILED.code, 'auth failed');
            return;
          }
          this.admit(conn, token, deviceId, lastSeq, result.identity);
        },
        (error: unknown) => {
          this.deps.log.error({ err: toHubError(error) }, 'token validator or device claim threw');
          this.deps.fanOut.sendTo(conn, {
            type: 'AUTH_FAIL',
            reason: 'token validation failed',
            code: 'AUTH_UNAVAILABLE',
          });
          conn.end(CLOSE_CODES.AUTH_FAILED.code, 'auth failed');
        },
      );
  }

  /** AUTH refused because the hub stopped accepting (shutdown, reset): the SDK retries SHUTTING_DOWN after a backoff. */
  refuseShuttingDown(conn: TerminalConn): void {
    this.deps.fanOut.sendTo(conn, {
      type: 'AUTH_FAIL',
      reason: 'the hub is not admitting terminals (shutting down or resetting); retry shortly',
      code: 'SHUTTING_DOWN',
    });
    conn.state.phase = 'closed';
    conn.end(CLOSE_CODES.GOING_AWAY.code, 'hub is shutting down');
  }

  private admit(
    conn: TerminalConn,
    token: string,
    deviceId: string,
    lastSeq: number | undefined,
    identity: TerminalIdentity,
  ): void {
    const session = conn.state;
    if (!this.deps.accepting()) {
      this.refuseShuttingDown(conn);
      return;
    }
    const { registry, clock } = this.deps;
    if (session.authTimer !== null) clock.clearTimeout(session.authTimer);
    session.authTimer = null;
    const terminalId = deviceId;
    const previous = registry.byTerminal.get(terminalId);
    session.terminalId = terminalId;
    session.role = identity.role;
    session.userName = identity.name;
    session.token = token;
    session.owner = ownerOf(identity);
    session.odooUserId = identity.dev === true ? null : identity.userId;
    session.phase = 'syncing';
    this.deps.settled(session);
    registry.byTerminal.set(terminalId, conn);
    if (previous && previous !== conn) {
      previous.state.phase = 'closed';
      previous.end(CLOSE_CODES.REPLACED.code, 'replaced by a newer connection');
      registry.conns.delete(previous);
    }
    this.deps.fanOut.sendTo(conn, {
      type: 'AUTH_OK',
      terminalId,
      role: identity.role,
      encoding: session.encoding,
      seq: this.deps.seq(),
      serverTime: clock.now(),
      protocolVersion: PROTOCOL_VERSION,
      ...(this.deps.hub ? { hub: this.deps.hub() } : {}),
    });
    for (const shard of this.deps.shards) shard.emit('connected', { terminalId });
    this.deps.metrics.connectedTerminals(registry.readyCount);
    this.deps.onChange();
    this.requestSync(conn, terminalId, lastSeq, true);
  }

  /** Ask the writer for this terminal's sync; `shared`: a SYNC_INIT the front already holds may be named, not sent. */
  private requestSync(conn: TerminalConn, terminalId: string, lastSeq: number | undefined, shared: boolean): void {
    this.deps.writer.request('sync', { terminalId, shared, ...(lastSeq === undefined ? {} : { lastSeq }) }).then(
      (sync) => this.finishSync(conn, sync),
      (error: unknown) => {
        this.deps.log.error({ err: toHubError(error), terminalId }, 'sync failed');
        conn.end(CLOSE_CODES.INTERNAL.code, 'sync failed');
      },
    );
  }

  private finishSync(conn: TerminalConn, sync: SyncResult): void {
    // Held even when this terminal has gone: the writer sends each version's content to the front once.
    if (sync.mode === 'init') this.syncInit.hold(sync.version, syncInitOf(sync));
    if (conn.state.phase !== 'syncing') return;
    const { fanOut, metrics } = this.deps;
    switch (sync.mode) {
      case 'init':
      case 'init_same': {
        const encode = (msg: HubMessageOf<'SYNC_INIT'>): Frame => fanOut.encodeFor(conn, msg);
        const shared = this.syncInit.frame(sync.version, conn.state.encoding, encode);
        // An answer overtaken by a newer one is still this terminal's consistent view: sent as it is.
        const frame = shared === undefined && sync.mode === 'init' ? encode(syncInitOf(sync)) : shared;
        if (frame === undefined) {
          // Named but not held (not expected over one ordered channel): ask for the content itself.
          this.requestSync(conn, conn.state.terminalId ?? '', undefined, false);
          return;
        }
        if (frame === null) {
          conn.end(CLOSE_CODES.INTERNAL.code, 'sync failed');
          return;
        }
        fanOut.sendEncoded(conn, frame, 'SYNC_INIT');
        metrics.resync('full');
        break;
      }
      case 'resume':
        fanOut.sendTo(conn, {
          type: 'SYNC_RESUME',
          fromSeq: sync.fromSeq,
          toSeq: sync.toSeq,
          count: sync.events.length,
        });
        for (const event of sync.events) fanOut.sendTo(conn, event);
        metrics.resync('resume');
        break;
      default: {
        const unreachable: never = sync;
        throw new Error(`unknown sync ${JSON.stringify(unreachable)}`);
      }
    }
    if (conn.state.phase === 'syncing') markReady(conn);
    // Managers hear about records the hub left out, so someone looks at them (README "Security").
    if (conn.state.role === 'manager' && sync.quarantined.length > 0) {
      fanOut.sendTo(conn, {
        type: 'RECORDS_QUARANTINED',
        count: sync.quarantined.length,
        records: sync.quarantined.slice(0, MAX_QUARANTINE_REPORT).map((r) => ({ ...r })),
      });
    }
  }
}

function syncInitOf(sync: Extract<SyncResult, { mode: 'init' }>): HubMessageOf<'SYNC_INIT'> {
  return { type: 'SYNC_INIT', orders: sync.orders, tables: sync.tables, floorPlans: sync.floorPlans, seq: sync.seq };
}
