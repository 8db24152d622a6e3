// A rule's documentation page (docs/rules/<name>.md), rendered from the docs in its module so the
// two can never disagree. test/unit/docs.test.ts checks the committed pages are current.
import type { Rule } from './rule';

export function renderRuleDoc(rule: Rule): string {
  const { docs } = rule;
  const fix = { always: 'always', sometimes: 'for some findings', none: 'never' }[rule.fix];
  return [
    `# ${rule.id} ${rule.name}`,
    '',
    `${rule.summary}.`,
    '',
    `Default severity: ${rule.severity}. Fix available: ${fix}.`,
    '',
    '## What it flags', '', docs.what, '',
    '## Why it is a hazard', '', docs.why, '',
    '## The incident', '', docs.incident, '',
    '## Example', '', '```python', docs.example, '```', '',
    '## Fix safety', '', docs.fixSafety, '',
    '## Suppressing it', '',
    `Add \`# noqa: ${rule.id}\` to the flagged line, or turn the rule off with \`crosstalk.ignore\` in VS Code or \`--ignore ${rule.id}\` on the command line.`,
    '',
  ].join('\n');
}
