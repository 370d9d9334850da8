/**
 * Issue 13, item 5: the Prometheus config shipped in deploy/ documents the bearer token /metrics needs
 * when HUB_METRICS_TOKEN is set, and that block, uncommented, is a config promtool accepts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('Prometheus with HUB_METRICS_TOKEN', () => {
  it('documents the authorization block, and promtool accepts it uncommented', () => {
    const shipped = readFileSync(join(ROOT, 'deploy', 'prometheus.yml'), 'utf8');
    expect(shipped).toMatch(/#\s*authorization:\n\s*#\s*type: Bearer\n\s*#\s*credentials_file: \S+/);
    const dir = mkdtempSync(join(tmpdir(), 'pos-hub-prom-'));
    try {
      const tokenFile = join(dir, 'pos-hub-metrics-token');
      writeFileSync(tokenFile, 'scrape-token\n');
      const enabled = shipped
        .replace(/# authorization:/, 'authorization:')
        .replace(/# (\s*)type: Bearer/, '$1type: Bearer')
        .replace(/# (\s*)credentials_file: \S+/, `$1credentials_file: ${tokenFile}`);
      expect(enabled).toMatch(/^ {4}authorization:\n {6}type: Bearer\n {6}credentials_file: /m);
      const file = join(dir, 'prometheus.yml');
      writeFileSync(file, enabled);
      const out = execFileSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
      expect(out).toContain('SUCCESS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
