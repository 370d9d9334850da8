/**
 * Finalization exactly once across a leader change (issue 18, docs/ha.md). Stock Odoo 12 dedupes
 * create_from_ui by pos_reference only against what is already committed, so an old leader's call still
 * running in Odoo and a new leader's send of the same order both create it. So a leader claims each batch
 * in a fenced commit before sending (a demoted or cut-off hub cannot), and a new term whose predecessor
 * claimed events still pending waits out any call that claim allowed before its look-up.
 */
import type { Config } from '#config';
import type { Clock } from '#ports/clock.js';
import type { ForwardClaim, PendingFinalize } from '#ports/forwarding.js';
import type { HubStorePort, StoreUnit } from '#ports/store.js';

/** The meta key of the latest claim: `{epoch, events, at}`. */
export const FORWARD_CLAIM_KEY = 'forward_claim';

interface StoredClaim {
  readonly epoch: number;
  readonly events: readonly number[];
}

/** The stored claim, or 'unreadable' (treated as in doubt: waiting is safe, sending twice is not). */
function parseClaim(raw: string | null): StoredClaim | null | 'unreadable' {
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as { epoch?: unknown; events?: unknown };
    if (!Number.isInteger(value.epoch) || !Array.isArray(value.events) || !value.events.every((id) => Number.isInteger(id))) return 'unreadable';
    return { epoch: value.epoch as number, events: value.events as number[] };
  } catch {
    return 'unreadable';
  }
}

/** How long a new term waits after its takeover when its predecessor's claim may have a call running. */
export function inDoubtWait(config: Pick<Config, 'ODOO_IN_DOUBT_PAUSE_MS' | 'ODOO_TIMEOUT_MS'>): number {
  return config.ODOO_IN_DOUBT_PAUSE_MS + 5 * config.ODOO_TIMEOUT_MS;
}

export interface ForwardClaimsDeps {
  readonly store: Pick<HubStorePort, 'meta'>;
  /** Commit on the writer's lane under its fence; rejects when fenced or refused. */
  readonly commit: (units: readonly StoreUnit[]) => Promise<void>;
  readonly clock: Clock;
  readonly config: Pick<Config, 'ODOO_IN_DOUBT_PAUSE_MS' | 'ODOO_TIMEOUT_MS'>;
  /** The term's epoch. */
  readonly epoch: number;
}

/**
 * The claims of one leadership term (one forwarder). A claim lets finalize calls start for ODOO_TIMEOUT_MS;
 * a call's login, its one resend after an expired session and its answer take at most four more timeouts,
 * and Odoo kills a request after limit_time_real (ODOO_IN_DOUBT_PAUSE_MS). The predecessor's claim
 * committed before this term's takeover (the fence's lock orders them), so from the term's start
 * IN_DOUBT_WAIT bounds every call it allowed.
 */
export function createForwardClaims(deps: ForwardClaimsDeps): (events: readonly PendingFinalize[], now: number) => Promise<ForwardClaim> {
  const { clock, config, epoch } = deps;
  const termStartedAt = clock.now();
  let waitUntil: number | null = null;
  return async (events, now) => {
    if (waitUntil === null) {
      // The first batch of a term is the head of the queue (the forwarder's first drain ignores backoffs).
      const prior = parseClaim(await deps.store.meta(FORWARD_CLAIM_KEY));
      const head = Math.min(...events.map((e) => e.eventId));
      const inDoubt = prior === 'unreadable' || (prior !== null && prior.epoch !== epoch && prior.events.some((id) => id >= head));
      waitUntil = inDoubt ? termStartedAt + inDoubtWait(config) : Number.NEGATIVE_INFINITY;
    }
    if (now < waitUntil) {
      return { kind: 'wait', until: waitUntil, why: 'a previous leader claimed these orders; its Odoo call may still be running' };
    }
    const value = JSON.stringify({ epoch, events: events.map((e) => e.eventId), at: now });
    await deps.commit([{ ops: [{ op: 'meta_put', key: FORWARD_CLAIM_KEY, value }] }]);
    return { kind: 'granted', sendBy: now + config.ODOO_TIMEOUT_MS };
  };
}
