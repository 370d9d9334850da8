/**
 * The mDNS advert on loopback: a browser on the same host finds `_pos-hub._tcp` with the hub's name and
 * port, sees it withdrawn on stop, and a socket that cannot bind is logged, never thrown.
 * Multicast works in this sandbox when pinned to the loopback interface (TTL 1, nothing leaves the host).
 */
import { Bonjour, type Service, type ServiceConfig } from 'bonjour-service';
import { afterEach, describe, expect, it } from 'vitest';
import { startMdns, type MdnsAdvert, type MdnsLog } from '../../../src/adapters/mdns/advertiser.js';
import { probeMdns } from '../../../src/adapters/mdns/probe.js';
import { clusterTxt, hubTxtRecord } from '../../../src/adapters/mdns/txt-record.js';

const LOOPBACK = { interface: '127.0.0.1', bind: '0.0.0.0', ttl: 1 } as const;

interface Line {
  level: string;
  msg: string;
  obj: object;
}

/** A log that records lines and lets a test await the first line matching a predicate. */
function captureLog(): MdnsLog & { lines: Line[]; next(match: (line: Line) => boolean): Promise<Line> } {
  const lines: Line[] = [];
  const waiters: { match: (line: Line) => boolean; resolve: (line: Line) => void }[] = [];
  const push = (line: Line): void => {
    lines.push(line);
    for (const w of waiters.filter((x) => x.match(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  };
  return {
    lines,
    info: (obj, msg) => push({ level: 'info', msg, obj }),
    warn: (obj, msg) => push({ level: 'warn', msg, obj }),
    next: (match) => {
      const already = lines.find(match);
      return already
        ? Promise.resolve(already)
        : eventually<Line>((resolve) => waiters.push({ match, resolve }), 'a log line');
    },
  };
}

/** Resolves on the first matching event; fails the test (not hangs it) after `ms`. */
function eventually<T>(register: (resolve: (value: T) => void) => void, what: string, ms = 8000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('startMdns', () => {
  it('advertises _pos-hub._tcp on loopback and withdraws it on stop', async () => {
    const name = `POS Hub ${process.pid}`;
    const port = 40000 + (process.pid % 20000);
    const log = captureLog();
    // bonjour-service types its options as ServiceConfig, but passes them to multicast-dns as socket options.
    const browserHost = new Bonjour(LOOPBACK as unknown as Partial<ServiceConfig>, () => undefined);
    cleanups.push(() => new Promise<void>((r) => browserHost.destroy(() => r())));
    const browser = browserHost.find({ type: 'pos-hub' });
    cleanups.push(async () => browser.stop());
    const found = eventually<Service>(
      (resolve) => browser.on('up', (s: Service) => s.name === name && resolve(s)),
      'advert',
    );

    let advert: MdnsAdvert | undefined = startMdns({ port, name, type: 'pos-hub', log, socket: LOOPBACK });
    cleanups.push(async () => advert?.stop());
    const service = await found;
    expect(service.type).toBe('pos-hub');
    expect(service.protocol).toBe('tcp');
    expect(service.port).toBe(port);
    expect(log.lines.some((l) => l.msg === 'mdns_advertised')).toBe(true);

    const gone = eventually<Service>(
      (resolve) => browser.on('down', (s: Service) => s.name === name && resolve(s)),
      'goodbye',
    );
    await advert.stop();
    advert = undefined;
    expect((await gone).name).toBe(name);
    expect(log.lines.some((l) => l.msg === 'mdns_withdrawn')).toBe(true);
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('carries role and epoch in TXT and re-announces them when they change', async () => {
    const name = `POS Hub role ${process.pid}`;
    const port = 40001 + (process.pid % 20000);
    const log = captureLog();
    const browserHost = new Bonjour(LOOPBACK as unknown as Partial<ServiceConfig>, () => undefined);
    cleanups.push(() => new Promise<void>((r) => browserHost.destroy(() => r())));
    const browser = browserHost.find({ type: 'pos-hub' });
    cleanups.push(async () => browser.stop());
    const found = eventually<Service>(
      (resolve) => browser.on('up', (s: Service) => s.name === name && resolve(s)),
      'advert',
    );
    const advert = startMdns({
      port,
      name,
      type: 'pos-hub',
      log,
      socket: LOOPBACK,
      txt: { ...hubTxtRecord({ path: '/', encodings: ['json'] }), ...clusterTxt({ role: 'follower', epoch: 3 }) },
    });
    cleanups.push(() => advert.stop());
    const service = await found;
    expect(service.txt).toMatchObject({ path: '/', role: 'follower', epoch: '3' });

    const updated = eventually<Service>(
      (resolve) => browser.on('txt-update', (s: Service) => s.name === name && resolve(s)),
      'TXT update',
    );
    advert.update(clusterTxt({ role: 'leader', epoch: 4 }));
    const after = await updated;
    // The rest of the TXT stays; role and epoch are the new ones.
    expect(after.txt).toMatchObject({ path: '/', encodings: 'json', role: 'leader', epoch: '4' });
    expect(log.lines.some((l) => l.msg === 'mdns_txt_updated')).toBe(true);
  });

  it('logs a socket that cannot bind and keeps going; stop still resolves', async () => {
    const log = captureLog();
    // 203.0.113.0/24 is TEST-NET-3: never a local address, so the bind fails with EADDRNOTAVAIL.
    const advert = startMdns({
      port: 8766,
      name: 'POS Hub',
      type: 'pos-hub',
      log,
      socket: { interface: '203.0.113.9' },
    });
    const warn = await log.next((l) => l.level === 'warn');
    await advert.stop();
    expect(warn.msg).toMatch(/^mdns_/);
    expect(JSON.stringify(warn.obj)).toMatch(/EADDRNOTAVAIL|address/i);
  });

  it('probeMdns says whether the multicast group can be joined', async () => {
    expect(await probeMdns({ port: 0, interface: '127.0.0.1' })).toEqual({ ok: true });
    const bad = await probeMdns({ port: 0, interface: '203.0.113.9' });
    expect(bad.ok).toBe(false);
  });
});
