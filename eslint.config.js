// ESLint flat config for treesync. Layering (conventions 1 and 2 of the house style) is enforced
// here per import and again, with import cycles, by scripts/check-layers.ts.
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import { builtinRules } from 'eslint/use-at-your-own-risk';
import tseslint from 'typescript-eslint';

const SOURCE = ['shared/**/*.ts', 'server/**/*.ts', 'client/**/*.ts'];

/** Bare builtin names (`fs`, `path`, ...) as well as every `node:` specifier. */
const nodeBuiltins = {
  regex: `^(node:.*|(${builtinModules.filter((m) => !m.startsWith('_')).join('|')})(/.*)?)$`,
  message: 'This layer runs in the browser too: no Node built-ins.',
};
const socketIo = {
  regex: '^socket\\.io(/.*)?$',
  message: 'Only server/socket-io.ts adapts socket.io.',
};
const socketIoClient = {
  regex: '^socket\\.io-client(/.*)?$',
  message: 'Only client/socket-io.ts adapts socket.io-client.',
};

/** Node's globals, for code that also runs in a browser. */
const NODE_GLOBALS = ['process', 'Buffer', 'global', '__dirname', '__filename', 'require', 'setImmediate', 'clearImmediate'];
/** The DOM's main globals, for code that also runs in Node. */
const DOM_GLOBALS = ['window', 'document', 'navigator', 'location', 'localStorage', 'sessionStorage', 'HTMLElement', 'Element'];
/** @type {(names: string[], where: string) => { name: string, message: string }[]} */
const globalsBanned = (names, where) => names.map((name) => ({ name, message: `${where} may not use ${name}.` }));
/**
 * eslint:recommended read from eslint itself, so that @eslint/js need not be a dependency: every
 * core rule marked recommended. typescript-eslint's configs, applied after it, switch off those
 * the compiler already checks. `builtinRules` is marked deprecated, but it is how eslint's own
 * package gives that list in ESLint 9; should it go, depend on @eslint/js instead.
 */
const eslintRecommended = Object.fromEntries(
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- see above
  [...builtinRules]
    .filter(([, rule]) => rule.meta?.docs?.recommended === true)
    .map(([name]) => [name, /** @type {const} */ ('error')]),
);

/** @typedef {{ regex: string, message: string }} RestrictedPattern */

/** @type {(layer: string, message: string) => RestrictedPattern} */
const pathTo = (layer, message) => ({ regex: `(^|/)${layer}(/|$)`, message });
/** @type {(from: string) => RestrictedPattern} */
const toServer = (from) => pathTo('server', `${from}/ may not import server/; share through shared/.`);
/** @type {(from: string) => RestrictedPattern} */
const toClient = (from) => pathTo('client', `${from}/ may not import client/; share through shared/.`);

/**
 * One layer's restrictions; a later config object replaces the rule whole, never merges it.
 * @type {(...patterns: RestrictedPattern[]) => import('eslint').Linter.RulesRecord}
 */
const restrict = (...patterns) => ({
  'no-restricted-imports': 'off',
  '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
});

export default defineConfig(
  {
    // The build, dependencies, generated bundles and scratch files (.gitignore's list).
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'examples/**/public/**', 'bench/.out/**', '.cache/**'],
  },
  { files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'], rules: eslintRecommended },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: {
          // Outside tsconfig.json's include. scripts/check-layers.ts is not listed: its test imports
          // it, which puts it in the project (and typescript-eslint refuses a file in both).
          allowDefaultProject: ['eslint.config.js', 'scripts/*.mjs'],
          defaultProject: 'tsconfig.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'No enum: use an `as const` object and a derived type.' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Numbers and booleans read fine in messages; objects and nullish values still fail.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      // `() => emit(x)` callbacks and `return this.flush()` in a void method are plain enough.
      '@typescript-eslint/no-confusing-void-expression': [
        'error',
        { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true },
      ],
      // Dict and list ops delete by a validated key (`isSafeKey`); a Map is not JSON.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // Both misfire on inference: `t.string<string>('cpu')` widens a literal default, and a
      // type parameter used once still narrows a key (`<P extends keyof E>(prop: P)`).
      '@typescript-eslint/no-unnecessary-type-arguments': 'off',
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-debugger': 'error',
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  // Library code never calls console.*: it takes an optional logger.
  { files: SOURCE, rules: { 'no-console': 'error' } },

  // Layering: shared/ is pure, server/ and client/ meet only in shared/, and each side adapts
  // socket.io in one file.
  {
    files: ['shared/**/*.ts'],
    rules: {
      ...restrict(nodeBuiltins, socketIo, socketIoClient, toServer('shared'), toClient('shared')),
      'no-restricted-globals': [
        'error',
        ...globalsBanned([...NODE_GLOBALS, ...DOM_GLOBALS], 'shared/ runs in Node and browsers and'),
      ],
    },
  },
  { files: ['server/**/*.ts'], rules: restrict(socketIo, socketIoClient, toClient('server')) },
  { files: ['server/socket-io.ts'], rules: restrict(socketIoClient, toClient('server')) },
  {
    files: ['client/**/*.ts'],
    rules: {
      ...restrict(nodeBuiltins, socketIo, socketIoClient, toServer('client')),
      'no-restricted-globals': ['error', ...globalsBanned(NODE_GLOBALS, 'client/ runs in browsers and')],
    },
  },
  { files: ['client/socket-io.ts'], rules: restrict(nodeBuiltins, socketIo, toServer('client')) },

  // Tests build raw wire data (JSON.parse) and assert on values the types cannot see through.
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  // Type tests declare values only to take `typeof` them.
  { files: ['test/**/*.test-d.ts'], rules: { '@typescript-eslint/no-unused-vars': 'off' } },
);
