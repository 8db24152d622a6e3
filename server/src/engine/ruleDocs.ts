// A rule's documentation page (docs/rules/<name>.md), rendered from the docs in its module so the
// two can never disagree (test/unit/docs.test.ts checks the committed pages are current), and the
// short form of the same docs that the editor shows when hovering a finding.
import type { Rule } from './rule';

const FIX = { always: 'always', sometimes: 'for some findings', none: 'never' } as const;
const FIX_SHORT = { always: 'fixable', sometimes: 'fixable in some cases', none: 'no fix' } as const;

export function renderRuleDoc(rule: Rule): string {
  const { docs, id } = rule;
  return [
    `# ${id} ${rule.name}`,
    '',
    `${rule.summary}.`,
    '',
    `Default severity: ${rule.severity}. Fix available: ${FIX[rule.fix]}.`,
    '',
    ...(rule.optIn
      ? [`**Off by default**: it runs only when selected by its code (\`--select ${id}\`). ${rule.optIn}`, '']
      : []),
    '## What it flags',
    '',
    docs.what,
    '',
    '## Why it is a hazard',
    '',
    docs.why,
    '',
    '## The incident',
    '',
    docs.incident,
    '',
    `Source: <${docs.incidentUrl}>`,
    '',
    '## Example',
    '',
    '```python',
    docs.example,
    '```',
    '',
    '## Fix safety',
    '',
    docs.fixSafety,
    '',
    '## Suppressing it',
    '',
    `Add \`# noqa: ${id}\` to the flagged line (\`# noqa: ${id}, E501\` to name other tools' codes as well).`,
    '',
    '## Configuration',
    '',
    `Like every rule, ${id} can be turned off or given another severity, for the whole project or for some files:`,
    '',
    '```toml',
    '# pyproject.toml',
    '[tool.crosstalk]',
    `ignore = ["${id}"]`,
    '',
    '[tool.crosstalk.per-file-ignores]',
    `"legacy/**" = ["${id}"]`,
    '',
    '[tool.crosstalk.severity]',
    `${id} = "error"    # error | warning | info`,
    '```',
    '',
    `In VS Code, \`"crosstalk.ignore": ["${id}"]\` and \`"crosstalk.severity": { "${id}": "error" }\`; on the command line, \`--ignore ${id}\`.`,
    '',
  ].join('\n');
}

/** The README's table of rules: code, name (linking its page), what it finds, its fix. */
export function renderRuleTable(rules: readonly Rule[]): string {
  return [
    '| Code | Name | Finds | Fix |',
    '|---|---|---|---|',
    ...rules.map(
      r =>
        `| ${r.id} | [${r.name}](${r.docsPath}) | ${r.optIn ? '**Off by default.** ' : ''}${r.table.finds} | ${r.table.fix} |`,
    ),
  ].join('\n');
}

/**
 * The hover on a finding, under VS Code's diagnostic message (which already says who shares what with
 * whom): the rule's summary, its fix safety in a sentence, and the links to the page and the incident.
 */
export function renderRuleHover(rule: Rule, href: string): string {
  const { docs, id } = rule;
  return [
    `**${id} ${rule.name}** (${rule.severity}; ${FIX_SHORT[rule.fix]})`,
    '',
    `${rule.summary}.`,
    '',
    `*Fix:* ${firstSentence(docs.fixSafety)}`,
    '',
    `[Documentation](${href}) · incident: [${new URL(docs.incidentUrl).pathname.split('/').slice(1, 3).join('/')}](${docs.incidentUrl}) · silence with \`# noqa: ${id}\``,
  ].join('\n');
}

/** Up to the first full stop that ends a sentence (not `e.g.`, not inside `code`). */
function firstSentence(text: string): string {
  let inCode = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '`') inCode = !inCode;
    else if (
      !inCode &&
      text[i] === '.' &&
      (i + 1 === text.length || text[i + 1] === ' ') &&
      !/\b(e\.g|i\.e|etc)$/.test(text.slice(0, i))
    )
      return text.slice(0, i + 1);
  }
  return text;
}
