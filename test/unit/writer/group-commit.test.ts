/**
 * Group commit without a fixed window (issue 16): by default the writer commits as soon as it is idle,
 * and units that arrive while a commit runs (its fsync included) go into the next commit together, not
 * one commit each. A positive HUB_COMMIT_WINDOW_MS still waits that long for a bigger batch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { HubStore } from '../../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../../src/config.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { Unit } from '../../../src/threads/actor-io.js';
import type { WriterNotice } from '../../../src/threads/contract.js';
import { TestClock, writerClock } from '../../helpers/clocks.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-group-commit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function unit(posReference: string): Unit {
  const updated: HubMessage = {
    type: 'TABLE_UPDATED',
    tableId: 1,
    status: 'occupied',
    posReference,
    sourceTerminal: 'ann',
  };
  return {
    ops: [
      { op: 'table_put', tableId: 1, status: 'occupied', posReference },
      { op: 'event', type: 'TABLE_UPDATED', posReference, payload: updated, sourceTerminal: null },
    ],
    out: [{ to: 'all', msg: updated, stamp: true }],
  };
}

/** A store whose transaction runs `during` while it is open: what arrives "during the fsync". */
class HeldStore extends HubStore {
  during: (() => void) | null = null;
  override transaction<T>(fn: () => T): T {
    return super.transaction(() => {
      const result = fn();
      const hook = this.during;
      this.during = null;
      hook?.();
      return result;
    });
  }
}

function open(env: Record<string, string> = {}) {
  const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', ...env });
  const store = new HeldStore({ path: join(dir, 'hub.sqlite'), sync: 'full' });
  const clock = new TestClock();
  const sent: WriterNotice[] = [];
  const core = new WriterCore({
    store: new SqliteStorePort(store),
    config,
    clock: writerClock(clock),
    log: createLogger({ level: 'silent' }),
    metrics: noopMetrics,
    toFront: (m) => sent.push(m),
  });
  const commits = (): number[][] =>
    sent.flatMap((m) =>
      m.type === 'deliver' ? [m.input.deliveries.map((d) => (d.out[0]?.msg as { seq: number }).seq)] : [],
    );
  return { config, store, clock, core, commits };
}

describe('group commit', () => {
  it('defaults to no window: the commit starts on the next turn, not after a timer', () => {
    const { config, clock, core, commits, store } = open();
    expect(config.HUB_COMMIT_WINDOW_MS).toBe(0);
    core.enqueue([unit('A')]);
    expect(commits()).toEqual([]);
    clock.flush();
    expect(commits()).toEqual([[1]]);
    store.close();
  });

  it('batches the units that arrive during a commit into the next single commit', () => {
    const { clock, core, commits, store } = open();
    core.enqueue([unit('A')]);
    let committedDuring = -1;
    store.during = () => {
      // Three shards' messages land while the first transaction is still open.
      core.enqueue([unit('B')]);
      core.enqueue([unit('C')]);
      core.enqueue([unit('D')]);
      committedDuring = core.batching.commits;
    };
    clock.flush();
    expect(committedDuring).toBe(0);
    expect(commits()).toEqual([[1], [2, 3, 4]]);
    expect(core.batching).toMatchObject({ commits: 2, units: 4, maxUnits: 3 });
    store.close();
  });

  it('a positive window waits that long and commits everything queued in it together', () => {
    const { clock, core, commits, store } = open({ HUB_COMMIT_WINDOW_MS: '5' });
    core.enqueue([unit('A')]);
    clock.advance(4);
    core.enqueue([unit('B')]);
    clock.flush();
    expect(commits()).toEqual([]);
    clock.advance(1);
    expect(commits()).toEqual([[1, 2]]);
    store.close();
  });
});
