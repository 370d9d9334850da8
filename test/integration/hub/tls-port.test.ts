/**
 * A taken HUB_TLS_PORT stops the hub like a taken HUB_HTTP_PORT: exit 69 (PORT_IN_USE, final, so the
 * unit does not loop), one line naming the address, and no POS_HUB_LISTENING line. (HUB_TLS_PORT equal
 * to HUB_HTTP_PORT is a configuration error, exit 78, checked in src/config.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runHubToExit } from '../../../bench/chaos/startup-faults.js';
import { EXIT_CODES } from '../../../src/exit-codes.js';
import { makeVenueCert } from '../../helpers/venue-cert.js';

const dir = mkdtempSync(join(tmpdir(), 'pos-hub-tls-port-'));
const venue = makeVenueCert(dir, ['hub.local', '127.0.0.1']);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function holdPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      resolve({ server, port: address.port });
    });
  });
}

const tlsEnv = (name: string, httpPort: number, tlsPort: number): Record<string, string> => ({
  HUB_DB_PATH: join(dir, `${name}.sqlite`),
  HUB_HTTP_PORT: String(httpPort),
  HUB_TLS_PORT: String(tlsPort),
  HUB_TLS_CERT: venue.certFile,
  HUB_TLS_KEY: venue.keyFile,
});

describe('a taken HUB_TLS_PORT', () => {
  it('held by another process: exits 69 naming the address, never listening', async () => {
    const held = await holdPort();
    try {
      const run = await runHubToExit(tlsEnv('foreign', 0, held.port));
      expect(run.code).toBe(EXIT_CODES.PORT_IN_USE.code);
      expect(run.stderr).toMatch(
        new RegExp(
          `^pos-hub: cannot listen on 127\\.0\\.0\\.1:${held.port}: the port is in use.*exit 69 PORT_IN_USE\\]$`,
          'm',
        ),
      );
      expect(run.stdout).not.toContain('POS_HUB_LISTENING');
    } finally {
      held.server.close();
    }
  }, 60_000);
});
