/**
 * The terminal page's hub line (issue 18): the hub it is on with role and epoch, or since when it has
 * been failing over, and when paid orders go to Odoo directly.
 */
import { describe, expect, it } from 'vitest';
import type { HubStatusInfo } from '../../../src/client/types.js';
import { hubLineOf } from '../../../src/terminal-app/hub-events.js';

const base: HubStatusInfo = {
  url: null,
  hubId: null,
  hubRole: null,
  epoch: null,
  highestEpoch: 0,
  knownHubs: [],
  fallback: 'hub',
  hubLostSince: null,
  failingOver: false,
};
const known = [
  { url: 'ws://10.0.0.5:8766', id: 'a', role: 'leader', epoch: 4, seenAt: 0 },
  { url: 'ws://10.0.0.6:8766', id: 'b', role: 'follower', epoch: 4, seenAt: 0 },
] as const;

describe('hubLineOf', () => {
  it('names the hub, its role and epoch when on one', () => {
    expect(
      hubLineOf(
        { ...base, url: 'ws://10.0.0.5:8766', hubRole: 'leader', epoch: 4, knownHubs: known, fallback: 'hub' },
        0,
      ),
    ).toEqual({ text: 'hub 10.0.0.5:8766 leader epoch 4 · hubs known: 2', failingOver: false });
  });

  it('an older hub that does not name itself shows its address only', () => {
    expect(hubLineOf({ ...base, url: 'wss://hub.local:8767', knownHubs: [known[0]] }, 0).text).toBe(
      'hub hub.local:8767 · hubs known: 1',
    );
  });

  it('says it is failing over while no usable hub answers, and when paid orders go to Odoo', () => {
    const since = Date.UTC(2026, 0, 1, 12, 0, 0);
    // First connect: no hub was lost yet, so it is not failing over.
    expect(hubLineOf({ ...base, knownHubs: known, fallback: 'waiting', hubLostSince: since }, since)).toEqual({
      text: 'connecting to a hub · hubs known: 2',
      failingOver: false,
    });
    const waiting = hubLineOf(
      { ...base, knownHubs: known, fallback: 'waiting', hubLostSince: since, failingOver: true },
      since + 5_000,
    );
    expect(waiting.failingOver).toBe(true);
    expect(waiting.text).toBe(`failing over since ${new Date(since).toLocaleTimeString()} · hubs known: 2`);
    const direct = hubLineOf(
      { ...base, knownHubs: known, fallback: 'direct', hubLostSince: since, failingOver: true },
      since + 61_000,
    );
    expect(direct).toEqual({
      text: `no hub since ${new Date(since).toLocaleTimeString()}: paid orders go to Odoo directly · hubs known: 2`,
      failingOver: true,
    });
  });
});
