// `crosstalk project` on the fixture workspaces: each expected-project.json (test/fixtures/projects/
// README.md says how it is written) is what the command must print for the file it names. A cache's
// `reason` must point at the same file and line; its words are Crosstalk's own.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { main } from '../../server/src/cli/main';
import { ROOT } from './helpers';

const PROJECTS = path.join(ROOT, 'test/fixtures/projects');

async function project(dir: string, target: string): Promise<Record<string, unknown>> {
  const out: string[] = [];
  const err: string[] = [];
  const before = process.cwd();
  process.chdir(dir);
  try {
    const code = await main(
      ['project', target, '--format', 'json'],
      s => out.push(s),
      s => err.push(s),
    );
    assert.equal(code, 0, err.join('\n'));
  } finally {
    process.chdir(before);
  }
  return JSON.parse(out.join('\n'));
}

/** A reason compares by where it points (`file:line`), not by its wording. */
function comparable(model: Record<string, unknown>): Record<string, unknown> {
  const caches = model.caches as Record<string, { reason?: string }>;
  for (const c of Object.values(caches)) if (c.reason) c.reason = c.reason.split(' ')[0];
  return model;
}

for (const name of fs.readdirSync(PROJECTS).sort()) {
  const expectedFile = path.join(PROJECTS, name, 'expected-project.json');
  if (!fs.existsSync(expectedFile)) continue;
  test(`crosstalk project: ${name}`, async () => {
    const { for: target, ...expected } = JSON.parse(fs.readFileSync(expectedFile, 'utf8'));
    const actual = await project(path.join(PROJECTS, name), target);
    assert.deepEqual(comparable(actual), comparable(expected));
  });
}
