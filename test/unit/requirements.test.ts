// How far a project's requirements let a package go (Project.cappedMajor): the version an old API needs.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { capOf, Project } from '../../server/src/project/project';
import { parser } from './helpers';

test('a version specifier caps the major version, or allows any', () => {
  assert.equal(capOf('==1.22.2'), 1);
  assert.equal(capOf('<2'), 1);
  assert.equal(capOf('<2.0'), 1);
  assert.equal(capOf('<2.1'), 2);
  assert.equal(capOf('<=1.34'), 1);
  assert.equal(capOf('~=1.34'), 1);
  assert.equal(capOf('>=1.20,<2'), 1);
  assert.equal(capOf('>=1.20'), null);
  assert.equal(capOf('*'), null);
  assert.equal(capOf(''), null);
});

test('requirements are read from requirements files, Pipfile and pyproject; an uncapped one wins', async () => {
  const project = async (files: Record<string, string>) => {
    const read = (f: string) => files[path.relative('/ws', f)] ?? null;
    const list = (d: string) => {
      const rel = path.relative('/ws', d);
      const names = Object.keys(files)
        .filter(f => path.dirname(f) === (rel || '.'))
        .map(f => path.basename(f));
      return names.length ? names : null;
    };
    return new Project('/ws', await parser(), read, null, { list });
  };
  const pipfile = await project({ Pipfile: '[dev-packages]\npytest-xdist = "==1.34.0"\n' });
  assert.equal(pipfile.cappedMajor('pytest-xdist'), 1);
  const pyproject = await project({ 'pyproject.toml': '[project]\ndependencies = ["pytest-xdist[psutil]<2"]\n' });
  assert.equal(pyproject.cappedMajor('pytest-xdist'), 1);
  const loose = await project({
    'requirements/ci.txt': 'pytest-xdist==1.22.2\n',
    'requirements-dev.txt': 'pytest-xdist\n',
  });
  assert.equal(loose.cappedMajor('pytest-xdist'), null);
  const none = await project({ 'requirements.txt': 'pytest\n' });
  assert.equal(none.cappedMajor('pytest-xdist'), null);
});
