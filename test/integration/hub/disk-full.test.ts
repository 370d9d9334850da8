/**
 * The disk fills up under a serving hub (a small tmpfs, filled to the brim): the writes it refuses get
 * a retryable STORAGE_UNAVAILABLE and are neither acked nor broadcast, the hub keeps serving sign-ins,
 * heartbeats and /health (`degraded`, with the SQLite reason), and once there is room the same writes
 * are acked. On disk: every acked write, nothing unacked, no seq gap. Needs root for mount(8).
 */
import { describe, expect, it } from 'vitest';
import { diskFullScenario } from '../../../bench/chaos/disk-full.js';
import { isRoot } from '../../../bench/chaos/startup-faults.js';

describe('hub on a full disk', () => {
  it.skipIf(!isRoot())(`refuses writes retryably, keeps serving, resumes by itself${isRoot() ? '' : ' — skipped: needs root to mount a small tmpfs'}`, async () => {
    const r = await diskFullScenario();
    expect(r.ackedBeforeFull).toBe(5);
    expect(r.refused).toBeGreaterThan(0);
    expect(r.refusedRetryable).toBe(true);
    expect(r.refusedBroadcast).toBe(0);
    expect(r.healthWhileFull.status).toBe('degraded');
    expect(r.healthWhileFull.reason).toMatch(/SQLITE_FULL|SQLITE_IOERR|ENOSPC/);
    expect(r.heartbeatWhileFull).toBe(true);
    expect(r.signInWhileFull).toBe(true);
    expect(r.metricWhileFull).toBeGreaterThan(0);
    expect(r.resentAcked).toBe(r.refused);
    expect(r.healthAfter).toBe('ok');
    expect({ lost: r.ackedLost, unacked: r.unackedStored, gaps: r.seqGaps }).toEqual({ lost: 0, unacked: 0, gaps: 0 });
  });
});
