// typescript-eslint over the TypeScript of the engine, the hosts, the client and the tests; Prettier
// formats (`npm run format`), so no stylistic rule here but the line length Prettier cannot fix
// (comments, strings, regular expressions).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/out/**',
      'node_modules/**',
      'test/fixtures/**',
      'test/e2e/workspace/**',
      'test/proof/project/**',
      'examples/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'max-len': [
        'error',
        { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true },
      ],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // a test that reads past what it asserted fails with a TypeError: as good as an assertion there
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
        exports: 'writable',
        document: 'readonly', // in functions the screenshots run in the page
      },
    },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      'max-len': [
        'error',
        { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true },
      ],
    },
  },
);
