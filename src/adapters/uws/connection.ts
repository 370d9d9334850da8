/**
 * One terminal socket as the routes see it (WsConnection), over the live uWS socket that server.ts attaches
 * at open and detaches at close. Its own file so server.ts stays about the App, its routes and listeners.
 */
import type uWS from 'uWebSockets.js';
import type { SendResult, WsConnection } from './server.js';

export interface SocketData {
  conn: UwsConnection<unknown>;
}

/** What every connection of one listener shares: all listeners' apps (to count and publish on each) and its own. */
export interface Listener {
  readonly apps: readonly uWS.TemplatedApp[];
  readonly own: uWS.TemplatedApp;
}

function subscribersOn(apps: readonly uWS.TemplatedApp[], topic: string): number {
  let n = 0;
  for (const a of apps) n += a.numSubscribers(topic);
  return n;
}

/**
 * One socket as the routes see it. A class, so its methods live once on the prototype: the object literal of
 * closures it replaces cost ~1.6 kB of heap per socket (nine closures, their context, and a property store
 * V8 kept in dictionary mode) — bench/memory/socket-footprint.ts counts it.
 */
export class UwsConnection<S> implements WsConnection<S> {
  /** The live uWS socket: set at open, null before it and again once closed. */
  ws: uWS.WebSocket<SocketData> | null = null;
  private ended = false;

  constructor(
    public state: S,
    private readonly listener: Listener,
  ) {}

  get closed(): boolean {
    return this.ended;
  }

  /** uWS closed the socket (its topics go with it): nothing more is sent. */
  detach(): void {
    this.ws = null;
    this.ended = true;
  }

  send(data: string | Uint8Array, binary: boolean): SendResult {
    return this.sendMany([data], binary);
  }

  sendMany(frames: readonly (string | Uint8Array)[], binary: boolean): SendResult {
    const socket = this.ws;
    if (this.ended || socket === null) return 'dropped';
    let result: SendResult = 'ok';
    socket.cork(() => {
      for (const frame of frames) {
        // uWS: 1 sent, 0 buffered (backpressure), 2 dropped (over its own limit).
        const status = socket.send(frame, binary);
        if (status === 2) {
          result = 'dropped';
          return;
        }
        if (status === 0) result = 'buffered';
      }
    });
    return result;
  }

  bufferedAmount(): number {
    return this.ended || this.ws === null ? 0 : this.ws.getBufferedAmount();
  }

  end(code: number, reason: string): void {
    if (this.ended || this.ws === null) return;
    this.ended = true;
    this.ws.end(code, reason);
  }

  subscribe(topic: string): void {
    if (!this.ended && this.ws !== null) this.ws.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    if (!this.ended && this.ws !== null) this.ws.unsubscribe(topic);
  }

  subscribers(topic: string): number {
    return subscribersOn(this.listener.apps, topic);
  }

  publish(topic: string, data: string | Uint8Array, binary: boolean, skipSelf: boolean): number {
    const { apps, own } = this.listener;
    const self = this.ended || this.ws === null ? null : this.ws;
    let count = subscribersOn(apps, topic);
    if (skipSelf && self !== null) {
      // uWS's ws.publish skips the publisher (checked on this build by test/integration/wire/publish-order.test.ts).
      if (self.isSubscribed(topic)) count -= 1;
      self.publish(topic, data, binary);
      for (const a of apps) if (a !== own) a.publish(topic, data, binary);
    } else for (const a of apps) a.publish(topic, data, binary);
    return count;
  }
}
