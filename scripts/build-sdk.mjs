// Builds the terminal SDK (src/client) into one browser ES module the hub serves at
// /sdk/pos-hub-sdk.js (from src/public/sdk/). Platform "browser": no Node shims, so a node: import
// sneaking into the SDK fails this build rather than a terminal in the field.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SDK_BUNDLE = join(root, 'src/public/sdk/pos-hub-sdk.js');

/**
 * zod's `z` namespace re-exports every message locale (~250 kB minified) the SDK never uses; keep
 * English only (zod configures English itself, so messages are unchanged). Same trick as build-terminal.mjs.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

export async function buildSdk({ outfile = SDK_BUNDLE, minify = true } = {}) {
  await build({
    entryPoints: [join(root, 'src/client/index.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020', 'chrome90', 'firefox90', 'safari14'],
    minify,
    sourcemap: 'linked',
    treeShaking: true,
    legalComments: 'eof',
    logLevel: 'warning',
    plugins: [zodEnglishOnly],
    banner: { js: '// pos-hub terminal SDK (browser ESM). Built by scripts/build-sdk.mjs from src/client; do not edit.' },
  });
  return { outfile, bytes: statSync(outfile).size };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outfile, bytes } = await buildSdk();
  console.log(`built ${outfile} (${(bytes / 1024).toFixed(1)} kB)`);
}
