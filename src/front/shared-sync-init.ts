/**
 * The SYNC_INIT a reconnect storm shares. The writer names each SYNC_INIT's content with a version (the same
 * until SQLite changes or a lease shown as held expires); the front keeps the newest one and its bytes,
 * encoded at most once per encoding, and tells the writer which version it holds, so a terminal asking for
 * the same content gets these bytes without the orders crossing the thread or being encoded again.
 */
import type { Encoding } from '../protocol/constants.js';
import type { HubMessageOf } from '../protocol/hub-messages.js';

/** An encoded frame, or null when the message could not be encoded (logged once by the encoder). */
export type Frame = string | Uint8Array | null;

const utf8 = new TextEncoder();

export class SharedSyncInit {
  private held: { version: number; msg: HubMessageOf<'SYNC_INIT'>; frames: Map<Encoding, Frame> } | null = null;

  /** The version held, for the writer's `have`; undefined before the first SYNC_INIT. */
  get version(): number | undefined {
    return this.held?.version;
  }

  /** Keep `msg` as `version` unless a newer one is held already (an answer overtaken by a later one). */
  hold(version: number, msg: HubMessageOf<'SYNC_INIT'>): void {
    if (this.held !== null && this.held.version >= version) return;
    this.held = { version, msg, frames: new Map() };
  }

  /**
   * The frame of `version` in `encoding`, encoded by `encode` on its first use; undefined when another
   * version is held (the caller asks the writer for the content again).
   */
  frame(version: number, encoding: Encoding, encode: (msg: HubMessageOf<'SYNC_INIT'>) => Frame): Frame | undefined {
    const held = this.held;
    if (held === null || held.version !== version) return undefined;
    let frame = held.frames.get(encoding);
    if (frame === undefined) {
      const encoded = encode(held.msg);
      // Text frames kept as UTF-8 bytes: uWS copies bytes as they are, a string it would convert per socket.
      frame = typeof encoded === 'string' ? utf8.encode(encoded) : encoded;
      held.frames.set(encoding, frame);
    }
    return frame;
  }
}
