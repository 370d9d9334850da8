/**
 * Token revocation: every HUB_AUTH_RECHECK_MS each open terminal's token is asked about again (one question
 * per token). A session Odoo calls dead closes its sockets with 4001; Odoo unreachable keeps them (the LAN
 * keeps working offline). Each round also records the connected devices as in use (docs/security.md).
 */
import type { Logger } from '../adapters/log/logger.js';
import type { AuthResult, TokenValidator } from '../ports/auth.js';
import type { Clock, TimerHandle } from '../ports/clock.js';
import { CLOSE_CODES } from '../protocol/close-codes.js';
import { toHubError } from '../protocol/errors.js';
import type { DeviceClaims } from './device-claims.js';
import type { FanOut } from './fan-out.js';
import { signedIn, type TerminalConn, type TerminalRegistry } from './terminal-registry.js';

export interface RevalidationDeps {
  readonly registry: TerminalRegistry;
  readonly fanOut: FanOut;
  readonly claims: DeviceClaims;
  readonly tokenValidator: TokenValidator;
  readonly clock: Clock;
  readonly log: Logger;
  /** HUB_AUTH_RECHECK_MS. */
  readonly intervalMs: number;
  /** False once the hub stops accepting: no further round is scheduled. */
  readonly accepting: () => boolean;
}

export class Revalidation {
  private timer: TimerHandle | null = null;

  constructor(private readonly deps: RevalidationDeps) {}

  start(): void {
    this.stop();
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      void this.revalidateAll().finally(() => {
        if (this.deps.accepting()) this.start();
      });
    }, this.deps.intervalMs);
  }

  stop(): void {
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  async revalidateAll(): Promise<void> {
    const byToken = new Map<string, TerminalConn[]>();
    const inUse: Array<{ deviceId: string; owner: string }> = [];
    for (const [deviceId, conn] of this.deps.registry.byTerminal) {
      if (!signedIn(conn)) continue;
      if (conn.state.owner !== null) inUse.push({ deviceId, owner: conn.state.owner });
      const list = byToken.get(conn.state.token) ?? [];
      list.push(conn);
      byToken.set(conn.state.token, list);
    }
    // A device connected for longer than HUB_DEVICE_IDLE_RELEASE_HOURS is in use, not idle.
    this.deps.claims.seen(inUse);
    const validator = this.deps.tokenValidator;
    await Promise.all(
      [...byToken].map(async ([token, conns]) => {
        const first = conns[0];
        if (first === undefined) return;
        let result: AuthResult;
        try {
          result = await (validator.revalidate ?? validator.validate).call(
            validator,
            token,
            first.state.terminalId ?? '',
          );
        } catch (error) {
          this.deps.log.warn({ err: toHubError(error) }, 'token re-check threw; keeping the sockets');
          return;
        }
        if (result.ok || result.code !== 'AUTH_FAILED') return;
        for (const conn of conns) {
          if (conn.closed || conn.state.token !== token) continue;
          this.deps.log.info({ terminalId: conn.state.terminalId }, 'session revoked in Odoo; closing the terminal');
          this.deps.fanOut.sendTo(conn, { type: 'AUTH_FAIL', reason: result.reason, code: result.code });
          conn.end(CLOSE_CODES.AUTH_FAILED.code, 'session revoked');
        }
      }),
    );
  }
}
