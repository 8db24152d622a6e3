// The variables a CI file sets for its jobs (ciFileEnv): plain values only, one value per name.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { ciFileEnv } from '../../server/src/project/runConfig';

test('CI env: mappings of env/variables/environment; secrets, conflicts and the settings module left out', () => {
  const text = [
    'variables:',
    '  REDIS_URL: "redis://redis:6379/1"',
    '  # a comment line',
    '  DJANGO_SETTINGS_MODULE: site.settings',
    'jobs:',
    '  a:',
    '    environment:',
    "      MODE: 'one'",
    '      TOKEN: ${{ secrets.TOKEN }}',
    '      NESTED:',
    '        DEEPER: no',
    '      PLAIN: yes  # trailing comment',
    '    steps:',
    '      - env:',
    '          MODE: two',
    '        run: pytest',
  ].join('\n');
  const env = ciFileEnv(text, 'ci.yml');
  assert.deepEqual(
    [...env].map(([k, v]) => [k, v.value, v.at.line]),
    [
      ['REDIS_URL', 'redis://redis:6379/1', 1],
      ['PLAIN', 'yes', 11],
    ],
  );
});
