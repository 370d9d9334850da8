/**
 * The hub serves the terminal page and the SDK bundle from src/public through createStaticFiles:
 * right content types, index.html for directories (with a redirect to the trailing slash), nothing
 * outside the root however the path is spelled, and cache headers that keep tablets up to date.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaticFiles } from '../../../src/front/static-files.js';

let dir: string;
let root: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-static-'));
  root = join(dir, 'public');
  mkdirSync(join(root, 'terminal'), { recursive: true });
  mkdirSync(join(root, 'empty'), { recursive: true });
  writeFileSync(join(root, 'terminal', 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(root, 'terminal', 'app.js'), 'console.log(1);');
  writeFileSync(join(root, 'terminal', 'styles.css'), 'body{}');
  writeFileSync(join(root, 'terminal', 'sw.js'), 'self;');
  writeFileSync(join(root, 'terminal', 'my file.json'), '{}');
  writeFileSync(join(root, '.env'), 'SECRET=1');
  writeFileSync(join(dir, 'outside.txt'), 'secret');
  symlinkSync(join(dir, 'outside.txt'), join(root, 'link.txt'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('createStaticFiles', () => {
  it('serves files with their content types', () => {
    const files = createStaticFiles(root);
    const js = files.lookup('/terminal/app.js');
    expect(js?.status).toBe(200);
    expect(js?.contentType).toBe('text/javascript; charset=utf-8');
    expect(js?.body.toString()).toBe('console.log(1);');
    expect(files.lookup('/terminal/styles.css')?.contentType).toBe('text/css; charset=utf-8');
    expect(files.lookup('/terminal/my%20file.json')?.contentType).toBe('application/json; charset=utf-8');
  });

  it('serves index.html for a directory path and ignores the query string', () => {
    const files = createStaticFiles(root);
    const page = files.lookup('/terminal/?table=1&hub=ws://127.0.0.1:1');
    expect(page?.status).toBe(200);
    expect(page?.contentType).toBe('text/html; charset=utf-8');
    expect(page?.body.toString()).toContain('<title>t</title>');
  });

  it('redirects a directory without its trailing slash, keeping the query', () => {
    const files = createStaticFiles(root);
    const moved = files.lookup('/terminal?table=2');
    expect(moved?.status).toBe(301);
    expect(moved?.headers.Location).toBe('/terminal/?table=2');
  });

  it('returns null for missing files and directories without an index', () => {
    const files = createStaticFiles(root);
    expect(files.lookup('/terminal/nope.js')).toBeNull();
    expect(files.lookup('/empty/')).toBeNull();
    expect(files.lookup('not-a-path')).toBeNull();
    expect(files.lookup('/%E0%A4%A')).toBeNull();
  });

  it('never serves anything outside the root or a dotfile, however the path is spelled', () => {
    const files = createStaticFiles(root);
    for (const path of [
      '/../outside.txt',
      '/terminal/../../outside.txt',
      '/%2e%2e/outside.txt',
      '/terminal/%2e%2e%2f%2e%2e%2foutside.txt',
      '/..%5coutside.txt',
      '/terminal/..%2F..%2Foutside.txt',
      '/.env',
      '/%2eenv',
      '/terminal/app.js%00.html',
      '/link.txt',
    ]) {
      expect(files.lookup(path), path).toBeNull();
    }
  });

  it('sends no-cache for pages and the service worker, a short cache for assets, and an ETag everywhere', () => {
    const files = createStaticFiles(root);
    expect(files.lookup('/terminal/')?.headers['Cache-Control']).toBe('no-cache');
    expect(files.lookup('/terminal/sw.js')?.headers['Cache-Control']).toBe('no-cache');
    const js = files.lookup('/terminal/app.js');
    expect(js?.headers['Cache-Control']).toBe('public, max-age=60');
    expect(js?.headers.ETag).toMatch(/^"[\w-]+"$/);
    expect(js?.headers['X-Content-Type-Options']).toBe('nosniff');
  });

  it('answers 304 to a matching If-None-Match and re-reads a file that changed', () => {
    const files = createStaticFiles(root);
    const first = files.lookup('/terminal/app.js');
    const etag = first!.headers.ETag!;
    const notModified = files.lookup('/terminal/app.js', `W/"other", ${etag}`);
    expect(notModified?.status).toBe(304);
    expect(notModified?.body.length).toBe(0);

    const file = join(root, 'terminal', 'app.js');
    writeFileSync(file, 'console.log(22);');
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    const changed = files.lookup('/terminal/app.js', etag);
    expect(changed?.status).toBe(200);
    expect(changed?.body.toString()).toBe('console.log(22);');
    expect(changed?.headers.ETag).not.toBe(etag);
  });
});
