// ESLint flat config: typescript-eslint `recommended` (syntax only, no type information, so `npm run lint` stays fast).
// Run by `npm run lint` and by .ci/run after the type-check.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    // Build output, installed tools and the harness's downloads are not ours to lint.
    ignores: [
      'dist/**', 'out/**', 'node_modules/**', '.harness/**', '.vscode-test/**', 'test-results/**',
      'bench/results/**', 'training/data/**', 'training/runs/**', 'demo-output/**', 'models/**', '**/*.d.ts',
    ],
  },
  {
    files: ['**/*.{ts,mts,cts,js,mjs,cjs}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore marks a parameter or binding kept on purpose (interface shape, destructuring rest).
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_',
        destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true,
      }],
      // Stays an error: each `any` the code needs (onnxruntime's untyped corners) carries its own disable comment.
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // The comparison view runs in the browser (a VS Code webview), not in Node.
    files: ['webview/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Extension-host tests run under mocha's BDD interface (describe/it globals).
    files: ['test/vscode/**/*.ts'],
    languageOptions: { globals: { ...globals.node, ...globals.mocha } },
  },
);
