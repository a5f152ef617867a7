// ESLint flat config: typescript-eslint's recommended rules (syntax only, no type information,
// so linting stays fast and needs no project build).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'test-results/',
      'playwright-report/',
      'docs/api/',
      'e2e-artifacts/',
      'coverage/',
      'bench/.out/',
      '.tmp/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed names mark parameters kept for a signature's sake.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The SDK runs in browsers only; so do the demo and the pages' scripts (plain JS under e2e/,
    // except the Node-side harness in e2e/support/, and the benchmarks' pages/).
    files: [
      'src/**/*.ts',
      'demo/**/*.{js,mjs,ts}',
      'e2e/**/*.{js,mjs}',
      'bench/**/pages/**/*.{js,mjs}',
    ],
    ignores: ['e2e/support/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Tooling, servers, tests and Playwright specs run in Node.
    files: [
      '*.{js,mjs,cjs,ts}',
      '{scripts,bench,server,test}/**/*.{js,mjs,cjs,ts}',
      'e2e/**/*.ts',
      'e2e/support/**/*.{js,mjs}',
    ],
    ignores: ['bench/**/pages/**'],
    languageOptions: { globals: { ...globals.node } },
  },
);
