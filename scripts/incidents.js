#!/usr/bin/env node
// Measures Crosstalk's recall on the incident corpus (test/incidents/corpus.json).
//
//   node scripts/incidents.js [--split tuning|validation|all] [--cli PATH] [--out DIR]
//                             [--only ID] [--mirrors DIR] [--select CODES]
//
// For each incident: find the repository's fetched git mirror, export the whole tree at
// `before` and at `after` (cached per commit under --out), run the CLI on the incident's
// files in each tree, and compare the findings with the rules the incident expects.
//
// "Flagged before" means: a finding of an expected rule within ±2 lines of a hazard line
// ("line"), or anywhere in the top-level function or class that holds a hazard line
// ("scope"). XT003 is documented as reported once per module, so for it a finding anywhere
// in the file counts ("file"). "Quiet after" means: in the `after` tree, no finding of an
// expected rule within ±2 lines of where the hazard lines went (the diff maps them), nor in
// the function or class that now holds them (nor, for XT003, anywhere in the file).
//
// --select is passed to the CLI (`--select XT,XT071` adds the rules that are off by default).
//
// Development script, not shipped. Exits 0 whatever the figures.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const MODULE_RULES = new Set(['XT003']); // rules reported once per module, anywhere in it

function parseArgs(argv) {
  const opts = {
    split: 'all',
    cli: path.join(ROOT, 'bin', 'crosstalk.js'),
    out: '/work/eval/incidents/trees',
    only: null,
    mirrors: '/work/.mirror',
    corpus: path.join(ROOT, 'test', 'incidents', 'corpus.json'),
    select: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--split') opts.split = value();
    else if (arg === '--cli') opts.cli = path.resolve(value());
    else if (arg === '--out') opts.out = path.resolve(value());
    else if (arg === '--only') opts.only = value();
    else if (arg === '--mirrors') opts.mirrors = path.resolve(value());
    else if (arg === '--corpus') opts.corpus = path.resolve(value());
    else if (arg === '--select') opts.select = value();
    else if (arg === '-h' || arg === '--help') {
      console.log(
        'usage: node scripts/incidents.js [--split tuning|validation|all] [--cli PATH] [--out DIR] [--only ID] [--mirrors DIR] [--select CODES]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument: ${arg}`);
  }
  if (!['all', 'tuning', 'validation'].includes(opts.split)) throw new Error(`--split: ${opts.split}`);
  return opts;
}

function run(cmd, args, options = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
}

// --- mirrors --------------------------------------------------------------------------

function isGitDir(dir) {
  if (!fs.existsSync(dir)) return false;
  const r = run('git', [`--git-dir=${dir}`, 'rev-parse', '--git-dir']);
  return r.status === 0;
}

// A mirror of owner/name is a directory named owner+name (any case) holding a git dir:
// itself, repo/, or repo/.git.
function findMirror(mirrors, repo) {
  if (!fs.existsSync(mirrors)) return null;
  const wanted = repo.replace('/', '+').toLowerCase();
  for (const entry of fs.readdirSync(mirrors)) {
    if (entry.toLowerCase() !== wanted) continue;
    const base = path.join(mirrors, entry);
    for (const candidate of [path.join(base, 'repo', '.git'), path.join(base, 'repo'), base]) {
      if (isGitDir(candidate)) return candidate;
    }
  }
  return null;
}

function hasCommit(gitDir, sha) {
  return run('git', [`--git-dir=${gitDir}`, 'cat-file', '-e', `${sha}^{commit}`]).status === 0;
}

// Export the whole tree at `sha` once; later runs reuse it. Snapshots can lack large blobs,
// which makes `git archive` fail: then the blobs that are present are written one by one.
function exportTree(gitDir, sha, outDir) {
  const dest = path.join(outDir, sha);
  const stamp = path.join(dest, '.crosstalk-exported');
  if (fs.existsSync(stamp)) return dest;
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  const r = run('sh', ['-c', 'git --git-dir="$1" archive "$2" | tar -x -C "$3"', 'export', gitDir, sha, dest]);
  let note = 'git archive';
  if (r.status !== 0) {
    const skipped = exportBlobByBlob(gitDir, sha, dest);
    note = `blob by blob, ${skipped} missing blob(s) skipped`;
  }
  fs.writeFileSync(stamp, `${sha} ${note}\n`);
  return dest;
}

function exportBlobByBlob(gitDir, sha, dest) {
  const list = run('git', [`--git-dir=${gitDir}`, 'ls-tree', '-r', '-z', sha]);
  if (list.status !== 0) throw new Error(`git ls-tree ${sha} failed: ${list.stderr.trim()}`);
  const entries = list.stdout
    .split('\0')
    .filter(Boolean)
    .map(e => {
      const [meta, file] = e.split('\t');
      const [mode, type, object] = meta.split(' ');
      return { mode, type, object, file };
    })
    .filter(e => e.type === 'blob' && e.mode !== '120000');
  let skipped = 0;
  for (let i = 0; i < entries.length; i += 500) {
    const chunk = entries.slice(i, i + 500);
    const out = spawnSync('git', [`--git-dir=${gitDir}`, 'cat-file', '--batch'], {
      input: chunk.map(e => e.object).join('\n') + '\n',
      maxBuffer: 1024 * 1024 * 1024,
    }).stdout;
    let pos = 0;
    for (const entry of chunk) {
      const eol = out.indexOf(10, pos);
      const header = out.slice(pos, eol).toString().split(' ');
      pos = eol + 1;
      if (header[1] === 'missing') {
        skipped++;
        continue;
      }
      const size = Number(header[2]);
      const target = path.join(dest, entry.file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, out.subarray(pos, pos + size));
      pos += size + 1;
    }
  }
  return skipped;
}

// --- the CLI ------------------------------------------------------------------------

function runCli(cli, tree, files, select) {
  const present = files.filter(f => fs.existsSync(path.join(tree, f)));
  if (present.length === 0) return { findings: [], missing: files, error: null };
  const r = run(
    process.execPath,
    // each hazard's own finding (as the editor shows it), not one told for many at their common cause
    [cli, 'check', ...present, '--no-group', ...(select ? ['--select', select] : []), '--format', 'json'],
    { cwd: tree },
  );
  // The CLI exits 0 (no findings) or 1 (findings) and always prints a JSON array; anything
  // else is a crash, which must not pass for "no findings".
  if ((r.status !== 0 && r.status !== 1) || !(r.stdout || '').trim().startsWith('[')) {
    const lines = (r.stderr || r.stdout || '').trim().split('\n');
    const reason = lines.find(l => /Error/.test(l)) || lines[0] || '';
    return { findings: [], missing: [], error: `CLI failed (exit ${r.status}): ${reason.trim().slice(0, 300)}` };
  }
  let findings;
  try {
    findings = JSON.parse(r.stdout);
  } catch {
    return {
      findings: [],
      missing: [],
      error: `CLI output is not JSON (exit ${r.status}): ${(r.stderr || r.stdout).slice(0, 300)}`,
    };
  }
  const norm = f => path.relative(tree, path.resolve(tree, f)).split(path.sep).join('/');
  return {
    findings: findings.map(f => ({ code: f.code, file: norm(f.filename), line: f.location.row, message: f.message })),
    missing: files.filter(f => !present.includes(f)),
    error: null,
  };
}

// --- Python scopes ------------------------------------------------------------------

// The top-level `def`/`class` (with its decorators) holding each line: [start, end] (1-based),
// or null for module-level lines.
function topLevelScopes(source) {
  const lines = source.split('\n');
  const scopes = [];
  let current = null;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    const stripped = text.trim();
    if (stripped === '' || stripped.startsWith('#')) continue;
    const atTop = !/^\s/.test(text);
    if (!atTop) continue;
    if (/^(async\s+def|def|class)\b/.test(text)) {
      // decorators directly above belong to this scope
      let start = i;
      while (start > 0 && /^@/.test(lines[start - 1])) start--;
      if (current) current.end = Math.max(current.start, start);
      current = { start: start + 1, end: lines.length };
      scopes.push(current);
    } else if (/^@/.test(text)) {
      continue; // decorator of the next definition
    } else if (/^[)\]}]/.test(text)) {
      continue; // closing bracket of a multi-line signature or call
    } else if (current) {
      current.end = i; // a module-level statement ends the scope (1-based: line i)
      current = null;
    }
  }
  return line => scopes.find(s => line >= s.start && line <= s.end) || null;
}

// --- mapping hazard lines from `before` to `after` -----------------------------------

function lineMap(gitDir, before, after, file) {
  const r = run('git', [`--git-dir=${gitDir}`, 'diff', '-U0', '--no-color', '-M', before, after, '--', file]);
  const hunks = [];
  let newPath = file;
  let deleted = false;
  for (const text of (r.stdout || '').split('\n')) {
    if (text.startsWith('+++ ')) {
      if (text === '+++ /dev/null') deleted = true;
      else newPath = text.replace(/^\+\+\+ b\//, '');
    }
    const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(text);
    if (m) {
      hunks.push({
        oldStart: +m[1],
        oldLen: m[2] === undefined ? 1 : +m[2],
        newStart: +m[3],
        newLen: m[4] === undefined ? 1 : +m[4],
      });
    }
  }
  // before line -> [from, to] in after
  const map = line => {
    let offset = 0;
    for (const h of hunks) {
      if (h.oldLen > 0 && line >= h.oldStart && line < h.oldStart + h.oldLen) {
        return [h.newStart, h.newStart + Math.max(h.newLen, 1) - 1];
      }
      const hunkIsBefore = h.oldLen === 0 ? h.oldStart < line : h.oldStart + h.oldLen <= line;
      if (hunkIsBefore) offset += h.newLen - h.oldLen;
    }
    return [line + offset, line + offset];
  };
  return { newPath, deleted, map };
}

// --- one incident -------------------------------------------------------------------

function hazardLines(incident, file) {
  const lines = incident.lines || {};
  return Array.isArray(lines) ? lines : lines[file] || [];
}

function evaluateBefore(incident, tree, result) {
  const expected = new Set(incident.rules);
  let best = null; // 'line' > 'scope' > 'file'
  const rank = { line: 3, scope: 2, file: 1 };
  const hits = [];
  for (const file of incident.files) {
    const full = path.join(tree, file);
    if (!fs.existsSync(full)) continue;
    const scopeOf = topLevelScopes(fs.readFileSync(full, 'utf8'));
    const lines = hazardLines(incident, file);
    const scopes = lines.map(scopeOf).filter(Boolean);
    for (const f of result.findings) {
      if (f.file !== file) continue;
      let where = null;
      if (lines.some(l => Math.abs(f.line - l) <= 2)) where = 'line';
      else if (scopes.some(s => f.line >= s.start && f.line <= s.end)) where = 'scope';
      else if (MODULE_RULES.has(f.code)) where = 'file';
      if (!where) continue;
      hits.push({ ...f, where, expected: expected.has(f.code) });
      if (expected.has(f.code) && (!best || rank[where] > rank[best])) best = where;
    }
  }
  // which expected rules fired (at line/scope/file)
  const firedRules = [...new Set(hits.filter(h => h.expected).map(h => h.code))];
  return { detected: best, firedRules, hits };
}

function evaluateAfter(incident, gitDir, tree, result) {
  // Symmetric with evaluateBefore: a finding of an expected rule within ±2 lines of where the
  // hazard lines went, or in the top-level function/class that now holds them (or anywhere
  // in the file for module-level rules), means the fixed code is still flagged.
  const expected = new Set(incident.rules);
  const leftovers = [];
  for (const file of incident.files) {
    const { newPath, deleted, map } = lineMap(gitDir, incident.before, incident.after, file);
    const full = path.join(tree, newPath);
    if (deleted || !fs.existsSync(full)) continue;
    const scopeOf = topLevelScopes(fs.readFileSync(full, 'utf8'));
    const ranges = hazardLines(incident, file).map(map);
    const scopes = ranges.flatMap(([from, to]) => [scopeOf(from), scopeOf(to)]).filter(Boolean);
    for (const f of result.findings) {
      if (f.file !== newPath || !expected.has(f.code)) continue;
      let where = null;
      if (ranges.some(([from, to]) => f.line >= from - 2 && f.line <= to + 2)) where = 'line';
      else if (scopes.some(sc => f.line >= sc.start && f.line <= sc.end)) where = 'scope';
      else if (MODULE_RULES.has(f.code)) where = 'file';
      if (where) leftovers.push({ ...f, where });
    }
  }
  return { quiet: leftovers.length === 0, leftovers };
}

function evaluate(incident, opts) {
  const gitDir = findMirror(opts.mirrors, incident.repo);
  if (!gitDir) return { status: 'not fetched' };
  for (const sha of [incident.before, incident.after]) {
    if (!hasCommit(gitDir, sha)) return { status: `commit ${sha.slice(0, 10)} missing from the mirror` };
  }
  const beforeTree = exportTree(gitDir, incident.before, opts.out);
  const afterTree = exportTree(gitDir, incident.after, opts.out);
  const beforeRun = runCli(opts.cli, beforeTree, incident.files, opts.select);
  if (beforeRun.error) return { status: 'cli error', error: beforeRun.error };
  // files may move or disappear in the fix
  const afterFiles = incident.files
    .map(f => lineMap(gitDir, incident.before, incident.after, f))
    .filter(m => !m.deleted)
    .map(m => m.newPath);
  const afterRun = runCli(opts.cli, afterTree, afterFiles, opts.select);
  if (afterRun.error) return { status: 'cli error', error: afterRun.error };
  return {
    status: 'ok',
    before: {
      ...evaluateBefore(incident, beforeTree, beforeRun),
      findings: beforeRun.findings,
      missingFiles: beforeRun.missing,
    },
    after: { ...evaluateAfter(incident, gitDir, afterTree, afterRun), findings: afterRun.findings },
  };
}

// --- report -------------------------------------------------------------------------

function pct(n, d) {
  return d === 0 ? '   -  ' : `${String(Math.round((100 * n) / d)).padStart(3)}% `;
}

function summarise(rows) {
  const perRule = new Map();
  const totals = {
    incidents: 0,
    evaluated: 0,
    expecting: 0,
    detected: 0,
    fixRemoves: 0,
    quiet: 0,
    noRule: 0,
    noRuleFlagged: 0,
  };
  for (const { incident, result } of rows) {
    totals.incidents++;
    if (result.status !== 'ok') continue;
    totals.evaluated++;
    if (incident.rules.length === 0) {
      totals.noRule++;
      if (result.before.hits.length > 0) totals.noRuleFlagged++;
      continue;
    }
    totals.expecting++;
    if (result.before.detected) totals.detected++;
    if (incident.fixRemovesHazard) {
      totals.fixRemoves++;
      if (result.after.quiet) totals.quiet++;
    }
    for (const rule of incident.rules) {
      if (!perRule.has(rule)) perRule.set(rule, { expecting: 0, detected: 0, fixRemoves: 0, quiet: 0 });
      const s = perRule.get(rule);
      s.expecting++;
      if (result.before.firedRules.includes(rule)) s.detected++;
      if (incident.fixRemovesHazard) {
        s.fixRemoves++;
        const leftover = result.after.leftovers.some(f => f.code === rule);
        if (!leftover) s.quiet++;
      }
    }
  }
  return { perRule: Object.fromEntries([...perRule].sort()), totals };
}

function printSummary(title, summary) {
  const { perRule, totals } = summary;
  console.log(`\n${title}`);
  console.log('  rule    recall               quiet after fix');
  for (const [rule, s] of Object.entries(perRule)) {
    console.log(
      `  ${rule}   ${pct(s.detected, s.expecting)}(${s.detected}/${s.expecting})`.padEnd(31) +
        `${pct(s.quiet, s.fixRemoves)}(${s.quiet}/${s.fixRemoves})`,
    );
  }
  console.log(
    `  total   ${pct(totals.detected, totals.expecting)}(${totals.detected}/${totals.expecting})`.padEnd(31) +
      `${pct(totals.quiet, totals.fixRemoves)}(${totals.quiet}/${totals.fixRemoves})`,
  );
  console.log(
    `  incidents: ${totals.incidents}, evaluated: ${totals.evaluated}, with no rule: ${totals.noRule} (some finding at their hazard: ${totals.noRuleFlagged})`,
  );
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const corpus = JSON.parse(fs.readFileSync(opts.corpus, 'utf8'));
  let incidents = corpus.incidents;
  if (opts.split !== 'all') incidents = incidents.filter(i => i.split === opts.split);
  if (opts.only) incidents = incidents.filter(i => i.id === opts.only);
  if (!fs.existsSync(opts.cli)) throw new Error(`no CLI at ${opts.cli}`);
  fs.mkdirSync(opts.out, { recursive: true });

  const rows = [];
  const width = Math.max(10, ...incidents.map(i => i.id.length));
  for (const incident of incidents) {
    let result;
    try {
      result = evaluate(incident, opts);
    } catch (e) {
      result = { status: 'error', error: e.message };
    }
    rows.push({ incident, result });
    const expected = incident.rules.length ? incident.rules.join(',') : '-';
    let line = `${incident.id.padEnd(width)}  ${incident.split.padEnd(10)}  expects ${expected.padEnd(12)}`;
    if (result.status !== 'ok') {
      line += `  ${result.status}${result.error ? `: ${result.error}` : ''}`;
    } else if (incident.rules.length === 0) {
      const codes = [...new Set(result.before.hits.map(h => `${h.code}@${h.where}`))];
      line += `  (no rule) findings at hazard: ${codes.length ? codes.join(' ') : 'none'}`;
    } else {
      const before = result.before.detected
        ? `flagged (${result.before.detected}: ${result.before.firedRules.join(',')})`
        : 'MISSED';
      const after = incident.fixRemovesHazard
        ? result.after.quiet
          ? 'quiet after'
          : `still flagged after (${[...new Set(result.after.leftovers.map(f => `${f.code}@${f.where}:${f.line}`))].join(' ')})`
        : 'after n/a (fix keeps hazard)';
      const others = [...new Set(result.before.hits.filter(h => !h.expected).map(h => `${h.code}@${h.where}`))];
      line += `  before: ${before.padEnd(28)}  ${after}${others.length ? `  (other codes at hazard: ${others.join(' ')})` : ''}`;
    }
    console.log(line);
  }

  const all = summarise(rows);
  printSummary('All incidents', all);
  const bySplit = {};
  for (const split of ['tuning', 'validation']) {
    const part = rows.filter(r => r.incident.split === split);
    if (part.length === 0) continue;
    bySplit[split] = summarise(part);
    printSummary(`Split: ${split}`, bySplit[split]);
  }

  const results = {
    cli: opts.cli,
    generated: new Date().toISOString(),
    summary: all,
    bySplit,
    incidents: rows.map(({ incident, result }) => ({
      id: incident.id,
      repo: incident.repo,
      split: incident.split,
      rules: incident.rules,
      fixRemovesHazard: incident.fixRemovesHazard,
      ...result,
    })),
  };
  fs.writeFileSync(path.join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nfull results: ${path.join(opts.out, 'results.json')}`);
}

try {
  main();
} catch (e) {
  console.error(`incidents.js: ${e.message}`);
}
process.exit(0);
