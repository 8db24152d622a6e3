#!/usr/bin/env node
// The validation rounds of docs/accuracy.md: run a frozen CLI on fetched suites, sample the
// findings for blind review, score the reviewers' verdicts, and score the recall readers' lists.
//
//   node scripts/validate.js run PROJECTS OUT [--cli PATH] [--select CODES]
//       `crosstalk check . --format json` at the root of every folder of PROJECTS, as a new user
//       runs it (`--select XT,XT071` adds a rule that is off by default); OUT/<suite>.json and
//       OUT/summary.tsv (suite, test files, findings, seconds).
//   node scripts/validate.js sample OUT REVIEW [--batches N] [--seed S]
//       Per suite and rule, every finding when fewer than 50, else 30 at random (seeded).
//       REVIEW/findings.tsv (id, suite, rule, stratum size, place, message) and
//       REVIEW/batch<k>.md for the reviewers, whole suites per batch.
//   node scripts/validate.js score REVIEW
//       Joins REVIEW/verdicts*.tsv (`F<id><TAB>REAL|FP|UNCLEAR<TAB>reason`) with the sample:
//       per rule and per suite, read and weighted by stratum.
//   node scripts/validate.js recall HUNT OUT
//       HUNT/hunt*.tsv (`suite<TAB>file<TAB>line<TAB>XTnnn<TAB>what`; `NONE` for a suite read with
//       nothing found, not counted): a hazard is found when a
//       finding, or a member listed under a grouped finding, is in that file within 12 lines.
//
// Development script, not shipped; the suites stay out of the repository.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const FULL_READ_BELOW = 50;
const SAMPLE_SIZE = 30;
const NEAR_LINES = 12;
const TEST_FILE = /(^|\/)(test_[^/]*|[^/]*_tests?|tests)\.py$|(^|\/)tests?\/[^/]*\.py$/;

function testFiles(dir) {
  let count = 0;
  const walk = (d, rel) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(d, entry.name), r);
      else if (TEST_FILE.test(r)) count++;
    }
  };
  walk(dir, '');
  return count;
}

function suites(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter(e => e.isDirectory())
    .map(e => e.name)
    .sort();
}

function run(projects, out, cli, select) {
  fs.mkdirSync(out, { recursive: true });
  const rows = ['suite\ttest files\tfindings\tseconds'];
  for (const suite of suites(projects)) {
    const start = Date.now();
    const result = spawnSync('node', [cli, 'check', '.', '--format', 'json', ...(select ? ['--select', select] : [])], {
      cwd: path.join(projects, suite),
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    const seconds = ((Date.now() - start) / 1000).toFixed(1);
    let findings;
    try {
      findings = JSON.parse(result.stdout);
    } catch {
      console.error(`${suite}: no JSON (exit ${result.status}): ${result.stderr.split('\n')[0]}`);
      continue;
    }
    fs.writeFileSync(path.join(out, `${suite}.json`), JSON.stringify(findings, null, 1));
    rows.push(`${suite}\t${testFiles(path.join(projects, suite))}\t${findings.length}\t${seconds}`);
    console.log(rows[rows.length - 1]);
  }
  fs.writeFileSync(path.join(out, 'summary.tsv'), rows.join('\n') + '\n');
}

function loadRun(out) {
  const all = [];
  for (const file of fs
    .readdirSync(out)
    .filter(f => f.endsWith('.json'))
    .sort()) {
    const suite = file.slice(0, -'.json'.length);
    for (const f of JSON.parse(fs.readFileSync(path.join(out, file), 'utf8'))) all.push({ suite, ...f });
  }
  return all;
}

// A small seeded generator (mulberry32), so a sample can be drawn again.
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const oneLine = s => s.replace(/\s+/g, ' ').trim();

function sample(out, review, batches, seed) {
  fs.mkdirSync(review, { recursive: true });
  const strata = new Map();
  for (const f of loadRun(out)) {
    const key = `${f.suite}\t${f.code}`;
    if (!strata.has(key)) strata.set(key, []);
    strata.get(key).push(f);
  }
  const next = random(seed);
  const chosen = [];
  for (const [, findings] of [...strata].sort(([a], [b]) => a.localeCompare(b))) {
    let picked = findings;
    if (findings.length >= FULL_READ_BELOW) {
      picked = findings
        .map(f => ({ f, r: next() }))
        .sort((a, b) => a.r - b.r)
        .slice(0, SAMPLE_SIZE)
        .map(x => x.f);
    }
    for (const f of picked) chosen.push({ ...f, stratum: findings.length });
  }
  const rows = ['id\tsuite\trule\tstratum\tplace\tmessage'];
  chosen.forEach((f, i) => {
    f.id = `F${i + 1}`;
    rows.push([f.id, f.suite, f.code, f.stratum, `${f.filename}:${f.location.row}`, oneLine(f.message)].join('\t'));
  });
  fs.writeFileSync(path.join(review, 'findings.tsv'), rows.join('\n') + '\n');

  // Whole suites per batch, balanced by finding count.
  const bySuite = new Map();
  for (const f of chosen) bySuite.set(f.suite, [...(bySuite.get(f.suite) ?? []), f]);
  const bins = Array.from({ length: batches }, () => ({ size: 0, findings: [] }));
  for (const group of [...bySuite.values()].sort((a, b) => b.length - a.length)) {
    const bin = bins.reduce((least, b) => (b.size < least.size ? b : least));
    bin.size += group.length;
    bin.findings.push(...group);
  }
  bins.forEach((bin, k) => {
    const text = bin.findings.map(f => {
      const lines = [
        `## ${f.id} ${f.suite} ${f.code} ${f.name} (${f.severity})`,
        `- at: ${f.suite}/${f.filename}:${f.location.row}`,
        `- message: ${oneLine(f.message)}`,
      ];
      for (const r of (f.related ?? []).slice(0, 12)) {
        lines.push(`  - related ${r.filename}:${r.location.row}: ${oneLine(r.message)}`);
      }
      if ((f.related ?? []).length > 12) lines.push(`  - (${f.related.length - 12} more related places)`);
      return lines.join('\n');
    });
    fs.writeFileSync(path.join(review, `batch${k + 1}.md`), text.join('\n\n') + '\n');
    console.log(`batch${k + 1}: ${bin.size} findings (${[...new Set(bin.findings.map(f => f.suite))].join(', ')})`);
  });
}

function readTsv(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(l => l.trim() && !l.startsWith('#'))
    .map(l => l.split('\t'));
}

function score(review) {
  const [, ...rows] = readTsv(path.join(review, 'findings.tsv'));
  const findings = new Map(rows.map(([id, suite, rule, stratum]) => [id, { suite, rule, stratum: +stratum }]));
  const verdicts = new Map();
  for (const file of fs.readdirSync(review).filter(f => /^verdicts.*\.tsv$/.test(f))) {
    for (const [id, verdict] of readTsv(path.join(review, file))) {
      if (!findings.has(id)) console.error(`${file}: unknown finding ${id}`);
      else if (!['REAL', 'FP', 'UNCLEAR'].includes(verdict)) console.error(`${file}: ${id}: verdict ${verdict}`);
      else verdicts.set(id, verdict);
    }
  }
  const unread = [...findings.keys()].filter(id => !verdicts.has(id));
  if (unread.length) console.error(`not read: ${unread.join(' ')}`);
  const table = keyOf => {
    const groups = new Map();
    for (const [id, f] of findings) {
      const key = keyOf(f);
      const g = groups.get(key) ?? { strata: new Map(), read: 0, REAL: 0, FP: 0, UNCLEAR: 0 };
      groups.set(key, g);
      const stratum = `${f.suite}\t${f.rule}`;
      const s = g.strata.get(stratum) ?? { size: f.stratum, read: 0, real: 0 };
      g.strata.set(stratum, s);
      const v = verdicts.get(id);
      if (!v) continue;
      g.read++;
      g[v]++;
      s.read++;
      if (v === 'REAL') s.real++;
    }
    const lines = [
      '| | findings | read | REAL | FP | UNCLEAR | precision (read) | weighted |',
      '|---|---|---|---|---|---|---|---|',
    ];
    const pct = (a, b) => (b ? `${Math.round((100 * a) / b)}%` : '-');
    for (const [key, g] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
      const total = [...g.strata.values()].reduce((n, s) => n + s.size, 0);
      const weighted = [...g.strata.values()].reduce((n, s) => n + (s.read ? (s.real / s.read) * s.size : 0), 0);
      const readTotal = [...g.strata.values()].reduce((n, s) => n + (s.read ? s.size : 0), 0);
      lines.push(
        `| ${key} | ${total} | ${g.read} | ${g.REAL} | ${g.FP} | ${g.UNCLEAR} | ${pct(g.REAL, g.read)} | ${pct(weighted, readTotal)} |`,
      );
    }
    return lines.join('\n');
  };
  console.log(
    `## by rule\n\n${table(f => f.rule)}\n\n## by suite\n\n${table(f => f.suite)}\n\n## all\n\n${table(() => 'all')}`,
  );
}

function recall(hunt, out) {
  const found = new Map();
  for (const f of loadRun(out)) {
    const places = [{ filename: f.filename, row: f.location.row }];
    for (const r of f.related ?? []) {
      if (/^XT\d{3}\b/.test(r.message)) places.push({ filename: r.filename, row: r.location.row });
    }
    for (const p of places) {
      const key = `${f.suite}\t${p.filename}`;
      found.set(key, [...(found.get(key) ?? []), p.row]);
    }
  }
  let listed = 0;
  let hit = 0;
  const missed = [];
  const byRule = new Map();
  for (const file of fs.readdirSync(hunt).filter(f => /^hunt.*\.tsv$/.test(f))) {
    for (const [suite, filename, line, rule, what] of readTsv(path.join(hunt, file))) {
      // `suite - 0 NONE what was checked`: a suite read with nothing found
      if (!/^\d+$/.test(line ?? '') || !/^XT\d{3}$/.test(rule ?? '')) continue;
      listed++;
      const counts = byRule.get(rule) ?? { listed: 0, hit: 0 };
      byRule.set(rule, counts);
      counts.listed++;
      const rows = found.get(`${suite}\t${filename.replace(/^\.\//, '')}`) ?? [];
      if (rows.some(row => Math.abs(row - Number(line)) <= NEAR_LINES)) {
        hit++;
        counts.hit++;
      } else missed.push(`${suite} ${filename}:${line} ${rule} ${what ?? ''}`);
    }
  }
  console.log(`hazards listed ${listed}, found ${hit} (${listed ? Math.round((100 * hit) / listed) : 0}%)`);
  for (const [rule, c] of [...byRule].sort()) console.log(`  ${rule} ${c.hit} of ${c.listed}`);
  for (const m of missed) console.log(`missed: ${m}`);
}

function main(argv) {
  const [command, ...args] = argv;
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    if (i < 0) return fallback;
    const [value] = args.splice(i, 2).slice(1);
    return value;
  };
  if (command === 'run') {
    const cli = path.resolve(option('--cli', path.join(ROOT, 'bin', 'crosstalk.js')));
    const select = option('--select', '');
    run(path.resolve(args[0]), path.resolve(args[1]), cli, select);
  } else if (command === 'sample') {
    const batches = Number(option('--batches', '3'));
    const seed = Number(option('--seed', '48'));
    sample(path.resolve(args[0]), path.resolve(args[1]), batches, seed);
  } else if (command === 'score') score(path.resolve(args[0]));
  else if (command === 'recall') recall(path.resolve(args[0]), path.resolve(args[1]));
  else {
    console.error('usage: node scripts/validate.js run|sample|score|recall ... (see the head of this file)');
    process.exit(2);
  }
}

main(process.argv.slice(2));
