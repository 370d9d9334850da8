/**
 * posReference in the reference format NU/CFG{configId}/S{sessionId}/{timestamp}-{random}, minted
 * from an injected clock and random source, and parsed back.
 */
import { describe, expect, it } from 'vitest';
import { generatePosReference, isPosReference, parsePosReference } from '../../../src/domain/index.js';

describe('posReference', () => {
  it('is generated in the reference format from the injected clock and random source', () => {
    const ref = generatePosReference({ configId: 1, sessionId: 42 }, { now: () => 1709123456789, random: () => 0x3f7a / 0x10000 });
    expect(ref).toBe('NU/CFG1/S42/1709123456789-3f7a');
  });

  it('pads the random part to 4 hex digits and clamps the random source', () => {
    expect(generatePosReference({ configId: 2, sessionId: 7 }, { now: () => 5, random: () => 0 })).toBe('NU/CFG2/S7/5-0000');
    expect(generatePosReference({ configId: 2, sessionId: 7 }, { now: () => 5, random: () => 1 })).toBe('NU/CFG2/S7/5-ffff');
  });

  it('parses its parts back, and round-trips', () => {
    const parsed = parsePosReference('NU/CFG1/S42/1709123456789-3f7a');
    expect(parsed).toEqual({ ok: true, value: { configId: 1, sessionId: 42, timestamp: 1709123456789, random: '3f7a' } });
    const again = generatePosReference({ configId: 9, sessionId: 3 }, { now: () => 1700000000000, random: () => 0.5 });
    expect(parsePosReference(again)).toMatchObject({ ok: true, value: { configId: 9, sessionId: 3, timestamp: 1700000000000, random: '8000' } });
  });

  it('refuses what is not in the format', () => {
    for (const bad of ['', 'NU/CFG1/S42/1709123456789', 'NU/CFG0/S42/1-3f7a', 'XX/CFG1/S42/1-3f7a', 'NU/CFG1/S42/1-3f7a/extra', 'NU/CFG1/S/1-3f7a', 'NU/CFG1/S42/12345678901234567-ab']) {
      expect(isPosReference(bad), bad).toBe(false);
      expect(parsePosReference(bad)).toMatchObject({ ok: false, code: 'INVALID_MESSAGE' });
    }
  });
});
