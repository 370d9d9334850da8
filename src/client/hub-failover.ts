/**
 * The failover room: which hub the terminal is on and which it should be on. It keeps the hub book
 * (every hub seen, highest epoch), follows NOT_LEADER to the named leader, refuses to sync from a hub
 * whose epoch is below the highest seen (HUB_EPOCH_STALE), keeps lastSeq only across hubs that share
 * one seq log, and runs the hub-loss clock that allows the direct-Odoo fallback after hubLossFallbackMs.
 * The connection and the outbox do the moving and resending; this room only decides.
 */
import { HubError } from '../protocol/errors.js';
import type { HubIdentity, HubMessageOf } from '../protocol/hub-messages.js';
import type { HubCandidate } from './discovery.js';
import type { HubBook, KnownHub } from './hub-book.js';
import { CLIENT_CLOSE, type AuthVerdict } from './hub-connection.js';
import type { HubLossFallback } from './hub-loss-fallback.js';
import { Listeners } from './listeners.js';
import type { HubStatusInfo } from './types.js';

export interface FailoverPort {
  readonly connection: {
    readonly currentUrl: string | null;
    readonly isRunning: boolean;
    moveOn(code: number, reason: string): void;
  };
  readonly seq: { readonly lastSeq: number | undefined; resumeFrom(): number | undefined; forget(): void };
  report(error: unknown): void;
}

/** Two hubs share one seq log when they are the same hub, or both members of one replicated cluster. */
function sameLog(a: HubIdentity, b: HubIdentity): boolean {
  return a.id === b.id || (a.role !== 'standalone' && b.role !== 'standalone');
}

export class HubFailover {
  private current: { url: string; hub: HubIdentity | null } | null = null;
  /** The hub whose log this terminal's lastSeq counts in. */
  private seqLog: HubIdentity | null = null;
  private resumedWith: number | undefined = undefined;
  /** The hub a NOT_LEADER came from: dialled last until a usable hub is found. */
  private avoid: string | null = null;
  /** A usable hub was lost (or refused writes) and none has answered since. */
  private losing = false;
  private readonly changes: Listeners<[HubStatusInfo]>;

  constructor(
    readonly book: HubBook,
    readonly fallback: HubLossFallback,
    private readonly port: FailoverPort,
  ) {
    this.changes = new Listeners<[HubStatusInfo]>((error) => port.report(error));
  }

  /** The candidate list the connection dials: discovery's answers ordered through the book. */
  urls(discover: () => Promise<readonly HubCandidate[]>): () => Promise<readonly string[]> {
    return async () => {
      const found = await discover();
      const urls: string[] = [];
      for (const candidate of found) {
        const url = typeof candidate === 'string' ? candidate : candidate.url;
        this.book.note(url, typeof candidate === 'string' ? {} : candidate);
        urls.push(url);
      }
      return this.book.order(urls, this.avoid);
    };
  }

  /** AUTH's lastSeq (remembered to tell whether a hub from another log must resync). */
  resumeFrom(): number | undefined {
    this.resumedWith = this.port.seq.resumeFrom();
    return this.resumedWith;
  }

  authenticated(message: HubMessageOf<'AUTH_OK'>, url: string): AuthVerdict {
    const hub = message.hub ?? null;
    if (hub !== null && this.book.isStale(hub.epoch)) {
      this.book.note(url, hub);
      this.port.report(
        new HubError(
          'HUB_EPOCH_STALE',
          `${url} answered with epoch ${hub.epoch}, below ${this.book.highestEpoch}; not syncing from it`,
          { retryable: true, details: { url, hub } },
        ),
      );
      this.emit();
      return 'stale';
    }
    if (hub !== null && this.resumedWith !== undefined && this.seqLog !== null && !sameLog(this.seqLog, hub)) {
      // lastSeq counts in another hub's log: resuming here would replay the wrong events. Start over.
      this.book.note(url, hub, true);
      this.port.seq.forget();
      this.seqLog = null;
      return 'resync';
    }
    this.book.note(url, hub ?? {}, true);
    if (hub !== null) this.seqLog = hub;
    this.current = { url, hub };
    this.emit();
    return 'accept';
  }

  /** Synced and serving. A follower is not a usable hub for writes: the loss clock keeps running there. */
  ready(): void {
    if (this.current?.hub?.role === 'follower') {
      this.fallback.lost();
    } else {
      this.avoid = null;
      this.losing = false;
      this.fallback.found();
    }
    this.emit();
  }

  dropped(): void {
    if (this.current !== null) this.losing = true;
    this.current = null;
    if (this.port.connection.isRunning) this.fallback.lost();
    this.emit();
  }

  connecting(): void {
    this.fallback.lost();
  }

  stopped(): void {
    this.current = null;
    this.losing = false;
    this.fallback.stop();
    this.emit();
  }

  /** HUB_STATUS names the hub again: a takeover elsewhere may have made this one stale. */
  hubStatus(message: HubMessageOf<'HUB_STATUS'>): void {
    const url = this.port.connection.currentUrl;
    if (message.hub === undefined || url === null) return;
    this.book.note(url, message.hub, true);
    if (this.current) this.current = { url, hub: message.hub };
    this.leaveIfStale(url, message.hub.epoch);
    this.emit();
  }

  /** NOT_LEADER: move to the named leader (or the best other hub); unacked writes follow with their mutationIds. */
  notLeader(message: HubMessageOf<'ERROR'>): void {
    const url = this.port.connection.currentUrl;
    this.book.follow(message.leader ?? null, url);
    this.avoid = url;
    this.losing = true;
    if (this.current?.hub) this.current = { url: this.current.url, hub: { ...this.current.hub, role: 'follower' } };
    this.port.connection.moveOn(CLIENT_CLOSE.NOT_LEADER, 'not the leader');
    this.emit();
  }

  get status(): HubStatusInfo {
    return {
      url: this.current?.url ?? null,
      hubId: this.current?.hub?.id ?? null,
      hubRole: this.current?.hub?.role ?? null,
      epoch: this.current?.hub?.epoch ?? null,
      highestEpoch: this.book.highestEpoch,
      knownHubs: this.book.list().map((h: KnownHub) => ({ ...h })),
      fallback: this.fallback.phase,
      hubLostSince: this.fallback.hubLostSince,
      failingOver: this.losing,
    };
  }

  onChange(handler: (status: HubStatusInfo) => void): () => void {
    return this.changes.add(handler);
  }

  emit(): void {
    if (this.changes.size > 0) this.changes.emit(this.status);
  }

  private leaveIfStale(url: string, epoch: number): void {
    if (!this.book.isStale(epoch)) return;
    this.port.report(
      new HubError('HUB_EPOCH_STALE', `${url} reports epoch ${epoch}, below ${this.book.highestEpoch}; leaving it`, {
        retryable: true,
        details: { url, epoch },
      }),
    );
    this.port.connection.moveOn(CLIENT_CLOSE.STALE_EPOCH, 'hub epoch below the highest seen');
  }
}
