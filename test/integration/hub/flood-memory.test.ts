/**
 * Done-when of the trust boundary's resource bounds, on a real hub in a child process: one terminal
 * floods 20,000 distinct lease and lock requests. It meets RATE_LIMITED and the TOO_MANY_* caps, the
 * hub's resident memory grows by less than 64 MB, another terminal is served throughout, and once the
 * flood's grants are released and its idle actors evicted, later floods run in the memory it left.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bootHubs } from '../../helpers/start-hub.js';
import { TestTerminal } from '../../helpers/terminal.js';

const boot = bootHubs();
const MB = 1024 * 1024;

function rssOf(pid: number): number {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0; // the hub exited; the test fails on its own assertions
  }
  const line = status.split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
}

type Flood = { rateLimited: number; tooMany: number; leases: string[]; locks: number[]; peak: number };

/** 20,000 distinct lease and lock requests from one terminal, answered one by one; the hub's peak RSS meanwhile. */
async function flood(wsUrl: string, pid: number, round: number): Promise<Flood> {
  const t = await TestTerminal.connect(wsUrl, { deviceId: `flood-${round}` });
  let peak = rssOf(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 50);
  for (let i = 0; i < N; i++) {
    t.send(
      i % 2 === 0
        ? { type: 'LEASE_ACQUIRE', posReference: `FLOOD-${round}-${i}`, baseVersion: 0 }
        : { type: 'TABLE_LOCK_ACQUIRE', tableId: round * 100_000 + i },
    );
    // Bounded: let the socket drain rather than buffer all 20,000 frames in this process.
    if (i % 500 === 499) while (t.ws.bufferedAmount > 256 * 1024) await new Promise((r) => setTimeout(r, 5));
  }
  // The front answers in order: the heartbeat's ACK comes after every refusal; a second round trip lets
  // the last grants (which wait for a commit) arrive.
  for (let round = 0; round < 2; round++) {
    t.send({ type: 'HEARTBEAT' });
    await t.awaitType('HEARTBEAT_ACK').catch(() => t.awaitType('HEARTBEAT_ACK'));
  }
  clearInterval(sampler);
  peak = Math.max(peak, rssOf(pid));
  const errors = t.messages.filter((m) => m.type === 'ERROR');
  const result: Flood = {
    rateLimited: errors.filter((m) => m.code === 'RATE_LIMITED').length,
    tooMany: errors.filter((m) => m.code === 'TOO_MANY_LEASES' || m.code === 'TOO_MANY_LOCKS').length,
    leases: t.messages.filter((m) => m.type === 'LEASE_GRANTED').map((m) => String(m.posReference)),
    locks: t.messages.filter((m) => m.type === 'TABLE_LOCK_GRANTED').map((m) => Number(m.tableId)),
    peak,
  };
  // Give back what it holds: its actors go idle and are evicted (HUB_ACTOR_IDLE_MS).
  for (const posReference of result.leases) t.send({ type: 'LEASE_RELEASE', posReference });
  for (const tableId of result.locks) t.send({ type: 'TABLE_LOCK_RELEASE', tableId });
  t.send({ type: 'HEARTBEAT' });
  await t.awaitType('HEARTBEAT_ACK');
  await t.close();
  return result;
}

const N = 20_000;

describe('one terminal floods distinct lease and lock requests', () => {
  it('is rate limited and capped; RSS grows < 64 MB and later floods reuse it', { timeout: 150_000 }, async () => {
    const hub = await boot({
      mode: 'child-process',
      // Keep the flooding socket open through every refusal, so all 20,000 frames reach the limits.
      env: { HUB_RATE_ABUSE_LIMIT: '1000000', HUB_ACTOR_IDLE_MS: '1000', HUB_LOG_LEVEL: 'silent' },
    });
    const pid = hub.pid ?? 0;
    const calm = await TestTerminal.connect(hub.wsUrl, { deviceId: 'calm' });
    calm.send({ type: 'LEASE_ACQUIRE', posReference: 'CALM-0', baseVersion: 0 });
    await calm.awaitType('LEASE_GRANTED');
    const before = rssOf(pid);

    const first = await flood(hub.wsUrl, pid, 1);
    expect(first.rateLimited).toBeGreaterThan(N / 2);
    expect(first.tooMany).toBeGreaterThan(0);
    expect(first.leases.length).toBeLessThanOrEqual(64);
    expect(first.locks.length).toBeLessThanOrEqual(32);
    expect(first.peak - before).toBeLessThan(64 * MB);
    calm.send({ type: 'LEASE_ACQUIRE', posReference: 'CALM-1', baseVersion: 0 });
    await calm.awaitType('LEASE_GRANTED', (m) => m.posReference === 'CALM-1');

    // Memory comes back: after eviction, a further flood of 20,000 new keys runs in the memory the earlier
    // ones left (V8 keeps its grown heap spaces for reuse rather than returning them to the OS at once).
    // V8 still grows its old space over the first two floods (measured 2026-12-02: peaks 268, 277, 284,
    // 287 MB for four floods, steps of 8.6, 6.8 and 3.2 MB), so the reuse is judged on the third flood
    // against the second; a leak per key or per refused frame grows every flood by the same amount.
    const second = await flood(hub.wsUrl, pid, 2);
    const third = await flood(hub.wsUrl, pid, 3);
    const after = rssOf(pid);
    console.log(
      `flood: RSS before ${(before / MB).toFixed(1)} MB, peak ${(first.peak / MB).toFixed(1)} / ${(second.peak / MB).toFixed(1)} / ${(third.peak / MB).toFixed(1)} MB, after ${(after / MB).toFixed(1)} MB; ` +
        `rate limited ${first.rateLimited}, capped ${first.tooMany}, granted ${first.leases.length} leases ${first.locks.length} locks`,
    );
    expect(third.peak - second.peak).toBeLessThan(8 * MB);
    expect(after - before).toBeLessThan(64 * MB);
    await calm.close();
  });
});
