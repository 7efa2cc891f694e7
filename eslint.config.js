// The repo's one lint configuration (ESLint flat config), run by `npm run lint` and by `npm test`.
// TypeScript rules everywhere; Solid's reactivity rules and the JSX accessibility rules on the call
// page. Rules that need type information are left out: they would double the lint time on two cores
// for what `npm run typecheck` already checks.
import js from '@eslint/js';
import jsxA11y from 'eslint-plugin-jsx-a11y';
import solid from 'eslint-plugin-solid/configs/typescript';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/', '**/dist/', '**/.lab/', '**/test-results/', '**/playwright-report/', 'proto/src/generated/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_`-prefixed names are deliberately unused (callback positions, destructured-away fields).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['client/src/**/*.{ts,tsx}'],
    ...solid,
    ...jsxA11y.flatConfigs.recommended,
    plugins: { ...solid.plugins, ...jsxA11y.flatConfigs.recommended.plugins },
    rules: { ...solid.rules, ...jsxA11y.flatConfigs.recommended.rules },
    languageOptions: { ...jsxA11y.flatConfigs.recommended.languageOptions, globals: { ...globals.browser } },
  },
  {
    // Code that runs inside the browser pages the e2e suites drive (page.evaluate / addInitScript bodies).
    files: ['e2e/**/*.ts'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    // Playwright reads a fixture's dependencies from its first parameter's pattern: `{}` means none.
    rules: { 'no-empty-pattern': 'off' },
  },
  {
    // Plain scripts injected into the pages as they are (support/media/mediaProbe.browser.js): they
    // run in the browser only, and define the function the injecting code then calls.
    files: ['e2e/**/*.browser.js'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^install' }] },
  },
);
