/**
 * The `lastSeq` resume window equals HUB_EVENT_RETENTION (issue 14 item 5): a terminal that missed
 * exactly the retention resumes, one event more gets SYNC_INIT — whether or not pruning has caught up
 * (the writer prunes only every 256 commits, so the log may briefly hold more than the retention).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { Unit } from '../../../src/threads/actor-io.js';
import { sqliteWriter } from '../../helpers/sqlite-writer.js';

const RETENTION = 100;
const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0', HUB_EVENT_RETENTION: String(RETENTION) });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-resume-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tableUpdate(tableId: number): Unit {
  const msg: HubMessage = { type: 'TABLE_UPDATED', tableId, status: 'occupied', sourceTerminal: 'ann' };
  return {
    ops: [{ op: 'event', type: 'TABLE_UPDATED', posReference: null, payload: msg, sourceTerminal: 'ann' }],
    out: [{ to: 'others', except: 'ann', msg, stamp: true }],
  };
}

function open() {
  return sqliteWriter(join(dir, 'hub.sqlite'), config);
}

type Sync =
  | { mode: 'resume'; fromSeq: number; toSeq: number; events: Array<{ seq: number }> }
  | { mode: 'init'; seq: number };

describe('resume window', () => {
  it.each([
    ['before pruning caught up', false],
    ['after pruning', true],
  ])('resumes a terminal that missed exactly HUB_EVENT_RETENTION events, not one more (%s)', async (_name, prune) => {
    const { store, core } = open();
    for (let i = 1; i <= 250; i++) core.enqueue([tableUpdate(i)]);
    core.commit();
    if (prune) store.prune(RETENTION);
    const seq = store.currentSeq();
    expect(seq).toBe(250);
    const edge = (await core.request('sync', { terminalId: 'bob', lastSeq: seq - RETENTION })) as Sync;
    expect(edge.mode).toBe('resume');
    if (edge.mode !== 'resume') return;
    expect(edge.events).toHaveLength(RETENTION);
    expect(edge.events[0]!.seq).toBe(seq - RETENTION + 1);
    expect(edge.events.at(-1)!.seq).toBe(seq);
    expect(((await core.request('sync', { terminalId: 'bob', lastSeq: seq - RETENTION - 1 })) as Sync).mode).toBe(
      'init',
    );
    store.close();
  });
});
