import { Edit, Fix } from '../engine/fix';
import { noqaCodes } from '../engine/noqa';
import { createRule, type Rule } from '../engine/rule';

/** Codes one edit away from `code` (a typo: XT01 for XT010, XT100 for XT010 is two, so not offered). */
function closest(code: string, known: readonly Rule[]): string[] {
  const distance = (a: string, b: string) => {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      for (let j = 1; j <= b.length; j++)
        row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row;
    }
    return prev[b.length];
  };
  return known.map(r => r.id).filter(id => distance(code, id) === 1);
}

/**
 * XT900 checks noqa codes against the whole catalogue, itself included: the registry passes it the
 * other rules (so this module does not import the registry that imports it).
 */
export default function unknownNoqaCode(others: readonly Rule[]): Rule {
  const rule: Rule = createRule({
    id: 'XT900',
    name: 'unknown-noqa-code',
    severity: 'warning',
    fix: 'sometimes',
    summary: 'A `# noqa` comment names an XT code that is no Crosstalk rule',
    table: {
      finds:
        'An `XT` code in a `# noqa: ...` comment that names no rule (a typo such as `XT08`, or a code from another version): it suppresses nothing',
      fix: 'Safe: remove the code (or the whole directive when it was the only code)',
    },
    docs: {
      what:
        'An `XT` code in a `# noqa: ...` list that names no Crosstalk rule: a typo (`XT01`, `XT0010`), or a code ' +
        'from a version that had another catalogue. Codes of other tools (`E501`, `S101`) are left alone.',
      why:
        'A noqa code that matches no rule suppresses nothing, silently: the finding it was meant to silence is still ' +
        'reported, or, when the typo sits next to a real finding, the comment reads as a reviewed exception that ' +
        'was never one.',
      incident:
        'Ruff users asked for exactly this after upgrades left many `# noqa` comments naming codes that ' +
        'no longer existed, each one a warning nobody could fix automatically; ruff made it a rule (RUF102) whose ' +
        'fix removes the code.',
      incidentUrl: 'https://github.com/astral-sh/ruff/issues/17084',
      example: [
        'response = client.get("/api/books/1/")  # noqa: XT08     # XT900: did you mean XT080?',
        '',
        '# fixed by hand',
        'response = client.get("/api/books/1/")  # noqa: XT080',
      ].join('\n'),
      fixSafety:
        'Safe: it removes the unknown code from the list (or the whole `# noqa: ...` when the code was the ' +
        'only one and nothing follows it in the comment), which changes nothing that is reported. Never leaves a ' +
        'bare `# noqa`, which would silence every code on the line. No fix when other text follows the directive.',
    },
    create(ctx) {
      const known = [...others, rule];
      return {
        comment(node) {
          const noqa = noqaCodes(node.text, node.startIndex);
          if (!noqa) return;
          for (const [i, { code, start, end }] of noqa.codes.entries()) {
            if (!code.startsWith('XT') || known.some(r => r.id === code)) continue;
            const near = closest(code, known);
            ctx.report({
              node,
              part: { start, end },
              message: `# noqa: ${code} names no Crosstalk rule, so it suppresses nothing${near.length ? `; did you mean ${near.join(' or ')}?` : ''}`,
              fix: removal(ctx.file.text, node.startIndex, node.endIndex, noqa, i, start, end),
            });
          }
        },
      };
    },
  });
  return rule;
}

/** The edit that drops code `i` from the directive, or the whole directive when it is the only code. */
function removal(
  text: string,
  commentStart: number,
  commentEnd: number,
  noqa: NonNullable<ReturnType<typeof noqaCodes>>,
  i: number,
  start: number,
  end: number,
): Fix | null {
  const { codes, directive } = noqa;
  const title = `Remove ${codes[i].code} from the noqa comment`;
  if (codes.length > 1) {
    // with the separator that follows it (or, for the last code, the one before it)
    return i + 1 < codes.length
      ? Fix.safe(title, [Edit.replace(start, codes[i + 1].start, '')])
      : Fix.safe(title, [Edit.replace(codes[i - 1].end, end, '')]);
  }
  if (text.slice(directive.end, commentEnd).trim() !== '') return null;
  // the directive and the blanks before it; the whole comment when the directive was all of it
  let from = directive.start;
  while (
    from > 0 &&
    (text[from - 1] === ' ' || text[from - 1] === '\t') &&
    (from > commentStart || directive.start === commentStart)
  )
    from--;
  // in a CRLF file the comment runs to the \r: that stays with the line's end
  const to = text[commentEnd - 1] === '\r' ? commentEnd - 1 : commentEnd;
  return Fix.safe(`Remove the noqa comment naming ${codes[i].code}`, [Edit.replace(from, to, '')]);
}
