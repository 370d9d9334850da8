/**
 * posReference, the order's identity from the first save to Odoo: `NU/CFG{configId}/S{sessionId}/{timestamp}-{random}`
 * (reference-system.md §12, e.g. NU/CFG1/S42/1709123456789-3f7a). Clock and randomness are injected
 * so the domain stays pure and tests are deterministic.
 */
import { fail, ok, type DomainResult } from './result.js';

export interface PosReferenceSource {
  /** Epoch milliseconds (the Clock port's `now`). */
  readonly now: () => number;
  /** Uniform in [0, 1), like Math.random; only the first 16 bits are used. */
  readonly random: () => number;
}

export interface PosReferenceParts {
  readonly configId: number;
  readonly sessionId: number;
  readonly timestamp: number;
  readonly random: string;
}

const RANDOM_SPACE = 0x10000;
/** Our suffix is 4 lowercase hex digits; parsing also accepts other short alphanumeric suffixes a reference terminal may mint. */
const PATTERN = /^NU\/CFG([1-9]\d{0,9})\/S([1-9]\d{0,9})\/(\d{1,16})-([0-9A-Za-z]{1,32})$/;

export function formatPosReference(parts: PosReferenceParts): string {
  return `NU/CFG${parts.configId}/S${parts.sessionId}/${parts.timestamp}-${parts.random}`;
}

export function generatePosReference(ids: { configId: number; sessionId: number }, source: PosReferenceSource): string {
  const timestamp = Math.floor(source.now());
  const draw = Math.min(RANDOM_SPACE - 1, Math.max(0, Math.floor(source.random() * RANDOM_SPACE)));
  return formatPosReference({ configId: ids.configId, sessionId: ids.sessionId, timestamp, random: draw.toString(16).padStart(4, '0') });
}

export function parsePosReference(value: string): DomainResult<PosReferenceParts> {
  const match = PATTERN.exec(value);
  if (match === null) return fail('INVALID_MESSAGE', `"${value.slice(0, 140)}" is not a posReference of the form NU/CFG{configId}/S{sessionId}/{timestamp}-{random}.`);
  const [, configId, sessionId, timestamp, random] = match as unknown as [string, string, string, string, string];
  const parsed = { configId: Number(configId), sessionId: Number(sessionId), timestamp: Number(timestamp), random };
  if (!Number.isSafeInteger(parsed.timestamp)) return fail('INVALID_MESSAGE', `The timestamp of "${value}" is out of range.`);
  return ok(parsed);
}

export function isPosReference(value: string): boolean {
  return parsePosReference(value).ok;
}
