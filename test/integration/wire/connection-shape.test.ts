/**
 * Issue 16, idle footprint: the connection the uWS adapter hands the front is one small object per socket —
 * its methods shared on a prototype, not closures made per socket (nine of them, with a dictionary-mode
 * property store, were ~1.9 kB of heap per terminal) — and it still goes closed when uWS closes the socket.
 */
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { createUwsServer, type WsConnection } from '../../../src/adapters/uws/server.js';

describe('the uWS connection object', () => {
  it('carries no per-socket functions, and sends nothing once uWS has closed its socket', async () => {
    let opened: (conn: WsConnection<{ n: number }>) => void = () => undefined;
    let closed: (conn: WsConnection<{ n: number }>) => void = () => undefined;
    const server = createUwsServer({
      maxPayload: 64 * 1024,
      maxBackpressure: 1024 * 1024,
      http: [],
      onError: (error) => {
        throw error;
      },
      ws: {
        '/': {
          upgrade: () => ({ state: { n: 1 } }),
          open: (conn: WsConnection<{ n: number }>) => opened(conn),
          message: () => undefined,
          close: (conn: WsConnection<{ n: number }>) => closed(conn),
        },
      },
    });
    const port = await server.listen('127.0.0.1', 0);
    try {
      const open = new Promise<WsConnection<{ n: number }>>((resolve) => (opened = resolve));
      const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
      // Both ends: the server's open and the client's (closing before the client's is an error in ws).
      const [conn] = await Promise.all([
        open,
        new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject)),
      ]);
      const own = Object.getOwnPropertyNames(conn).filter(
        (name) => typeof Object.getOwnPropertyDescriptor(conn, name)?.value === 'function',
      );
      expect(own).toEqual([]);
      expect(Object.getOwnPropertyDescriptor(conn, 'closed')).toBeUndefined();
      expect(conn.state).toEqual({ n: 1 });
      expect(conn.closed).toBe(false);
      const gone = new Promise<WsConnection<{ n: number }>>((resolve) => (closed = resolve));
      socket.close();
      expect(await gone).toBe(conn);
      expect(conn.closed).toBe(true);
      expect(conn.send('late', false)).toBe('dropped');
      expect(conn.bufferedAmount()).toBe(0);
    } finally {
      server.stopListening();
    }
  });
});
