/**
 * Host and Origin headers carrying bytes outside printable ASCII (sent raw: Node's clients refuse to).
 * uWS hands a value over one char per byte and trims such bytes at either end, so the guard refuses any
 * such value it can see with one defined answer — 400 and a line naming the header, on pages, /api/* and
 * both sockets — instead of judging a cut or re-encoded name. What trimming leaves is checked as usual.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';

const ADMIN = 'bytes-admin-token';
let hub: StartedHub;

beforeAll(async () => {
  hub = await startHub({ env: { HUB_ADMIN_TOKEN: ADMIN } });
});
afterAll(async () => {
  await hub.close();
});

interface RawReply {
  readonly status: number;
  readonly body: string;
}

/** One request with header values given as raw bytes; resolves on the first complete response. */
function raw(path: string, headers: ReadonlyArray<readonly [string, Buffer | string]>): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(hub.port, '127.0.0.1');
    const limit = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response to ${path} within 5 s`));
    }, 5_000);
    let data = Buffer.alloc(0);
    const finish = (reply: RawReply): void => {
      clearTimeout(limit);
      socket.destroy();
      resolve(reply);
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const text = data.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = text.slice(0, end);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      const body = data.subarray(Buffer.byteLength(head, 'latin1') + 4);
      if (body.length >= length) finish({ status, body: body.subarray(0, length).toString('utf8') });
    });
    socket.on('close', () => reject(new Error(`connection closed without a complete response to ${path}`)));
    socket.on('error', reject);
    const lines = headers.map(([name, value]) =>
      Buffer.concat([
        Buffer.from(`${name}: `),
        typeof value === 'string' ? Buffer.from(value) : value,
        Buffer.from('\r\n'),
      ]),
    );
    socket.write(Buffer.concat([Buffer.from(`GET ${path} HTTP/1.1\r\n`), ...lines, Buffer.from('\r\n')]));
  });
}

const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const upgradeHeaders = (host: Buffer | string, origin: Buffer | string): Array<readonly [string, Buffer | string]> => [
  ['Host', host],
  ['Origin', origin],
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
  ['Sec-WebSocket-Version', '13'],
];

describe('Host and Origin with bytes outside printable ASCII', () => {
  it('a Host with such bytes gets 400 naming the Host header, on pages and /api/*', async () => {
    const own = `127.0.0.1:${hub.port}`;
    for (const host of [
      bytes('127.0.0.1', [0xe9], '.evil'),
      bytes('127.0.0.1', [0xc3, 0xa9], `:${hub.port}`),
      bytes('127.0', [0x7f], `.0.1:${hub.port}`),
    ]) {
      expect(await raw('/health', [['Host', host]])).toEqual({
        status: 400,
        body: 'the Host header must be printable ASCII (send an IDN as punycode)\n',
      });
      const api = await raw('/api/state', [
        ['Host', host],
        ['Authorization', `Bearer ${ADMIN}`],
      ]);
      expect(api.status).toBe(400);
    }
    // The same requests in plain ASCII are answered.
    expect((await raw('/health', [['Host', own]])).status).toBe(200);
  });

  it('an Origin with such bytes gets 400 naming the Origin header, even when the rest is the hub’s own', async () => {
    const own = `127.0.0.1:${hub.port}`;
    const origin = bytes('http://127.0.0.1', [0xe9], `:${hub.port}`);
    const reply = await raw('/api/state', [
      ['Host', own],
      ['Origin', origin],
      ['Authorization', `Bearer ${ADMIN}`],
    ]);
    expect(reply).toEqual({
      status: 400,
      body: 'the Origin header must be printable ASCII (send an IDN as punycode)\n',
    });
    const plain = await raw('/api/state', [
      ['Host', own],
      ['Origin', `http://${own}`],
      ['Authorization', `Bearer ${ADMIN}`],
    ]);
    expect(plain.status).toBe(200);
  });

  it('the terminal and dashboard sockets refuse the upgrade with 400 and the reason', async () => {
    const own = `127.0.0.1:${hub.port}`;
    for (const path of ['/', '/dashboard']) {
      expect(await raw(path, upgradeHeaders(own, bytes('http://127.0.0.1', [0xff], `:${hub.port}`)))).toEqual({
        status: 400,
        body: 'the Origin header must be printable ASCII (send an IDN as punycode)',
      });
      expect(await raw(path, upgradeHeaders(bytes('127.0.0.1', [0xe9], `:${hub.port}`), `http://${own}`))).toEqual({
        status: 400,
        body: 'the Host header must be printable ASCII (send an IDN as punycode)',
      });
      // Plain ASCII from the hub's own origin upgrades.
      expect((await raw(path, upgradeHeaders(own, `http://${own}`))).status).toBe(101);
    }
  });

  it('bytes uWS trims at the ends are invisible: what remains is checked as any Host', async () => {
    // uWS passes "\xff127.0.0.1:port" as "127.0.0.1:port" — an allowed name the sender could send plainly…
    expect((await raw('/health', [['Host', bytes([0xff], `127.0.0.1:${hub.port}`)]])).status).toBe(200);
    // …and "\xffevil.example" as "evil.example", refused as a rebinding name.
    expect((await raw('/health', [['Host', bytes([0xff], 'evil.example')]])).status).toBe(421);
  });
});
