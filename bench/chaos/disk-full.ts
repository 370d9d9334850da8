/**
 * A full disk on a real hub: the database lives on a small tmpfs that is filled to the brim while a
 * terminal writes. Writes the disk refuses must come back as STORAGE_UNAVAILABLE (retryable), never be
 * acked or broadcast; sign-ins, heartbeats and /health keep working (`degraded`); once the filler is
 * deleted the refused writes, re-sent, are acked, and the log on disk has no gap in seq and no write
 * that was not acked. Needs root (mount); the chaos suite and test/integration/hub/disk-full.test.ts run it.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startHub } from '../../test/helpers/start-hub.js';
import { TestTerminal, snapshotWithLines, type Msg } from '../../test/helpers/terminal.js';

/** Writes tried while the disk is full before the scenario gives up waiting for a refusal. */
const MAX_WRITES_WHILE_FULL = 400;
const TMPFS_SIZE = '6m';

export interface DiskFullResult {
  readonly ackedBeforeFull: number;
  readonly refused: number;
  readonly refusedRetryable: boolean;
  readonly refusedBroadcast: number;
  readonly healthWhileFull: { status: string; reason: string | null };
  readonly heartbeatWhileFull: boolean;
  readonly signInWhileFull: boolean;
  readonly metricWhileFull: number;
  readonly resentAcked: number;
  readonly healthAfter: string;
  readonly ackedLost: number;
  readonly unackedStored: number;
  readonly seqGaps: number;
}

function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 7);
  try {
    // Bounded: the tmpfs is a few MB, so this ends with ENOSPC long before the bound.
    for (let i = 0; i < 10_000; i++) writeSync(fd, chunk);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  // The last few bytes too, so not even a small page fits.
  const fd2 = openSync(`${path}.tail`, 'w');
  try {
    for (let i = 0; i < 65_536; i++) writeSync(fd2, Buffer.alloc(512, 7));
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd2);
  }
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) total += Number(line.split(' ').pop());
  return total;
}

export async function diskFullScenario(): Promise<DiskFullResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-full-'));
  const mount = join(dir, 'disk');
  mkdirSync(mount);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', mount]).status !== 0) throw new Error(`mount tmpfs on ${mount} failed`);
  const dbPath = join(mount, 'hub.sqlite');
  const filler = join(mount, 'filler');
  const hub = await startHub({ dbPath });
  try {
    const writer = await TestTerminal.connect(hub.wsUrl, { deviceId: 'full-writer' });
    const observer = await TestTerminal.connect(hub.wsUrl, { deviceId: 'full-observer' });
    const ref = 'Full-1';
    writer.send({ type: 'LEASE_ACQUIRE', posReference: ref, baseVersion: 0, tableId: 4 });
    await writer.awaitType('LEASE_GRANTED');
    let version = 0;
    const acked = new Map<string, number>();
    // One write, awaited: ORDER_ACK or ERROR for its mutation id.
    const write = async (id: string): Promise<Msg> => {
      writer.send({ type: 'ORDER_SNAPSHOT', posReference: ref, baseVersion: version, mutationId: id, snapshot: { ...snapshotWithLines(ref, 4, 30), staffName: id } });
      const reply = await writer.awaitMessage((m) => (m.type === 'ORDER_ACK' || m.type === 'ERROR') && (m.mutationId === id || (m.ref as { mutationId?: string } | undefined)?.mutationId === id), `reply to ${id}`);
      if (reply.type === 'ORDER_ACK') {
        version = Number(reply.version);
        acked.set(id, version);
      }
      return reply;
    };
    for (let i = 1; i <= 5; i++) await write(`ok-${i}`);
    const ackedBeforeFull = acked.size;

    fill(filler);
    const refused: Msg[] = [];
    const refusedIds: string[] = [];
    for (let i = 1; i <= MAX_WRITES_WHILE_FULL && refused.length < 3; i++) {
      const id = `full-${i}`;
      const reply = await write(id);
      if (reply.type === 'ERROR') {
        refused.push(reply);
        refusedIds.push(id);
      }
    }
    const health = (await (await fetch(`${hub.url}/health`)).json()) as { status: string; degraded?: { reason: string } };
    writer.send({ type: 'HEARTBEAT' });
    const heartbeat = await writer.awaitType('HEARTBEAT_ACK').then(
      () => true,
      () => false,
    );
    const late = await TestTerminal.connect(hub.wsUrl, { deviceId: 'full-late' }).then(
      async (t) => {
        await t.close();
        return true;
      },
      () => false,
    );
    const metricWhileFull = await metric(hub.url, 'pos_hub_storage_errors_total');

    rmSync(filler, { force: true });
    rmSync(`${filler}.tail`, { force: true });
    let resentAcked = 0;
    for (const id of refusedIds) if ((await write(id)).type === 'ORDER_ACK') resentAcked += 1;
    const after = (await (await fetch(`${hub.url}/health`)).json()) as { status: string };
    const refusedBroadcast = observer.messages.filter((m) => m.type === 'ORDER_UPDATED' && refusedIds.includes(String((m.snapshot as { staffName?: string }).staffName)) && !acked.has(String((m.snapshot as { staffName?: string }).staffName))).length;
    await writer.close();
    await observer.close();
    await hub.close();

    const db = new Database(dbPath, { readonly: true });
    try {
      const ids = (db.prepare(`SELECT id FROM events ORDER BY id`).all() as { id: number }[]).map((r) => r.id);
      let seqGaps = 0;
      for (let i = 1; i < ids.length; i++) if (ids[i]! !== ids[i - 1]! + 1) seqGaps += 1;
      const stored = new Set((db.prepare(`SELECT mutation_id FROM mutations WHERE terminal_id = 'full-writer'`).all() as { mutation_id: string }[]).map((r) => r.mutation_id));
      const ackedLost = [...acked.keys()].filter((id) => !stored.has(id)).length;
      const unackedStored = [...stored].filter((id) => !acked.has(id)).length;
      return {
        ackedBeforeFull,
        refused: refused.length,
        refusedRetryable: refused.length > 0 && refused.every((r) => r.code === 'STORAGE_UNAVAILABLE' && r.retryable === true),
        refusedBroadcast,
        healthWhileFull: { status: health.status, reason: health.degraded?.reason ?? null },
        heartbeatWhileFull: heartbeat,
        signInWhileFull: late,
        metricWhileFull,
        resentAcked,
        healthAfter: after.status,
        ackedLost,
        unackedStored,
        seqGaps,
      };
    } finally {
      db.close();
    }
  } finally {
    await hub.close();
    spawnSync('umount', ['-l', mount]);
    rmSync(dir, { recursive: true, force: true });
  }
}
