/**
 * `pos-hub doctor`'s TLS line: whether terminals get wss://, and the certificate's health — the files
 * load and match, the names it covers, the key pin to give terminals, and a warning a month before it
 * expires (an expired venue certificate takes every tablet offline at once).
 */
import { loadTlsIdentity } from '../adapters/tls/identity.js';
import type { Config } from '../config.js';
import type { CheckResult } from './doctor-checks.js';

const DAY_MS = 24 * 60 * 60 * 1000;
export const TLS_EXPIRY_WARNING_DAYS = 30;

export function checkTls(config: Config, now: Date): CheckResult {
  if (config.HUB_TLS_CERT === '') {
    return { status: 'WARN', name: 'tls', detail: 'off: terminals send their tokens over ws:// (docs/tls.md, scripts/venue-cert.sh)' };
  }
  try {
    const id = loadTlsIdentity(config.HUB_TLS_CERT, config.HUB_TLS_KEY, now);
    const days = Math.floor((id.notAfter.getTime() - now.getTime()) / DAY_MS);
    const summary = `wss on :${config.HUB_TLS_PORT} for ${id.names.join(', ')}; key pin sha256/${id.keyPin}`;
    if (days < TLS_EXPIRY_WARNING_DAYS) {
      return { status: 'WARN', name: 'tls', detail: `${summary}; expires in ${days} day${days === 1 ? '' : 's'} — renew with scripts/venue-cert.sh --keep-key` };
    }
    return { status: 'PASS', name: 'tls', detail: `${summary}; valid until ${id.notAfter.toISOString().slice(0, 10)}` };
  } catch (error) {
    return { status: 'FAIL', name: 'tls', detail: error instanceof Error ? error.message : String(error) };
  }
}
