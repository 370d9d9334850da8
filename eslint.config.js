// Lint: type-aware rules (floating promises, exhaustive switches) and the import boundaries of
// shared/STYLE.md — protocol ← domain ← actors ← workers/front ← main; adapters at the edges.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Build a no-restricted-imports rule forbidding the given folders (and node: where asked). Forbidding a
 * folder under src/ also forbids its package.json `imports` alias (`#adapters/…` for the adapters
 * folder): a glob cannot start with `#`, so aliases are matched by regex.
 */
const ALIASES = ['protocol', 'domain', 'ports', 'threads', 'adapters', 'config'];
function boundary(message, patterns) {
  const aliases = ALIASES.filter((dir) => patterns.some((p) => p === `**/${dir}/**` || p === `**/${dir}*`)).map((dir) => ({ regex: `^#${dir}(/|$)`, message }));
  const sqlite = patterns.includes('**/adapters/sqlite/**') ? [{ regex: '^#adapters/sqlite/', message }] : [];
  return { 'no-restricted-imports': ['error', { patterns: [...patterns.map((group) => ({ group: [group], message })), ...aliases, ...sqlite] }] };
}
const NODE = ['node:*', 'fs', 'path', 'os', 'worker_threads', 'child_process', 'http', 'net', 'crypto'];
const pureCore = (what) =>
  boundary(`${what} is pure: no I/O, no node: modules, no adapters, workers, front or main.`, [
    ...NODE,
    '**/adapters/**',
    '**/workers/**',
    '**/front/**',
    '**/main*',
    'uWebSockets.js',
    'better-sqlite3',
    'pino',
    'prom-client',
  ]);

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'bench/results/**', '.test-results/**', 'test-artifacts/**', 'src/public/**', 'eslint.config.js', 'bin/**', 'scripts/**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...[...NODE, '../*', '!./*'].map((group) => ({ group: [group], message: 'src/protocol is browser-safe and imports nothing of ours but itself.' })),
            { regex: '^#', message: 'src/protocol is browser-safe and imports nothing of ours but itself.' },
          ],
        },
      ],
    },
  },
  { files: ['src/domain/**/*.ts'], rules: pureCore('src/domain') },
  {
    // The thread contract is the seam the front, the workers, the actors and the store all import:
    // it may depend on protocol and ports only, never on a side of the seam.
    files: ['src/threads/**/*.ts'],
    rules: boundary('src/threads is the thread contract: protocol and ports only, no node: modules, no side of the seam.', [
      ...NODE,
      '**/adapters/**',
      '**/workers/**',
      '**/front/**',
      '**/actors/**',
      '**/domain/**',
      '**/config*',
      '**/main*',
      'uWebSockets.js',
      'better-sqlite3',
    ]),
  },
  { files: ['actors/**/*.ts'], rules: pureCore('actors/') },
  {
    files: ['src/client/**/*.ts'],
    rules: boundary('src/client is the browser SDK: protocol and domain only, no node: modules.', [...NODE, '**/adapters/**', '**/workers/**', '**/front/**', '**/main*', '../../actors/**']),
  },
  {
    files: ['src/terminal-app/**/*.ts'],
    rules: boundary('src/terminal-app is the terminal page: SDK, domain and protocol only, no node: modules.', [...NODE, '**/adapters/**', '**/workers/**', '**/front/**', '**/main*', '**/odoo-sim/**', '../../actors/**']),
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: boundary('Adapters depend on their library and on ports, never on the front, workers, actors or main.', ['**/front/**', '**/workers/**', '**/actors/**', '**/main*']),
  },
  {
    files: ['src/front/**/*.ts'],
    rules: boundary('The front thread never runs actors or worker code and never touches SQLite; it speaks to workers through src/threads; only main composes.', [
      '**/actors/**',
      '**/workers/**',
      'better-sqlite3',
      '**/adapters/sqlite/**',
      '**/main*',
    ]),
  },
  {
    files: ['workers/**/*.ts'],
    rules: boundary('Workers never touch sockets.', ['uWebSockets.js', '**/adapters/uws/**', '**/front/**', '**/main*']),
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
