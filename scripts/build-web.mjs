// Bundles the browser code the hub serves from src/public/ (build artefacts, git-ignored):
//   sdk      src/client          → src/public/sdk/pos-hub-sdk.js   (ES module for any POS frontend)
//   terminal src/terminal-app    → src/public/terminal/app.js      (the terminal page)
// Platform "browser" with no Node shims: a node: import sneaking into either fails this build, not a till.
// `node scripts/build-web.mjs [sdk|terminal]` builds both by default; npm run demo/build and the e2e tests call it.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SDK_BUNDLE = join(root, 'src/public/sdk/pos-hub-sdk.js');
export const TERMINAL_BUNDLE = join(root, 'src/public/terminal/app.js');

/**
 * zod's `z` namespace re-exports every message locale (~250 kB minified) that nothing in the browser
 * uses; keep English only (zod configures English itself, so messages are unchanged).
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

/**
 * The SDK runs the order rules as plain functions (src/domain/order-ops.ts); XState is the hub's actor
 * runtime and the tests' model of an order, ~50 kB the terminals would download for nothing. An import of
 * it reaching the SDK graph fails the build here, naming the importer, not later as a bigger bundle.
 */
const noXstateInSdk = {
  name: 'no-xstate-in-sdk',
  setup(b) {
    b.onResolve({ filter: /^xstate(\/|$)/ }, (args) => ({
      errors: [{ text: `xstate must not reach the SDK bundle (imported by ${args.importer}); import the domain module you need, not src/domain/order.machine.ts` }],
    }));
  },
};

const common = { bundle: true, platform: 'browser', treeShaking: true, logLevel: 'warning', plugins: [zodEnglishOnly] };

export async function buildSdk({ outfile = SDK_BUNDLE, minify = true } = {}) {
  await build({
    ...common,
    entryPoints: [join(root, 'src/client/index.ts')],
    plugins: [...common.plugins, noXstateInSdk],
    outfile,
    format: 'esm',
    target: ['es2020', 'chrome90', 'firefox90', 'safari14'],
    minify,
    sourcemap: 'linked',
    legalComments: 'eof',
    banner: { js: '// pos-hub terminal SDK (browser ESM). Built by scripts/build-web.mjs from src/client; do not edit.' },
  });
  return { outfile, bytes: statSync(outfile).size };
}

export async function buildTerminal({ outfile = TERMINAL_BUNDLE, minify = true } = {}) {
  await build({
    ...common,
    entryPoints: [join(root, 'src/terminal-app/main.ts')],
    outfile,
    format: 'iife',
    target: ['es2020', 'chrome87', 'safari14', 'firefox78'],
    minify,
    sourcemap: false,
    legalComments: 'none',
  });
  return { outfile, bytes: statSync(outfile).size };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const which = process.argv[2] ?? 'all';
  const builders = { sdk: [buildSdk], terminal: [buildTerminal], all: [buildSdk, buildTerminal] }[which];
  if (!builders) {
    console.error(`usage: node scripts/build-web.mjs [sdk|terminal]  (got ${which})`);
    process.exit(2);
  }
  for (const b of builders) {
    const { outfile, bytes } = await b();
    console.log(`built ${outfile.slice(root.length + 1)} (${(bytes / 1024).toFixed(1)} kB)`);
  }
}
