// One finding per root cause: where many findings rest on one place in another file (the test settings'
// CACHES entry for a Redis every worker shares), the CLI reports that place once, with each test it
// touches as related information. giga-maps-backend's one Redis made 46 findings on 36 test files; its
// maintainers' fix would be one line of settings. Findings of one rule saying the same of the same state
// in one file (djangosaml2's 21 tests each writing `settings.SAML_CONFIG` for good) are one cause too,
// told once, at the first. The editor still shows each test's own finding.
import path from 'path';
import type { Finding } from '../engine/finding';
import type { Severity } from '../engine/rule';

/** A cause is reported once when at least this many findings, in at least two files, rest on it. */
const MIN_FINDINGS = 3;
/** Findings of one file saying the same (rule and message) are told once from this many. */
const MIN_REPEATS = 3;
/** a finding this close to the cause, in its file, is at the cause (the same CACHES entry) */
const NEAR_LINES = 3;

/** A finding that stands for several others sharing its cause: its related places are theirs. */
export interface CauseFinding extends Finding {
  members: number;
}

export const isCauseFinding = (f: Finding): f is CauseFinding => 'members' in f;

const RANK: Record<Severity, number> = { error: 2, warning: 1, info: 0 };

/**
 * `results` with the findings that share a cause replaced by one finding at it (in the cause's file,
 * added to the results when no finding was there), in the rule most of them are of; then the findings
 * of a file that say the same by the first of them. Files stay in order.
 */
export function groupByCause<R extends { file: string; text: string; findings: Finding[] }>(
  results: R[],
  cwd: string,
): R[] {
  const out = groupElsewhere(results, cwd);
  const kinds = out.map(r => repeats(r.findings));
  if (kinds.every(k => k.size === 0)) return out;
  return out.map((r, i) => (kinds[i]?.size ? { ...r, findings: tellOnce(r.findings, kinds[i], cwd, r.file) } : r));
}

/** A file's findings that say what at least MIN_REPEATS others of it say, by the first of each kind. */
function repeats(findings: Finding[]): Map<string, Finding[]> {
  const kinds = new Map<string, Finding[]>();
  for (const f of findings) {
    if (isCauseFinding(f)) continue;
    const key = `${f.rule.id} ${f.message}`;
    kinds.set(key, [...(kinds.get(key) ?? []), f]);
  }
  for (const [key, same] of kinds) if (same.length < MIN_REPEATS) kinds.delete(key);
  return kinds;
}

/** `findings` (of `file`, in order) with each of `kinds` told once, at its first, listing the others. */
function tellOnce(findings: Finding[], kinds: Map<string, Finding[]>, cwd: string, file: string): Finding[] {
  const heads = new Map<Finding, CauseFinding>();
  const told = new Set<Finding>();
  for (const same of kinds.values()) {
    const [head, ...rest] = same as [Finding, ...Finding[]];
    for (const f of rest) told.add(f);
    heads.set(head, {
      ...head,
      message: `${head.message} (the same at ${rest.length} more places of this file)`,
      related: [
        ...head.related,
        ...rest.map(f => ({
          start: f.start,
          end: f.end,
          startPos: f.startPos,
          endPos: f.endPos,
          file: path.resolve(cwd, file),
          message: `${f.rule.id} the same`,
        })),
      ],
      members: same.length,
    });
  }
  return findings.filter(f => !told.has(f)).map(f => heads.get(f) ?? f);
}

/** The findings of several files that rest on one place elsewhere, told once there. */
function groupElsewhere<R extends { file: string; text: string; findings: Finding[] }>(results: R[], cwd: string): R[] {
  const groups = new Map<string, Group>();
  for (const { file, findings } of results)
    for (const f of findings) {
      if (!f.cause) continue;
      const key = `${path.resolve(cwd, f.cause.file)}:${f.cause.startPos.line}:${f.cause.startPos.character}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { cause: f.cause, members: [] }));
      group.members.push({ file, finding: f });
    }
  const grouped = new Set<Finding>();
  const heads = new Map<Finding, CauseFinding>();
  const added = new Map<string, Finding[]>();
  for (const group of groups.values()) {
    const { cause, members } = group;
    if (members.length < MIN_FINDINGS || new Set(members.map(m => m.file)).size < 2) continue;
    for (const m of members) grouped.add(m.finding);
    const file = path.relative(cwd, cause.file) || cause.file;
    // a finding at the cause itself (XT031 on the cache's LOCATION, a line below its BACKEND) is the one
    // to tell the others with
    const near = results
      .find(r => r.file === file)
      ?.findings.find(f => !f.cause && Math.abs(f.startPos.line - cause.startPos.line) <= NEAR_LINES);
    if (near) heads.set(near, causeFinding(group, cwd, near));
    else added.set(file, [...(added.get(file) ?? []), causeFinding(group, cwd)]);
  }
  if (!grouped.size) return results;
  const out = results.map(r => {
    const extra = added.get(r.file) ?? [];
    added.delete(r.file);
    const findings = [...extra, ...r.findings.filter(f => !grouped.has(f)).map(f => heads.get(f) ?? f)];
    return {
      ...r,
      findings: findings.sort(
        (a, b) => a.startPos.line - b.startPos.line || a.startPos.character - b.startPos.character,
      ),
    };
  });
  for (const [file, findings] of added) out.push({ file, text: '', findings } as R);
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

interface Group {
  cause: NonNullable<Finding['cause']>;
  members: { file: string; finding: Finding }[];
}

function causeFinding({ cause, members }: Group, cwd: string, head?: Finding): CauseFinding {
  const byRule = new Map<string, { finding: Finding; count: number }>();
  for (const { finding } of members) {
    const entry = byRule.get(finding.rule.id) ?? { finding, count: 0 };
    entry.count++;
    byRule.set(finding.rule.id, entry);
  }
  const rules = [...byRule].sort(([a, x], [b, y]) => y.count - x.count || (a < b ? -1 : 1));
  const top = rules[0];
  if (!top) throw new Error('a cause with no findings resting on it');
  const most = top[1];
  const files = new Set(members.map(m => m.file)).size;
  const severity = members
    .map(m => m.finding.severity)
    .reduce((a, b) => (RANK[b] > RANK[a] ? b : a), most.finding.severity);
  const describe = cause.describe.charAt(0).toUpperCase() + cause.describe.slice(1);
  const resting =
    `${members.length} findings in ${files} test files rest on it ` +
    `(${rules.map(([id, { count }]) => `${id} ${count}`).join(', ')})`;
  const remedy = cause.remedy;
  return {
    ...(head ?? {
      start: 0,
      end: 0,
      startPos: cause.startPos,
      endPos: cause.endPos,
      rule: most.finding.rule,
      fix: undefined,
      noqa: undefined,
    }),
    severity: head ? head.severity : severity,
    message: head
      ? `${head.message}. ${describe}: ${resting}; ${remedy}`
      : `${describe}: ${resting}. ${remedy.charAt(0).toUpperCase()}${remedy.slice(1)}`,
    related: [
      ...(head?.related ?? []),
      ...members.map(({ file, finding }) => ({
        start: finding.start,
        end: finding.end,
        startPos: finding.startPos,
        endPos: finding.endPos,
        file: path.resolve(cwd, file),
        message: `${finding.rule.id} ${finding.message}`,
      })),
    ],
    members: members.length,
  };
}
