// Lint is a guardrail, not prose (CONVENTIONS.md habit 10): the boundaries
// between apps and libraries are encoded here so they check themselves.
import tseslint from 'typescript-eslint';
import jestPlugin from 'eslint-plugin-jest';

const appImports = ['**/apps/**', '#apps/*'];
const frameworks = ['@nestjs/*', 'typeorm', '@nestjs/typeorm', 'express', 'better-sqlite3', 'pg'];

/** One restricted-imports rule per area: libraries stay framework-free; vendor clients stay behind their facade. */
function restrict(extraPaths, extraPatterns) {
  return {
    'no-restricted-imports': [
      'error',
      {
        paths: extraPaths.map((name) => ({
          name,
          message: `${name} is only imported by its facade library`,
        })),
        patterns: extraPatterns,
      },
    ],
  };
}
const vendorOnly = ['modbus-serial', 'serialport', '@bacnet-js/client'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tmp/**', 'apps/web/dist/**', '*.config.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'separate-type-imports', disallowTypeAnnotations: false },
      ],
      // Decorated constructor parameters need value imports for Nest's reflection.
      '@typescript-eslint/no-extraneous-class': 'off',
      ...restrict(vendorOnly, []),
    },
  },
  {
    // Scripts start apps as processes; only e2e specs and benchmarks drive apps in-process.
    files: ['scripts/**/*.ts'],
    rules: restrict(vendorOnly, [
      { group: appImports, message: 'scripts start apps as processes, never import them' },
    ]),
  },
  {
    // Libraries hold the rules: no framework, no app, no vendor client outside its facade.
    files: ['libs/**/*.ts'],
    ignores: ['libs/modbus/**', 'libs/bacnet/**'],
    rules: restrict(
      [...vendorOnly, ...frameworks],
      [
        { group: appImports, message: 'a library never imports an app' },
        { group: ['@nestjs/*'], message: 'libraries never import NestJS' },
      ],
    ),
  },
  {
    files: ['libs/modbus/**/*.ts'],
    rules: restrict(
      ['@bacnet-js/client', ...frameworks],
      [
        { group: appImports, message: 'a library never imports an app' },
        { group: ['@nestjs/*'], message: 'libraries never import NestJS' },
      ],
    ),
  },
  {
    files: ['libs/bacnet/**/*.ts'],
    rules: restrict(
      ['modbus-serial', 'serialport', ...frameworks],
      [
        { group: appImports, message: 'a library never imports an app' },
        { group: ['@nestjs/*'], message: 'libraries never import NestJS' },
      ],
    ),
  },
  {
    // The benchmark's floor is the bare vendor clients, so only this file may import them outside their facades.
    files: ['bench/floor-clients.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['apps/controller/**/*.ts'],
    rules: restrict(vendorOnly, [
      {
        group: ['**/apps/simulator/**', '**/apps/cloud/**', '**/apps/web/**'],
        message: 'an app never imports another app',
      },
    ]),
  },
  {
    files: ['apps/simulator/**/*.ts'],
    rules: restrict(vendorOnly, [
      {
        group: ['**/apps/controller/**', '**/apps/cloud/**', '**/apps/web/**'],
        message: 'an app never imports another app',
      },
    ]),
  },
  {
    files: ['apps/cloud/**/*.ts'],
    rules: restrict(vendorOnly, [
      {
        group: ['**/apps/controller/**', '**/apps/simulator/**', '**/apps/web/**'],
        message: 'an app never imports another app',
      },
    ]),
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'],
    plugins: { jest: jestPlugin },
    rules: {
      ...jestPlugin.configs['flat/recommended'].rules,
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect', 'expect*'] }],
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
