import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import vue from 'eslint-plugin-vue';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
    rules: {
      // Template line layout is left to the author.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/block-lang': ['error', { script: { lang: 'ts' } }],
      'vue/define-props-declaration': ['error', 'type-based'],
      'vue/define-emits-declaration': ['error', 'type-based'],
    },
  },
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['agent-ui/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  // Imports point down: shared ← telephony ← server, shared ← agent-ui; features never reach up
  // to the app that wires them.
  ...floors([
    {
      files: ['shared/**/*.ts'],
      forbid: [
        '@ringside/telephony',
        '@ringside/telephony/*',
        '@ringside/server',
        '@ringside/server/*',
        'mongoose',
        'mongodb',
        '**/telephony/**',
        '**/server/**',
        '**/agent-ui/**',
      ],
      why: 'shared is the bottom floor: it imports no other workspace and no database code',
    },
    {
      files: ['telephony/**/*.ts'],
      forbid: ['@ringside/server', '@ringside/server/*', 'mongoose', 'mongodb', '**/server/**', '**/agent-ui/**'],
      why: 'telephony knows nothing of the server or the database',
    },
    {
      files: ['agent-ui/src/**/*.{ts,vue}'],
      forbid: [
        '@ringside/telephony',
        '@ringside/telephony/*',
        '@ringside/server',
        '@ringside/server/*',
        'mongoose',
        'mongodb',
        '**/server/**',
        '**/telephony/**',
      ],
      why: 'the console builds on shared only',
    },
    {
      files: ['server/src/*/**/*.ts'],
      ignores: ['server/src/testing/**'],
      forbid: ['**/app', '**/app.ts', '**/main', '**/main.ts', '**/server', '**/server.ts'],
      why: 'features are wired by app.ts and main.ts, never the other way round',
    },
    // Last, so that it is the rule for schema files (a later block replaces an earlier one's rule).
    {
      files: ['server/src/db/schemas/**/*.ts'],
      forbid: ['../**', '@ringside/telephony', '@ringside/telephony/*'],
      why: 'schemas sit below the features: they import mongoose and shared, nothing else',
    },
  ]),
  // Layout is Prettier's (npm run format); ESLint keeps to what code means.
  prettier,
);

/** One `no-restricted-imports` block per floor of the layering. */
function floors(rules) {
  return rules.map(({ files, ignores = [], forbid, why }) => ({
    files,
    ignores,
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: forbid, message: why }] }] },
  }));
}
