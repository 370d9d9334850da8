/**
 * The writer tells the front when its forwarder starts or stops waiting out a previous leader's Odoo claims
 * (docs/ha.md "Finalization exactly once across a leader change"), without waiting for a commit: on an idle
 * hub after a leader change /health must still say why nothing reaches Odoo. Real SQLite, a stand-in forwarder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import type { ForwarderStatus } from '../../../src/adapters/odoo/forwarder.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../../src/config.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import type { WriterNotice, WriterStats } from '../../../src/threads/contract.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';
import { fixedClock, writerClock } from '../../helpers/clocks.js';

const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' });
let dir: string;
let store: SqliteStorePort;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-claim-wait-'));
  store = SqliteStorePort.open({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the writer's stats carry the forwarder's claim wait", () => {
  it('pushes stats when the wait starts and again when it ends, with no commit in between', async () => {
    const clock = fixedClock();
    const sent: WriterNotice[] = [];
    let status: ForwarderStatus = { lastOdooSync: null, odooReachable: false, lastError: null, claimWaitUntil: null };
    const core = new WriterCore({
      store,
      config,
      clock: writerClock(clock),
      log: createLogger({ level: 'silent' }),
      metrics: noopMetrics,
      toFront: (m) => sent.push(m),
      role: 'follower',
      createForwarder: () => ({ start: () => undefined, kick: () => undefined, stop: () => Promise.resolve(), status: () => status }),
    });
    await core.request('take_over', { node: 'hub-b' });
    const pushed = (): WriterStats[] => sent.flatMap((m) => (m.type === 'stats' ? [m.input] : []));
    clock.advance(1000);
    const before = pushed().length;

    const until = clock.now() + 157_500;
    status = { ...status, claimWaitUntil: until };
    clock.advance(1000);
    expect(pushed()).toHaveLength(before + 1);
    expect(pushed().at(-1)?.odooClaimWaitUntil).toBe(until);
    expect(core.stats().odooClaimWaitUntil).toBe(until);

    clock.advance(5000);
    expect(pushed()).toHaveLength(before + 1);

    status = { ...status, claimWaitUntil: null };
    clock.advance(1000);
    expect(pushed()).toHaveLength(before + 2);
    expect(pushed().at(-1)?.odooClaimWaitUntil).toBeUndefined();
  });
});
