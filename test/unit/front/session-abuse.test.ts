/**
 * The abuse count kept as two session fields (issue 16, idle footprint): the threshold within one window,
 * and a fresh count once the window has passed.
 */
import { describe, expect, it } from 'vitest';
import { ABUSE_LIMIT, ABUSE_WINDOW_MS, countAbuse } from '../../../src/front/session.js';
import { TerminalRegistry } from '../../../src/front/terminal-registry.js';

describe('countAbuse', () => {
  it('crosses the threshold at ABUSE_LIMIT frames within a window and starts over after it', () => {
    const session = new TerminalRegistry().newSession('json', '10.0.0.1', 1_000);
    for (let i = 1; i < ABUSE_LIMIT; i++) expect(countAbuse(session, 1_000 + i)).toBe(false);
    expect(countAbuse(session, 2_000)).toBe(true);
    const later = 1_000 + ABUSE_WINDOW_MS + 1;
    expect(countAbuse(session, later)).toBe(false);
    expect(session.abuseCount).toBe(1);
    expect(session.abuseWindowStart).toBe(later);
  });
});
