/**
 * Loopback ports for tests that must know a port before anything listens on it: a hub restarted on the
 * same port, or an ODOO_URL where nothing answers.
 */
import { createServer } from 'node:net';

/** A port nobody listens on right now (bound for an instant on 127.0.0.1, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
