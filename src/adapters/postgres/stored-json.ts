/**
 * Reading a JSON value back from Postgres without trusting it, as the SQLite store does: scanned against
 * the frame limits first (a value too deep would crash whoever sends it on), prototype keys dropped, and
 * a value that fails either is quarantined — reported once — and reads as absent.
 */
import type { QuarantineKind, QuarantinedRecord } from '../../ports/metrics.js';
import { dropPrototypeKeys, scanJsonText, type FrameLimits } from '../../protocol/frame-limits.js';

export const UNREADABLE = Symbol('unreadable');

export class StoredJsonReader {
  private readonly quarantine = new Map<string, QuarantinedRecord>();

  constructor(
    private readonly limits: FrameLimits,
    private readonly onQuarantine: (record: QuarantinedRecord) => void,
  ) {}

  read<T>(text: string | null, kind: QuarantineKind, key: string): T | null | typeof UNREADABLE {
    if (text === null) return null;
    const breach = scanJsonText(text, this.limits);
    if (breach !== null) return this.quarantined({ kind, key, reason: breach.code });
    try {
      return dropPrototypeKeys(JSON.parse(text) as T);
    } catch {
      return this.quarantined({ kind, key, reason: 'BAD_JSON' });
    }
  }

  private quarantined(record: QuarantinedRecord): typeof UNREADABLE {
    const id = `${record.kind}:${record.key}`;
    if (!this.quarantine.has(id)) {
      this.quarantine.set(id, record);
      this.onQuarantine(record);
    }
    return UNREADABLE;
  }

  records(): QuarantinedRecord[] {
    return [...this.quarantine.values()];
  }
}
