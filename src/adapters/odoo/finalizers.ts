/**
 * The two ways a batch of finalized orders reaches Odoo, behind one interface the forwarder drives:
 * stock 12.0 `pos.order.create_from_ui` (look up → send only what Odoo lacks → read back) and the
 * reference addon's `hub_finalize_snapshot` (idempotent per pos_reference). Both report per-event
 * outcomes as a commit-order prefix of the batch and stop at the first retryable failure.
 */
import { HubError, toHubError } from '../../protocol/errors.js';
import type { FinalizeSuccess, PendingFinalize } from '../../ports/forwarding.js';
import type { Logger } from '../log/logger.js';
import type { OdooClient } from './client.js';
import { buildHubFinalizePayload, buildUiOrder } from '../../domain/odoo-order.js';
import type { OdooErrorDetails } from './rpc-errors.js';

export type EventOutcome =
  | { readonly kind: 'ok'; readonly event: PendingFinalize; readonly result: FinalizeSuccess }
  | { readonly kind: 'dead'; readonly event: PendingFinalize; readonly error: HubError };

export interface BatchReport {
  /** Outcomes for a commit-order prefix of the batch. */
  readonly outcomes: EventOutcome[];
  /** Set when the batch stopped on a retryable failure: events without an outcome are to be retried. */
  readonly retry: HubError | null;
}

export interface Finalizer {
  /**
   * `mayStillSend` is asked before each finalize call: once false (the leader's claim on the batch is
   * too old, docs/ha.md), the batch stops there as a retry and the next drain claims again.
   */
  finalize(events: readonly PendingFinalize[], mayStillSend?: () => boolean): Promise<BatchReport>;
}

/** The retry a batch stops with when its claim ran out before a finalize call (nothing was sent). */
function claimExpired(): HubError {
  return new HubError('INTERNAL', 'the forward claim is older than ODOO_TIMEOUT_MS: nothing more sent from this batch; it is claimed again', { retryable: true });
}

/** A refusal of *this order* (code 200 business error on the finalize call itself), not of the hub. */
function isOrderRejection(error: HubError, rpc: string): boolean {
  return error.code === 'ODOO_REJECTED' && (error.details as OdooErrorDetails | undefined)?.rpc === rpc;
}

function asRetry(error: unknown): HubError {
  const e = toHubError(error);
  // A rejection of a lookup or of the hub's own login is not the order's fault: retry, never dead-letter.
  return e.retryable ? e : new HubError(e.code, e.message, { retryable: true, details: e.details, cause: e });
}

interface OrderRow {
  id: number;
  pos_reference: string;
  state: string;
}

interface LineRow {
  id: number;
  order_id: [number, string] | number;
  product_id: [number, string] | number | false;
}

const m2oId = (v: [number, string] | number | false): number | false => (Array.isArray(v) ? v[0] : v);

/** Stock Odoo 12: exactly once by looking pos_reference up before every (re)send. */
export function createFromUiFinalizer(client: OdooClient, log: Logger): Finalizer {
  const RPC = 'pos.order.create_from_ui';

  const readOrders = async (refs: readonly string[]): Promise<Map<string, OrderRow>> => {
    const rows = await client.callKw<OrderRow[]>('pos.order', 'search_read', [[['pos_reference', 'in', refs]]], {
      fields: ['id', 'pos_reference', 'state', 'name'],
      order: 'id asc',
    });
    const byRef = new Map<string, OrderRow>();
    // Someone else may have created a duplicate (12.0 has no unique constraint): the oldest wins.
    for (const row of rows ?? []) if (!byRef.has(row.pos_reference)) byRef.set(row.pos_reference, row);
    return byRef;
  };

  /**
   * line uid → pos.order.line id. 12.0 creates an order's one2many lines in command order inside one
   * transaction, so its line ids ascend in our line order; the pairing is checked by product id and
   * abandoned (empty map, logged) on any mismatch rather than guessed.
   */
  const readLineMaps = async (orderIds: readonly number[], events: readonly PendingFinalize[], byRef: Map<string, OrderRow>) => {
    const maps = new Map<string, Record<string, number>>();
    if (orderIds.length === 0) return maps;
    const rows = await client.callKw<LineRow[]>('pos.order.line', 'search_read', [[['order_id', 'in', [...orderIds]]]], {
      fields: ['id', 'order_id', 'product_id'],
      order: 'id asc',
    });
    const byOrder = new Map<number, LineRow[]>();
    for (const row of rows ?? []) {
      const oid = m2oId(row.order_id);
      if (oid === false) continue;
      const list = byOrder.get(oid) ?? [];
      list.push(row);
      byOrder.set(oid, list);
    }
    for (const event of events) {
      const order = byRef.get(event.posReference);
      if (!order || maps.has(event.posReference)) continue;
      const lines = (byOrder.get(order.id) ?? []).sort((a, b) => a.id - b.id);
      const ours = event.snapshot.lines;
      const aligned = lines.length === ours.length && lines.every((l, i) => m2oId(l.product_id) === ours[i]?.productId);
      if (!aligned) {
        log.warn({ posReference: event.posReference, odooLines: lines.length, ourLines: ours.length }, 'odoo: order lines do not pair up; lineIdMap left empty');
        maps.set(event.posReference, {});
        continue;
      }
      maps.set(event.posReference, Object.fromEntries(ours.map((l, i) => [l.uid, lines[i]?.id ?? 0])));
    }
    return maps;
  };

  const processGroup = async (group: readonly PendingFinalize[], mayStillSend: () => boolean): Promise<BatchReport> => {
    const refs = [...new Set(group.map((e) => e.posReference))];
    let before: Map<string, OrderRow>;
    try {
      before = await readOrders(refs);
    } catch (error) {
      return { outcomes: [], retry: asRetry(error) };
    }
    // 12.0 dedupes against the database only, not within a batch: send each missing reference once.
    const toSend: PendingFinalize[] = [];
    const sending = new Set<string>();
    for (const e of group) {
      if (before.has(e.posReference) || sending.has(e.posReference)) continue;
      sending.add(e.posReference);
      toSend.push(e);
    }
    if (toSend.length > 0) {
      if (!mayStillSend()) return { outcomes: [], retry: claimExpired() };
      try {
        await client.callKw<number[]>('pos.order', 'create_from_ui', [toSend.map((e) => buildUiOrder(e.snapshot, e.posReference))]);
      } catch (raw) {
        const error = toHubError(raw);
        if (!isOrderRejection(error, RPC)) return { outcomes: [], retry: asRetry(error) };
        const [only] = group;
        if (group.length === 1 && only) return { outcomes: [{ kind: 'dead', event: only, error }], retry: null };
        // The whole batch was rolled back: bisect so only the poison order ends up dead.
        const mid = Math.ceil(group.length / 2);
        const left = await processGroup(group.slice(0, mid), mayStillSend);
        if (left.retry) return left;
        const right = await processGroup(group.slice(mid), mayStillSend);
        return { outcomes: [...left.outcomes, ...right.outcomes], retry: right.retry };
      }
    }
    let after: Map<string, OrderRow>;
    let lineMaps: Map<string, Record<string, number>>;
    try {
      after = await readOrders(refs);
      lineMaps = await readLineMaps([...after.values()].map((r) => r.id), group, after);
    } catch (error) {
      return { outcomes: [], retry: asRetry(error) };
    }
    const outcomes: EventOutcome[] = [];
    const reported = new Set<string>();
    for (const event of group) {
      const row = after.get(event.posReference);
      if (!row) {
        const missing = new HubError('ODOO_PROTOCOL', `Odoo accepted ${event.posReference} but search_read does not find it`, { retryable: true });
        return { outcomes, retry: missing };
      }
      if (row.state === 'draft') {
        log.warn({ posReference: event.posReference, orderId: row.id }, 'odoo: order created but left in draft (a post-create step failed in Odoo)');
      }
      const created = sending.has(event.posReference) && !reported.has(event.posReference);
      reported.add(event.posReference);
      outcomes.push({
        kind: 'ok',
        event,
        result: { posReference: event.posReference, orderId: row.id, lineIdMap: lineMaps.get(event.posReference) ?? {}, created },
      });
    }
    return { outcomes, retry: null };
  };

  return { finalize: (events, mayStillSend = () => true) => processGroup(events, mayStillSend) };
}

interface HubFinalizeAnswer {
  status?: unknown;
  pos_reference?: unknown;
  order_id?: unknown;
  created?: unknown;
  line_id_map?: unknown;
  fiscal?: unknown;
  message?: unknown;
}

/** The reference addon: one idempotent call per order, in commit order. */
export function hubFinalizeSnapshotFinalizer(client: OdooClient, model: string): Finalizer {
  const RPC = `${model}.hub_finalize_snapshot`;
  return {
    finalize: async (events, mayStillSend = () => true) => {
      const outcomes: EventOutcome[] = [];
      for (const event of events) {
        if (!mayStillSend()) return { outcomes, retry: claimExpired() };
        let answer: HubFinalizeAnswer | undefined;
        try {
          answer = await client.callKw<HubFinalizeAnswer>(model, 'hub_finalize_snapshot', [buildHubFinalizePayload(event)]);
        } catch (raw) {
          const error = toHubError(raw);
          if (isOrderRejection(error, RPC)) {
            outcomes.push({ kind: 'dead', event, error });
            continue;
          }
          return { outcomes, retry: asRetry(error) };
        }
        if (answer?.status !== 'ok') {
          const text = typeof answer?.message === 'string' ? answer.message : `status ${JSON.stringify(answer?.status)}`;
          outcomes.push({ kind: 'dead', event, error: new HubError('ODOO_REJECTED', `hub_finalize_snapshot refused ${event.posReference}: ${text}`, { details: { rpc: RPC } }) });
          continue;
        }
        const lineMap = answer.line_id_map;
        if (!Number.isInteger(answer.order_id) || answer.pos_reference !== event.posReference || typeof lineMap !== 'object' || lineMap === null) {
          return { outcomes, retry: new HubError('ODOO_PROTOCOL', `hub_finalize_snapshot answered an unexpected shape for ${event.posReference}`, { retryable: true }) };
        }
        const lineIdMap = Object.fromEntries(Object.entries(lineMap).filter((kv): kv is [string, number] => Number.isInteger(kv[1])));
        const result: FinalizeSuccess = {
          posReference: event.posReference,
          orderId: answer.order_id as number,
          lineIdMap,
          created: answer.created === true,
          ...(answer.fiscal === undefined || answer.fiscal === false ? {} : { fiscal: answer.fiscal }),
        };
        outcomes.push({ kind: 'ok', event, result });
      }
      return { outcomes, retry: null };
    },
  };
}
