/**
 * The messages the writer sends a terminal on its own account, not as part of a commit: how the
 * forwarder's attempt at Odoo went for an order, and STORAGE_UNAVAILABLE for units the store refused.
 * Split from writer-core.ts as pure message building; the core decides when they go.
 */
import type { ForwardOutcome } from '#ports/forwarding.js';
import type { HubMessage } from '#protocol/hub-messages.js';
import { HubError } from '#protocol/errors.js';
import type { Outbound, Unit, UnitOrigin } from '#threads/actor-io.js';

/** The terminal's news of one forward attempt, or null when it has none (a retry it was already told of). */
export function outcomeMessage(o: ForwardOutcome): HubMessage | null {
  let msg: HubMessage | null = null;
  switch (o.kind) {
    case 'finalized':
      msg = {
        type: 'ORDER_FINALIZED',
        posReference: o.result.posReference,
        orderId: o.result.orderId,
        lineIdMap: { ...o.result.lineIdMap },
        ...(o.result.fiscal === undefined ? {} : { fiscal: o.result.fiscal }),
      };
      break;
    case 'retrying':
      if (o.event.attempts === 0)
        msg = { type: 'ORDER_FINALIZE_QUEUED', posReference: o.event.posReference, reason: o.error };
      break;
    case 'dead':
      msg = {
        type: 'ORDER_FINALIZE_ERROR',
        posReference: o.event.posReference,
        error: o.error,
        retryable: false,
        code: 'ODOO_REJECTED',
      };
      break;
    default: {
      const unreachable: never = o;
      throw new HubError('INTERNAL', `unknown forward outcome ${JSON.stringify(unreachable)}`);
    }
  }
  return msg;
}

/**
 * STORAGE_UNAVAILABLE to each unit's writer (once per request), with nothing applied — or, `inDoubt`, with
 * the commit's fate unknown: the retry's mutation id is answered from the store, never applied twice.
 */
export function refusals(units: readonly Unit[], reason: string, inDoubt = false): Outbound[] {
  const seen = new Set<string>();
  const out: Outbound[] = [];
  for (const unit of units) {
    const origin: UnitOrigin | undefined = unit.origin;
    if (origin === undefined) continue;
    const key = `${origin.terminalId}\u0000${JSON.stringify(origin.ref)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const msg = {
      type: 'ERROR',
      code: 'STORAGE_UNAVAILABLE',
      message: inDoubt
        ? `maybe stored: the hub lost its database while committing (${reason}); retry with the same mutation id`
        : `not stored, nothing applied: the hub's store refused the write (${reason}); retry`,
      retryable: true,
      ref: origin.ref,
    } as HubMessage;
    out.push({ to: 'terminal', terminalId: origin.terminalId, msg });
  }
  return out;
}
