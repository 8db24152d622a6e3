// Output formats of `crosstalk check`: text for people, JSON for scripts, SARIF 2.1.0 for code scanning,
// GitHub Actions workflow commands for annotations on a pull request; and --statistics, a count per rule.
import { relative } from 'path';
import { pathToFileURL } from 'url';
import type * as sarif from 'sarif';
import type { Edit } from '../engine/fix';
import type { Finding } from '../engine/finding';
import type { Rule, Severity } from '../engine/rule';
import { renderRuleDoc } from '../engine/ruleDocs';
import { isCauseFinding } from './causes';

export interface FileResult {
  /** relative to the working directory */
  file: string;
  /** the text the findings were made on: after the fixes applied, with --fix or --diff */
  text: string;
  findings: Finding[];
}

/** A file the run could not analyse (unreadable, undecodable, too deep to parse...), and why, in one line. */
export interface Problem {
  file: string;
  reason: string;
}

export function formatText(
  results: FileResult[],
  opts: { fixed: number; fixMode: boolean; unsafe: boolean; problems: Problem[] },
): string {
  const lines: string[] = [];
  let total = 0,
    fixable = 0,
    unsafeOnly = 0;
  for (const { file, findings } of results) {
    for (const f of findings) {
      total++;
      const safe = f.fix?.applicability === 'safe';
      if (safe) fixable++;
      else if (f.fix) unsafeOnly++;
      lines.push(
        `${file}:${f.startPos.line + 1}:${f.startPos.character + 1}: ${f.rule.id}${safe ? ' [*]' : ''} ${f.message}`,
      );
      // a finding told once for the many that rest on its cause lists them
      if (isCauseFinding(f))
        for (const r of f.related)
          lines.push(
            `    ${r.file ? relative(process.cwd(), r.file) : file}:${r.startPos.line + 1}:${r.startPos.character + 1}: ${r.message}`,
          );
    }
  }
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (opts.fixMode && opts.fixed) lines.push(`Fixed ${plural(opts.fixed, 'hazard')}.`);
  if (total === 0) {
    if (!opts.fixMode || !opts.fixed) lines.push(`No hazards found in ${plural(results.length, 'file')}.`);
  } else {
    const hints = [
      fixable && `${fixable} fixable with --fix`,
      unsafeOnly && !opts.unsafe && `${unsafeOnly} more with --fix --unsafe-fixes`,
    ].filter(Boolean);
    lines.push(
      `Found ${plural(total, 'hazard')} in ${plural(results.filter(r => r.findings.length).length, 'file')}${hints.length ? ` (${hints.join(', ')})` : ''}.`,
    );
  }
  if (opts.problems.length) lines.push(`${plural(opts.problems.length, 'file')} could not be analysed (see stderr).`);
  return lines.join('\n');
}

/** --statistics: how many findings each rule made, most first, `[*]` when every one has a safe fix. */
export function formatStatistics(results: FileResult[], format: 'text' | 'json'): string {
  const byRule = new Map<Rule, { count: number; fixable: number }>();
  for (const f of results.flatMap(r => r.findings)) {
    const entry = byRule.get(f.rule) ?? { count: 0, fixable: 0 };
    entry.count++;
    if (f.fix?.applicability === 'safe') entry.fixable++;
    byRule.set(f.rule, entry);
  }
  const rows = [...byRule]
    .sort(([a, x], [b, y]) => y.count - x.count || (a.id < b.id ? -1 : 1))
    .map(([rule, { count, fixable }]) => ({ code: rule.id, name: rule.name, count, fixable }));
  if (format === 'json') return JSON.stringify(rows, null, 2);
  const width = String(rows[0]?.count ?? 0).length;
  return rows
    .map(r => `${String(r.count).padStart(width)}\t${r.code}\t${r.fixable === r.count ? '[*]' : '[ ]'} ${r.name}`)
    .join('\n');
}

export function formatJson(results: FileResult[]): string {
  return JSON.stringify(
    results.flatMap(({ file, findings }) =>
      findings.map(f => ({
        code: f.rule.id,
        name: f.rule.name,
        severity: f.severity,
        message: f.message,
        filename: file,
        location: { row: f.startPos.line + 1, column: f.startPos.character + 1 },
        end_location: { row: f.endPos.line + 1, column: f.endPos.character + 1 },
        fix: f.fix ? { message: f.fix.title, applicability: f.fix.applicability, edits: f.fix.edits } : null,
        docs: f.rule.docsPath,
        related: f.related.map(r => ({
          filename: r.file ? relative(process.cwd(), r.file) : file,
          location: { row: r.startPos.line + 1, column: r.startPos.character + 1 },
          message: r.message,
        })),
      })),
    ),
    null,
    2,
  );
}

const LEVEL: Record<Severity, sarif.ReportingConfiguration.level> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
};

/** What a SARIF log says about the run besides its results. */
export interface SarifRun {
  version: string;
  /** the repository's web address: rule pages are linked at the release's tag there */
  repository: string | null;
  problems: Problem[];
  exitCode: number;
  cwd?: string;
  /** another file's text, to place a project-wide fix's edits in it (null: it does not exist yet) */
  read: (file: string) => string | null;
}

/** The base all artifact URIs are relative to: the working directory of the run. */
const SRCROOT = '%SRCROOT%';

export function formatSarif(results: FileResult[], rules: readonly Rule[], run: SarifRun): string {
  const cwd = run.cwd ?? process.cwd();
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const region = (s: { startPos: Finding['startPos']; endPos: Finding['endPos'] }): sarif.Region => ({
    startLine: s.startPos.line + 1,
    startColumn: s.startPos.character + 1,
    endLine: s.endPos.line + 1,
    endColumn: s.endPos.character + 1,
  });
  const artifact = (file: string): sarif.ArtifactLocation => ({
    uri: file.split(/[\\/]/).map(encodeURIComponent).join('/'),
    uriBaseId: SRCROOT,
  });
  const helpUri = (r: Rule) => (run.repository ? `${run.repository}/blob/v${run.version}/${r.docsPath}` : undefined);
  // the line starts of each file, once per file however many fixes it has
  const positions = new Map<string, (offset: number) => { line: number; column: number }>();
  const fixes = (file: string, text: string, f: Finding): sarif.Fix[] | undefined => {
    if (!f.fix) return undefined;
    // edits go to the finding's file, or (a project-wide fix) to another, created when it does not exist
    const byFile = new Map<string, Edit[]>();
    for (const e of f.fix.edits) {
      const target = e.file === undefined ? file : relative(cwd, e.file) || e.file;
      byFile.set(target, [...(byFile.get(target) ?? []), e]);
    }
    return [
      {
        description: {
          text: f.fix.applicability === 'unsafe' ? `${f.fix.title} (unsafe: may change behaviour)` : f.fix.title,
        },
        artifactChanges: [...byFile].map(([target, edits]) => {
          let at = positions.get(target);
          if (!at) {
            at = positionsIn(target === file ? text : ((edits[0]?.create ? '' : run.read(edits[0]?.file ?? '')) ?? ''));
            positions.set(target, at);
          }
          return {
            artifactLocation: artifact(target),
            replacements: edits.map(e => {
              const start = at(e.start),
                end = at(e.end);
              return {
                deletedRegion: {
                  startLine: start.line,
                  startColumn: start.column,
                  endLine: end.line,
                  endColumn: end.column,
                },
                ...(e.text && { insertedContent: { text: e.text } }),
              };
            }),
          };
        }),
        properties: { applicability: f.fix.applicability },
      },
    ];
  };
  const log: sarif.Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'crosstalk',
            version: run.version,
            semanticVersion: run.version,
            ...(run.repository && { informationUri: run.repository }),
            rules: rules.map(r => ({
              id: r.id,
              name: r.name,
              shortDescription: { text: r.summary },
              fullDescription: { text: r.docs.what },
              help: { text: `${r.docs.why}\n\nFix: ${r.docs.fixSafety}`, markdown: renderRuleDoc(r) },
              ...(helpUri(r) && { helpUri: helpUri(r) }),
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { fix: r.fix },
            })),
          },
        },
        // Findings and a failure to read a file are both "scan completed" (exit 1): a file the tool could not
        // analyse is an error-level notification, which tells a consumer the results are incomplete
        // (SARIF 2.1.0, appendix I), as CodeQL reports the files it could not extract.
        invocations: [
          {
            executionSuccessful: true,
            exitCode: run.exitCode,
            toolExecutionNotifications: run.problems.map(p => ({
              level: 'error',
              message: { text: `${p.file} was not analysed: ${p.reason}` },
              locations: [{ physicalLocation: { artifactLocation: artifact(p.file) } }],
            })),
          },
        ],
        originalUriBaseIds: { [SRCROOT]: { uri: `${pathToFileURL(cwd).href.replace(/\/?$/, '/')}` } },
        columnKind: 'utf16CodeUnits',
        results: results.flatMap(({ file, text, findings }) =>
          findings.map((f): sarif.Result => ({
            ruleId: f.rule.id,
            ruleIndex: index.get(f.rule.id),
            level: LEVEL[f.severity],
            message: { text: f.message },
            locations: [{ physicalLocation: { artifactLocation: artifact(file), region: region(f) } }],
            relatedLocations: f.related.map((r, i) => ({
              id: i,
              message: { text: r.message },
              physicalLocation: {
                artifactLocation: artifact(r.file ? relative(cwd, r.file) : file),
                region: region(r),
              },
            })),
            ...(f.fix && { fixes: fixes(file, text, f) }),
          })),
        ),
      },
    ],
  };
  return JSON.stringify(log, null, 2);
}

/**
 * 1-based line and column (UTF-16 code units) of offsets into `text`, with lines ending at \n, \r\n or a
 * lone \r, as the findings' own positions count them.
 */
function positionsIn(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (const m of text.matchAll(/\r\n|\r|\n/g)) starts.push(m.index + m[0].length);
  return offset => {
    let lo = 0,
      hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 };
  };
}

const GITHUB_LEVEL: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };
/** A workflow command's message: %, CR and LF escaped, as @actions/core's escapeData does. */
const githubData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
/** A workflow command's property value: also `:` and `,`, which end a property (escapeProperty). */
const githubProperty = (s: string) => githubData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/**
 * One `::warning file=...,line=...::message` line per finding: GitHub Actions shows each on the diff; and
 * an `::error` on each file that could not be analysed.
 */
export function formatGithub(results: FileResult[], problems: Problem[] = []): string {
  const refused = problems.map(
    p =>
      `::error file=${githubProperty(p.file.split('\\').join('/'))},title=${githubProperty('Crosstalk: not analysed')}::${githubData(p.reason)}`,
  );
  return results
    .flatMap(({ file, findings }) =>
      findings.map(f => {
        const properties = {
          file: file.split('\\').join('/'),
          line: f.startPos.line + 1,
          col: f.startPos.character + 1,
          endLine: f.endPos.line + 1,
          endColumn: f.endPos.character + 1,
          title: `Crosstalk ${f.rule.id} (${f.rule.name})`,
        };
        const props = Object.entries(properties)
          .map(([k, v]) => `${k}=${githubProperty(String(v))}`)
          .join(',');
        return `::${GITHUB_LEVEL[f.severity]} ${props}::${githubData(f.message)}`;
      }),
    )
    .concat(refused)
    .join('\n');
}
