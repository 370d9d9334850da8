/**
 * The TXT record of the hub's `_pos-hub._tcp` advert, built in one place. RFC 6763 §6.1 wants at least
 * one byte (an empty TXT confused avahi), and a terminal that discovers the hub should learn how to talk
 * to it without a first round trip: the WebSocket path, the protocol version and the encodings.
 * Keys stay short (RFC 6763 §6.4 suggests ≤ 9 characters) and values are plain ASCII.
 */
import { PROTOCOL_VERSION, type Encoding } from '../../protocol/constants.js';

export interface HubTxtInput {
  /** The terminals' WebSocket path on the advertised port. */
  readonly path: string;
  readonly encodings: readonly Encoding[];
}

/** `path=/`, `protocol=1`, `encodings=json,msgpack`. */
export function hubTxtRecord(input: HubTxtInput): Record<string, string> {
  return {
    path: input.path,
    protocol: String(PROTOCOL_VERSION),
    encodings: input.encodings.join(','),
  };
}

/** `role=leader|follower|standalone`, `epoch=N` (issue 18): a terminal prefers the leader with the highest epoch. */
export function clusterTxt(cluster: { readonly role: string; readonly epoch: number }): Record<string, string> {
  return { role: cluster.role, epoch: String(cluster.epoch) };
}
