// Output formats of `crosstalk check`: text for people, JSON for scripts, SARIF 2.1.0 for code scanning,
// GitHub Actions workflow commands for annotations on a pull request.
import { relative } from 'path';
import type * as sarif from 'sarif';
import type { Finding } from '../engine/finding';
import type { Rule, Severity } from '../engine/rule';

export interface FileResult {
  file: string;
  text: string;
  findings: Finding[];
}

export function formatText(results: FileResult[], opts: { fixed: number; fixMode: boolean; unsafe: boolean }): string {
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
  return lines.join('\n');
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

export function formatSarif(
  results: FileResult[],
  rules: readonly Rule[],
  version: string,
  cwd = process.cwd(),
): string {
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const region = (s: { startPos: Finding['startPos']; endPos: Finding['endPos'] }): sarif.Region => ({
    startLine: s.startPos.line + 1,
    startColumn: s.startPos.character + 1,
    endLine: s.endPos.line + 1,
    endColumn: s.endPos.character + 1,
  });
  const uri = (file: string) => file.split(/[\\/]/).map(encodeURIComponent).join('/');
  const log: sarif.Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'crosstalk',
            version,
            rules: rules.map(r => ({
              id: r.id,
              name: r.name,
              shortDescription: { text: r.summary },
              fullDescription: { text: r.docs.what },
              help: {
                text: `${r.docs.why}\n\nFix: ${r.docs.fixSafety}\n\nMore: ${r.docsPath} in the crosstalk package.`,
              },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { fix: r.fix },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        results: results.flatMap(({ file, findings }) =>
          findings.map((f): sarif.Result => ({
            ruleId: f.rule.id,
            ruleIndex: index.get(f.rule.id),
            level: LEVEL[f.severity],
            message: { text: f.message },
            locations: [{ physicalLocation: { artifactLocation: { uri: uri(file) }, region: region(f) } }],
            relatedLocations: f.related.map((r, i) => ({
              id: i,
              message: { text: r.message },
              physicalLocation: {
                artifactLocation: { uri: uri(r.file ? relative(cwd, r.file) : file) },
                region: region(r),
              },
            })),
          })),
        ),
      },
    ],
  };
  return JSON.stringify(log, null, 2);
}

const GITHUB_LEVEL: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };
/** A workflow command's message: %, CR and LF escaped, as @actions/core's escapeData does. */
const githubData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
/** A workflow command's property value: also `:` and `,`, which end a property (escapeProperty). */
const githubProperty = (s: string) => githubData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One `::warning file=...,line=...::message` line per finding: GitHub Actions shows each on the diff. */
export function formatGithub(results: FileResult[]): string {
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
    .join('\n');
}
