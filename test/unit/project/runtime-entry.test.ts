/**
 * The hub runs from its TypeScript sources through tsx everywhere it is started, so the package.json
 * "imports" aliases (#protocol/* → ./src/protocol/*) always resolve: there is no compiled dist/ whose
 * imports would point back at .ts files. This pins each start path and each alias target.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; imports: Record<string, string> };

describe('how the hub is started', () => {
  it('every start path runs src/main.ts through tsx, and no script compiles to dist/', () => {
    expect(pkg.scripts.start).toBe('node --import tsx src/main.ts');
    expect(read('Dockerfile')).toContain('CMD ["node", "--import", "tsx", "src/main.ts"]');
    expect(read('deploy/pos-hub.service')).toMatch(/^ExecStart=@NODE@ --import tsx @APP_DIR@\/src\/main\.ts$/m);
    expect(pkg.scripts.build).toBe('node scripts/build-web.mjs');
    for (const [name, command] of Object.entries(pkg.scripts))
      expect(command, name).not.toMatch(/tsconfig\.build|outDir|dist\//);
  });

  it('every "imports" alias points at source that exists', () => {
    for (const [alias, target] of Object.entries(pkg.imports)) {
      expect(target.startsWith('./src/'), alias).toBe(true);
      const path = join(ROOT, target.replace(/\*$/, '').replace(/\.js$/, '.ts'));
      expect(existsSync(path), `${alias} → ${target}`).toBe(true);
    }
  });
});
