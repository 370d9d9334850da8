/**
 * Issue 16, fan-out through uWS topics, on real uWS sockets (plain and TLS listeners of one server): a
 * socket's direct sends and topic messages arrive in call order, ws.publish skips the publisher on this
 * build, a publish reaches the TLS listener's subscribers too, and a closed socket leaves its topics.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { createUwsServer, type WsConnection } from '../../../src/adapters/uws/server.js';
import { makeVenueCert } from '../../helpers/venue-cert.js';

const dir = mkdtempSync(join(tmpdir(), 'pos-hub-publish-'));
const venue = makeVenueCert(dir, ['127.0.0.1']);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Peer {
  readonly socket: WebSocket;
  readonly frames: string[];
}

describe('uWS topics under the front', () => {
  it('keep call order with direct sends, skip the publisher, reach TLS subscribers, and drop closed sockets', async () => {
    const conns = new Map<string, WsConnection<{ name: string }>>();
    const opened: Array<(name: string) => void> = [];
    const server = createUwsServer({
      maxPayload: 64 * 1024,
      maxBackpressure: 1024 * 1024,
      http: [],
      onError: (error) => {
        throw error;
      },
      tls: { certFile: venue.certFile, keyFile: venue.keyFile },
      ws: {
        '/': {
          upgrade: (info) => ({ state: { name: new URLSearchParams(info.query).get('name') ?? '' } }),
          open: (conn: WsConnection<{ name: string }>) => {
            conn.subscribe('all/json');
            conns.set(conn.state.name, conn);
            for (const resolve of opened.splice(0)) resolve(conn.state.name);
          },
          message: () => undefined,
          close: (conn: WsConnection<{ name: string }>) => void conns.delete(conn.state.name),
        },
      },
    });
    const port = await server.listen('127.0.0.1', 0);
    const tlsPort = await server.listenTls('127.0.0.1', 0);
    const peers: Peer[] = [];
    const connect = async (url: string): Promise<Peer> => {
      const socket = new WebSocket(url, { ca: venue.ca });
      const peer: Peer = { socket, frames: [] };
      socket.on('message', (data) => peer.frames.push(Buffer.from(data as Buffer).toString('utf8')));
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.once('open', () => resolve());
      });
      peers.push(peer);
      return peer;
    };
    try {
      const a = await connect(`ws://127.0.0.1:${port}/?name=a`);
      const b = await connect(`ws://127.0.0.1:${port}/?name=b`);
      const c = await connect(`wss://127.0.0.1:${tlsPort}/?name=c`);
      while (conns.size < 3) await new Promise((resolve) => opened.push(resolve));
      const ca = conns.get('a')!;
      const cb = conns.get('b')!;
      expect(ca.subscribers('all/json')).toBe(3);
      // One commit for `a`: its ack between broadcasts, and a direct frame to `b` between two publishes.
      expect(ca.publish('all/json', 'locked', false, false)).toBe(3);
      ca.send('ack', false);
      expect(ca.publish('all/json', 'updated', false, true)).toBe(2);
      cb.send('direct-b', false);
      expect(cb.publish('all/json', new TextEncoder().encode('released'), false, false)).toBe(3);
      const done = (peer: Peer, n: number) =>
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (peer.frames.length >= n) resolve();
            else peer.socket.once('message', () => setImmediate(check));
          };
          check();
        });
      await Promise.all([done(a, 3), done(b, 4), done(c, 3)]);
      expect(a.frames).toEqual(['locked', 'ack', 'released']);
      expect(b.frames).toEqual(['locked', 'updated', 'direct-b', 'released']);
      expect(c.frames).toEqual(['locked', 'updated', 'released']);
      // A socket the front ends leaves the topic at once (uWS runs its close handler inside end()).
      cb.end(4003, 'slow');
      expect(ca.subscribers('all/json')).toBe(2);
    } finally {
      for (const peer of peers) peer.socket.terminate();
      server.stopListening();
    }
  });
});
