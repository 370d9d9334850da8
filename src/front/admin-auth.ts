/**
 * Bearer-token checks for the admin surface (dashboard, /api/state, /api/devices, reset) and /metrics.
 * Tokens are compared as SHA-256 digests with timingSafeEqual, so neither length nor content leaks
 * through timing and no input (any length, any bytes) can throw; wrong guesses are limited per address.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../ports/clock.js';

const WINDOW_MS = 60_000;
/** Bound on remembered addresses, so a flood of spoofed sources cannot grow memory without end. */
const MAX_ADDRESSES = 10_000;

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** True when `presented` equals `expected`; an empty expected token matches nothing. */
export function tokenMatches(presented: string, expected: string): boolean {
  if (expected === '') return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header, '' when absent or another scheme. */
export function bearerOf(header: string | undefined): string {
  const match = /^Bearer[ \t]+(.*)$/i.exec(header ?? '');
  return match?.[1]?.trim() ?? '';
}

export type AdminCheck = 'ok' | 'disabled' | 'wrong' | 'limited';

export interface AdminGate {
  /** Check a presented token for an address; counts failures and refuses while over the limit. */
  check(presented: string, address: string): AdminCheck;
}

export function createAdminGate(options: { readonly token: string; readonly maxFailures: number; readonly clock: Clock }): AdminGate {
  const failures = new Map<string, { count: number; windowStart: number }>();
  return {
    check(presented, address) {
      if (options.token === '') return 'disabled';
      const now = options.clock.now();
      let entry = failures.get(address);
      if (entry !== undefined && now - entry.windowStart >= WINDOW_MS) {
        failures.delete(address);
        entry = undefined;
      }
      // Over the limit even the right token waits for the window: a guesser learns nothing from a hit.
      if (entry !== undefined && entry.count >= options.maxFailures) return 'limited';
      if (tokenMatches(presented, options.token)) return 'ok';
      if (entry === undefined) {
        if (failures.size >= MAX_ADDRESSES) {
          const oldest = failures.keys().next();
          if (!oldest.done) failures.delete(oldest.value);
        }
        entry = { count: 0, windowStart: now };
        failures.set(address, entry);
      }
      entry.count += 1;
      return 'wrong';
    },
  };
}
