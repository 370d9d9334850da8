/**
 * Venue TLS files for tests, made by the script an IT person runs (scripts/venue-cert.sh, openssl):
 * a venue CA and a hub certificate for the given names, in a temp dir the caller removes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/venue-cert.sh', import.meta.url));

export interface VenueCert {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  /** base64 SHA-256 of the hub key's SPKI (nu_hub_key_pin without `sha256/`). */
  readonly pin: string;
  readonly ca: string;
  readonly output: string;
}

export function makeVenueCert(dir: string, names: readonly string[], extra: readonly string[] = []): VenueCert {
  const output = execFileSync('bash', [SCRIPT, '--dir', dir, ...extra, ...names], { encoding: 'utf8' });
  const pin = /^nu_hub_key_pin=sha256\/(\S+)$/m.exec(output)?.[1];
  if (!pin) throw new Error(`venue-cert.sh printed no pin:\n${output}`);
  const caFile = join(dir, 'venue-ca.crt');
  return { certFile: join(dir, 'hub.crt'), keyFile: join(dir, 'hub.key'), caFile, pin, ca: readFileSync(caFile, 'utf8'), output };
}
