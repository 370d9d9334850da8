// Bundles the terminal page (src/terminal-app/main.ts, with the SDK, domain and protocol it imports)
// into src/public/terminal/app.js, the file the hub serves at /terminal/app.js. The bundle is a build
// artefact (git-ignored): `npm run build:terminal`, `npm run build`, and the e2e tests produce it.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * zod's `z` namespace re-exports every message locale (~250 kB minified) that nothing on the page
 * uses; keep English only. zod configures English itself, so messages are unchanged.
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

export async function buildTerminal({ minify = true } = {}) {
  const result = await build({
    entryPoints: [join(root, 'src/terminal-app/main.ts')],
    outfile: join(root, 'src/public/terminal/app.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome87', 'safari14', 'firefox78'],
    minify,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    plugins: [zodEnglishOnly],
  });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  return { outfile: 'src/public/terminal/app.js', bytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { outfile, bytes } = await buildTerminal();
  console.log(`built ${outfile} (${(bytes / 1024).toFixed(1)} kB)`);
}
