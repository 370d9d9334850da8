/**
 * Test helper: boot the Odoo 12 simulator on a free loopback port. Returns its URL, the control handle
 * (faults, counters, sessions, data) and close(). Every test that talks to "Odoo" goes through this.
 */
import { startOdooSimServer, type OdooSimControl, type OdooSimOptions } from '../../src/odoo-sim/server.js';

export interface StartedOdooSim {
  readonly url: string;
  readonly sim: OdooSimControl;
  close(): Promise<void>;
}

export async function startOdooSim(options: Omit<OdooSimOptions, 'port' | 'host'> = {}): Promise<StartedOdooSim> {
  const server = await startOdooSimServer({ ...options, host: '127.0.0.1', port: 0 });
  return { url: server.url, sim: server.sim, close: () => server.close() };
}

export * from '../../src/odoo-sim/seed.js';
