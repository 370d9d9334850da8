/**
 * The hub book: every hub this terminal has seen (configured, mDNS adverts, leaders named by NOT_LEADER,
 * the `hub` of AUTH_OK / HUB_STATUS) with its role and epoch, and the highest epoch seen. It orders the
 * candidates to dial after a hub is lost, and says when a hub is stale (its epoch is below the highest).
 * It is kept in the platform's storage next to the outbox, so a reloaded page still knows the hubs.
 */
import { z } from 'zod';
import type { HubIdentity } from '../protocol/hub-messages.js';
import type { ClientClock } from './deps.js';
import type { StorageLike } from './outbox-store.js';

export type HubRole = HubIdentity['role'];

export interface KnownHub {
  readonly url: string;
  readonly id: string | null;
  readonly role: HubRole | null;
  readonly epoch: number | null;
  /** Epoch ms of the last time this hub was heard of. */
  readonly seenAt: number;
}

export interface HubMemory {
  readonly hubs: readonly KnownHub[];
  readonly highestEpoch: number;
}

export interface HubBookStore {
  load(): HubMemory | null;
  save(memory: HubMemory): void;
}

export const HUB_BOOK_STORAGE_KEY = 'pos_sync_hubs';
/** A NOT_LEADER or an advert names a URL; a hostile hub could name thousands. Oldest are forgotten first. */
export const HUB_BOOK_LIMIT = 16;

const knownHubSchema = z.object({
  url: z
    .string()
    .regex(/^wss?:\/\//i)
    .max(2048),
  id: z.string().max(128).nullable(),
  role: z.enum(['leader', 'follower', 'standalone']).nullable(),
  epoch: z.number().int().min(0).nullable(),
  seenAt: z.number(),
});
const memorySchema = z.object({
  hubs: z.array(knownHubSchema).max(HUB_BOOK_LIMIT),
  highestEpoch: z.number().int().min(0),
});

/** Reads back only a well-formed memory: a corrupt value must not stop the terminal (it starts empty). */
export function parseHubMemory(raw: unknown): HubMemory | null {
  const parsed = memorySchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

export function memoryHubBookStore(
  initial: HubMemory | null = null,
): HubBookStore & { readonly memory: () => HubMemory | null } {
  let memory = initial;
  return { load: () => memory, save: (next) => (memory = next), memory: () => memory };
}

export function localStorageHubBookStore(storage: StorageLike, key: string = HUB_BOOK_STORAGE_KEY): HubBookStore {
  return {
    load() {
      const text = storage.getItem(key);
      if (text === null) return null;
      try {
        return parseHubMemory(JSON.parse(text));
      } catch {
        return null;
      }
    },
    save(memory) {
      try {
        storage.setItem(key, JSON.stringify(memory));
      } catch {
        // Storage full or blocked: the book still works for this page's life.
      }
    },
  };
}

/** localStorage when the platform has it (the outbox's storage), else memory. */
export function defaultHubBookStore(): HubBookStore {
  const storage = (globalThis as { localStorage?: StorageLike }).localStorage;
  if (storage) {
    try {
      storage.getItem(HUB_BOOK_STORAGE_KEY);
      return localStorageHubBookStore(storage);
    } catch {
      // Blocked storage (privacy mode): memory.
    }
  }
  return memoryHubBookStore();
}

const ROLE_RANK: Record<HubRole, number> = { leader: 0, standalone: 1, follower: 2 };

export class HubBook {
  private hubs: KnownHub[];
  private highest: number;
  /** The leader a NOT_LEADER named: dialled first on the next attempt. */
  private preferred: string | null = null;

  constructor(
    private readonly store: HubBookStore,
    private readonly clock: ClientClock,
  ) {
    const memory = store.load();
    this.hubs = memory ? [...memory.hubs] : [];
    this.highest = memory?.highestEpoch ?? 0;
  }

  get highestEpoch(): number {
    return this.highest;
  }

  list(): readonly KnownHub[] {
    return this.hubs;
  }

  find(url: string): KnownHub | undefined {
    return this.hubs.find((h) => h.url === url);
  }

  /** A hub is stale when it says (or is known to have) an epoch below the highest this terminal has seen. */
  isStale(epoch: number | null | undefined): boolean {
    return epoch !== null && epoch !== undefined && epoch < this.highest;
  }

  /**
   * Heard of a hub: a URL alone (configured), or with what is said of it. Only what a hub says of itself
   * on a signed-in socket (`confirmed`: AUTH_OK, HUB_STATUS) raises the highest epoch; an mDNS advert or a
   * NOT_LEADER's leader is a hint for the dialling order — a guest on the LAN advertising a huge epoch
   * must not make every real hub look stale.
   */
  note(
    url: string,
    identity: { readonly id?: string | null; readonly role?: HubRole | null; readonly epoch?: number | null } = {},
    confirmed = false,
  ): void {
    if (!/^wss?:\/\//i.test(url) || url.length > 2048) return;
    const before = this.find(url);
    const next: KnownHub = {
      url,
      id: identity.id ?? before?.id ?? null,
      role: identity.role ?? before?.role ?? null,
      epoch: identity.epoch ?? before?.epoch ?? null,
      seenAt: this.clock.now(),
    };
    this.hubs = [next, ...this.hubs.filter((h) => h.url !== url)];
    if (this.hubs.length > HUB_BOOK_LIMIT) {
      this.hubs = [...this.hubs].sort((a, b) => b.seenAt - a.seenAt).slice(0, HUB_BOOK_LIMIT);
    }
    // Only the epoch the hub stated now counts, never one merged in from an earlier hint.
    const stated = identity.epoch ?? null;
    if (confirmed && stated !== null && stated > this.highest) this.highest = stated;
    this.persist();
  }

  /** A NOT_LEADER named the leader (or null: none known now, try the best other hub). */
  follow(leader: { readonly url: string; readonly epoch: number } | null, from: string | null): void {
    if (leader !== null && leader.url !== from) {
      this.note(leader.url, { role: 'leader', epoch: leader.epoch });
      this.preferred = leader.url;
    } else {
      this.preferred = null;
    }
    if (from !== null) this.note(from, { role: 'follower' });
  }

  /**
   * The URLs to dial, in order: the leader a NOT_LEADER named, then the discovery list (override,
   * nu_hub_url, mDNS, fallback IP, page origin), then every other hub remembered — leaders and the
   * highest epochs first. Hubs known to be stale go last: they are still tried (a later takeover may
   * have moved them on), but AUTH_OK is checked before anything is synced from them.
   */
  order(discovered: readonly string[], avoid: string | null = null): string[] {
    const rank = (url: string): [number, number] => {
      const hub = this.find(url);
      return [hub?.role ? ROLE_RANK[hub.role] : 1, -(hub?.epoch ?? 0)];
    };
    const remembered = this.hubs.map((h) => h.url).filter((url) => !discovered.includes(url));
    remembered.sort((a, b) => {
      const [x, y] = [rank(a), rank(b)];
      return x[0] - y[0] || x[1] - y[1];
    });
    const all: string[] = [];
    for (const url of [this.preferred, ...discovered, ...remembered]) if (url && !all.includes(url)) all.push(url);
    const last = (url: string): boolean => url === avoid || this.isStale(this.find(url)?.epoch);
    return [...all.filter((url) => !last(url)), ...all.filter(last)];
  }

  private persist(): void {
    this.store.save({ hubs: this.hubs, highestEpoch: this.highest });
  }
}
