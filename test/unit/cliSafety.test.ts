// The CLI on a hostile tree: symbolic links out of its root and in loops, unreadable files, a FIFO
// named on the command line, and the promise that nothing is written without --fix.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../server/src/cli/main';

const HAZARD = 'import os\n\n\ndef test_x():\n    os.listdir("/tmp")\n';
const CACHE =
  'from django.core.cache import cache\nfrom django.test import TestCase\n\n\nclass T(TestCase):\n    def test_c(self):\n        cache.set("k", 1)\n        self.assertEqual(cache.get("k"), 1)\n\n    def test_d(self):\n        self.assertIsNone(cache.get("k"))\n';
let root: string, outside: string;

async function run(...args: string[]) {
  const out: string[] = [],
    err: string[] = [];
  const code = await main(
    args,
    s => out.push(s),
    s => err.push(s),
  );
  return { code, out: out.join('\n'), err };
}

/** Every file and link under `dir` with its content hash (links by target): what the tree looks like. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) out[p] = `-> ${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) visit(p);
      else if (e.isFile())
        out[p] = createHash('sha1').update(fs.readFileSync(p)).digest('hex') + ` ${fs.statSync(p).mtimeMs}`;
      else out[p] = 'special';
    }
  };
  visit(dir);
  return out;
}

before(() => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-safety-'));
  root = path.join(base, 'project');
  outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(outside, 'tests'), { recursive: true });
  fs.writeFileSync(path.join(outside, 'tests', 'test_outside.py'), HAZARD);
  fs.writeFileSync(path.join(outside, 'test_secret.py'), HAZARD);
  fs.mkdirSync(path.join(root, 'tests', 'deep'), { recursive: true });
  fs.writeFileSync(path.join(root, 'pytest.ini'), '[pytest]\n');
  fs.writeFileSync(path.join(root, 'tests', 'test_inside.py'), HAZARD);
  fs.writeFileSync(path.join(root, 'tests', 'test_cache.py'), CACHE);
  fs.symlinkSync(outside, path.join(root, 'tests', 'linked_dir')); // a directory out of the root
  fs.symlinkSync(path.join(outside, 'test_secret.py'), path.join(root, 'tests', 'test_link.py')); // a file out of the root
  fs.symlinkSync(path.join(root, 'tests'), path.join(root, 'tests', 'deep', 'loop')); // a loop
  fs.symlinkSync(path.join(root, 'nowhere'), path.join(root, 'tests', 'test_dangling.py')); // a dangling link
});

after(() => {
  fs.rmSync(path.dirname(root), { recursive: true, force: true });
});

test('a walk never follows links: not out of the root, not round a loop, not to nowhere', async () => {
  const r = await run('check', root, '--format', 'json');
  assert.equal(r.code, 1, r.err.join('\n'));
  const files = [...new Set((JSON.parse(r.out) as { filename: string }[]).map(f => path.basename(f.filename)))].sort();
  assert.deepEqual(files, ['test_cache.py', 'test_inside.py']);
  assert.deepEqual(r.err, []);
});

test('nothing is written without --fix, whatever the format or --unsafe-fixes alone', async () => {
  const before = snapshot(path.dirname(root));
  for (const args of [
    [],
    ['--format', 'json'],
    ['--format', 'sarif'],
    ['--unsafe-fixes'],
    ['--select', 'XT003', '--unsafe-fixes'],
  ]) {
    const r = await run('check', root, ...args);
    assert.ok(r.code === 1, `${args.join(' ')}: exit ${r.code}`);
  }
  assert.deepEqual(snapshot(path.dirname(root)), before);
});

test('--fix writes only inside the root: files reached through links stay as they were', async () => {
  const before = snapshot(outside);
  const r = await run('check', root, '--fix', '--unsafe-fixes');
  assert.ok([0, 1].includes(r.code), r.err.join('\n'));
  assert.deepEqual(snapshot(outside), before);
  assert.match(fs.readFileSync(path.join(root, 'tests', 'test_inside.py'), 'utf8'), /tmp_path/);
  assert.ok(fs.existsSync(path.join(root, 'conftest.py')), 'the project-wide fix (XT003) made the root conftest.py');
  fs.writeFileSync(path.join(root, 'tests', 'test_inside.py'), HAZARD);
  fs.rmSync(path.join(root, 'conftest.py'));
  fs.writeFileSync(path.join(root, 'tests', 'test_cache.py'), CACHE);
});

test('an unreadable file is one line on stderr, exit 1, and the other files are still checked', async () => {
  // as root, permissions do not stop a read: /proc/self/mem refuses it (EIO) whoever asks
  const unreadable = path.join(root, 'tests', 'test_unreadable.py');
  let named: string;
  if (process.getuid?.() === 0) {
    named = '/proc/self/mem';
  } else {
    fs.writeFileSync(unreadable, HAZARD);
    fs.chmodSync(unreadable, 0);
    named = unreadable;
  }
  try {
    const r = await run('check', root, named, '--format', 'json');
    assert.equal(r.code, 1);
    assert.equal(r.err.length, 1, r.err.join('\n'));
    assert.match(r.err[0]!, /^crosstalk: .*(test_unreadable\.py|mem): (EIO|EACCES)$/);
    assert.ok((JSON.parse(r.out) as unknown[]).length >= 2, 'the readable files were checked');
  } finally {
    fs.rmSync(unreadable, { force: true });
  }
});

test('a FIFO named on the command line is refused, not read forever', async () => {
  const fifo = path.join(root, 'tests', 'test_fifo.py');
  execFileSync('mkfifo', [fifo]);
  try {
    const r = await run('check', fifo);
    assert.equal(r.code, 1);
    assert.deepEqual(
      r.err.map(l => l.replace(/^.*test_fifo\.py/, 'FIFO')),
      ['FIFO: not a regular file'],
    );
    // in a walk it is passed over, as any other special file
    assert.equal((await run('check', root)).err.length, 0);
  } finally {
    fs.rmSync(fifo);
  }
});
