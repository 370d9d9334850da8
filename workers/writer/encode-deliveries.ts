/**
 * The writer's committed broadcasts, encoded once here rather than on the front (issue 16): the front
 * publishes the JSON text unchanged, and a string crosses the thread boundary for less than the snapshot's
 * object graph costs both sides to clone. Called by the thread's glue just before a `deliver` is posted, so
 * the writer core and its tests keep the plain `Delivery` form.
 */
import type { HubMessage } from '#protocol/hub-messages.js';
import type { Outbound } from '#threads/actor-io.js';
import type { DeliveredOut, FrontDelivery, FrontNotice, WriterNotice } from '#threads/contract.js';

/**
 * Messages whose JSON text the writer already holds: a stamped broadcast whose text the store wrote as its
 * event payload (the same message with the same seq), so it is not stringified a second time.
 */
export type EncodedMessages = ReadonlyMap<HubMessage, string>;

/** A broadcast as its JSON text; one that cannot be stringified stays as it was (the front logs and counts it). */
function encodeOne(out: Outbound, encoded: EncodedMessages | undefined): DeliveredOut {
  if (out.to === 'terminal') return out;
  let json = encoded?.get(out.msg);
  if (json === undefined) {
    try {
      json = JSON.stringify(out.msg);
    } catch {
      return out;
    }
  }
  return { to: 'broadcast', except: out.to === 'others' ? out.except : null, type: out.msg.type, json };
}

/** The notice as it crosses to the front: a `deliver`'s broadcasts encoded, every other notice as it is. */
export function encodeDeliveries(notice: WriterNotice, encoded?: EncodedMessages): FrontNotice {
  if (notice.type !== 'deliver') return notice;
  const deliveries: FrontDelivery[] = notice.input.deliveries.map((d) => ({ ...d, out: d.out.map((o) => encodeOne(o, encoded)) }));
  return { type: 'deliver', input: { deliveries, stats: notice.input.stats } };
}
