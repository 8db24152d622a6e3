#!/usr/bin/env node
// Whether `crosstalk check --fix` leaves real suites passing their own lint gates: for every Python
// file the fixes changed, black, isort and flake8 (F401, E501, W29x, E30x) on the file before and
// after, each run as the suite configures it (from its root). A gate counts as broken by the fix where
// it finds more after than before (a formatter: more lines it would change).
//
//   node scripts/fix-gates.js ORIGINALS FIXED
//       ORIGINALS/<suite> as fetched; FIXED/<suite> a copy after `crosstalk check . --fix`.
//
// Needs black, isort and flake8 on PATH (Debian: apt-get install black isort flake8). Development
// script, not shipped; the suites stay out of the repository.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const [originals, fixed] = process.argv.slice(2);
if (!originals || !fixed) {
  console.error('usage: node scripts/fix-gates.js ORIGINALS FIXED');
  process.exit(2);
}

function pythonFiles(dir, base = dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
      pythonFiles(full, base, out);
    else if (entry.isFile() && entry.name.endsWith('.py')) out.push(path.relative(base, full));
  }
  return out;
}

/** How much a gate finds in `file` run from `root`: output lines of a diff, or violations. */
function measure(gate, root, file) {
  const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: 60000 });
  if (gate === 'black') {
    const r = run('black', ['--diff', '-q', file]);
    return r.stdout.split('\n').filter(l => /^[-+][^-+]/.test(l)).length;
  }
  if (gate === 'isort') {
    const r = run('isort', ['--diff', '--check-only', '--settings-path', root, file]);
    return r.stdout.split('\n').filter(l => /^[-+][^-+]/.test(l)).length;
  }
  const length = lineLength(root, path.dirname(path.join(root, file)));
  const r = run('flake8', ['--select', 'F401,E501,W291,W293,E301,E302,E303,E999', ...length, file]);
  return r.stdout.split('\n').filter(Boolean).length;
}

/** The line length the configuration nearest the file sets (ruff's or black's), for flake8's E501. */
function lineLength(root, dir) {
  for (let d = dir; d.startsWith(root); d = path.dirname(d)) {
    for (const name of ['pyproject.toml', 'setup.cfg', 'tox.ini', '.flake8', 'ruff.toml', '.ruff.toml']) {
      let text;
      try {
        text = fs.readFileSync(path.join(d, name), 'utf8');
      } catch {
        continue;
      }
      const m = /^\s*(?:max[-_])?line[-_]length\s*=\s*(\d+)/m.exec(text);
      if (m) return ['--max-line-length', m[1]];
    }
    if (d === root) break;
  }
  return [];
}

/** The gates a suite keeps: black and isort where its configuration names them; flake8 always. */
function gatesOf(root) {
  const read = f => {
    try {
      return fs.readFileSync(path.join(root, f), 'utf8');
    } catch {
      return '';
    }
  };
  const config = ['pyproject.toml', 'setup.cfg', 'tox.ini', '.pre-commit-config.yaml', '.isort.cfg']
    .map(read)
    .join('\n');
  const gates = [];
  if (/\[tool\.black\]|\bblack\b/.test(config)) gates.push('black');
  if (/\[tool\.isort\]|\[isort\]|\bisort\b|known.first.party/.test(config) || read('.isort.cfg')) gates.push('isort');
  gates.push('flake8');
  return gates;
}

const rows = [];
const broken = [];
for (const suite of fs.readdirSync(fixed).sort()) {
  const after = path.join(fixed, suite);
  const before = path.join(originals, suite);
  if (!fs.statSync(after).isDirectory() || !fs.existsSync(before)) continue;
  const changed = pythonFiles(after).filter(f => {
    try {
      return fs.readFileSync(path.join(after, f), 'utf8') !== fs.readFileSync(path.join(before, f), 'utf8');
    } catch {
      return false;
    }
  });
  if (changed.length === 0) continue;
  const gates = gatesOf(before);
  const counts = Object.fromEntries(gates.map(g => [g, 0]));
  for (const file of changed) {
    for (const gate of gates) {
      const was = measure(gate, before, file);
      const now = measure(gate, after, file);
      if (now > was) {
        counts[gate]++;
        broken.push(`${suite}\t${file}\t${gate}\t${was} -> ${now}`);
      }
    }
  }
  rows.push(`| ${suite} | ${changed.length} | ${gates.map(g => `${g} ${counts[g]}`).join(', ')} |`);
}
console.log('| suite | files changed | files a gate finds more in after the fix |');
console.log('|---|---|---|');
for (const row of rows) console.log(row);
console.log(`\n${broken.length} file-gate pairs worse after the fix`);
for (const line of broken) console.log(line);
