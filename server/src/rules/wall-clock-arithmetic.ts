import { Edit, Fix } from '../engine/fix';
import { importName } from '../engine/imports';
import type { Node } from '../syntax/parser';
import { createRule } from '../engine/rule';
import { field } from '../syntax/nodes';

const FIELDS = new Set(['microsecond', 'second', 'minute', 'hour', 'day', 'month', 'year']);
const TIMEDELTA_UNIT: Record<string, string> = {
  microsecond: 'microseconds',
  second: 'seconds',
  minute: 'minutes',
  hour: 'hours',
  day: 'days',
};

export default createRule({
  id: 'XT110',
  name: 'wall-clock-arithmetic',
  severity: 'warning',
  fix: 'sometimes',
  summary: 'Date arithmetic on a single field (`now.replace(second=now.second + 1)`) overflows at the wrong moment',
  table: {
    finds:
      'Field arithmetic in `.replace(second=x.second + 1)`: overflows at the edge of the range, so the test fails at certain times',
    fix: 'Safe: `x + timedelta(seconds=1)`',
  },
  docs: {
    what:
      'Arithmetic on one field of a date or time inside `.replace(...)`: `t.replace(second=t.second + 1)`, ' +
      '`d.replace(day=d.day - 1)`, `now.replace(minute=now.minute + 5)`.',
    why:
      'The field overflows at the edge of its range: at second 59, minute 59, the last day of a month. The ' +
      'test then raises `ValueError` or asserts on a wrong time, but only when the clock happens to be there: ' +
      'once a minute, once a month, and more often when parallel runs stretch the suite across the edge.',
    incident:
      'flepiMoP: a test computed `after.replace(microsecond=0, second=after.second + 1)` and failed with ' +
      '`ValueError: second must be in 0..59` whenever it ran at second 59; the fix: `after + ' +
      'timedelta(seconds=1)`.',
    incidentUrl: 'https://github.com/HopkinsIDD/flepiMoP/issues/287',
    example: [
      'later = now.replace(second=now.second + 1)           # XT110',
      '',
      '# fixed',
      'later = now + timedelta(seconds=1)',
    ].join('\n'),
    fixSafety:
      'Safe for microseconds, seconds, minutes, hours and days: `x + timedelta(...)` carries over into the ' +
      'next field as intended. No fix for months and years (they have no fixed length).',
  },
  create(ctx) {
    return {
      call(call) {
        const fn = call.childForFieldName('function');
        if (fn?.type !== 'attribute' || field(fn, 'attribute').text !== 'replace') return;
        const receiver = field(fn, 'object');
        const kwargs =
          call.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => a?.type === 'keyword_argument') ??
          [];
        for (const kw of kwargs) {
          const fieldName = field(kw, 'name').text;
          const value = kw.childForFieldName('value');
          if (!FIELDS.has(fieldName) || value?.type !== 'binary_operator') continue;
          const [left, right] = [value.childForFieldName('left'), value.childForFieldName('right')];
          const op = value.childForFieldName('operator')?.text;
          if (
            (op !== '+' && op !== '-') ||
            left?.type !== 'attribute' ||
            left.childForFieldName('attribute')?.text !== fieldName
          )
            continue;
          const unit = TIMEDELTA_UNIT[fieldName];
          const integer =
            unit && kwargs.length === 1 && field(left, 'object').text === receiver.text && right?.type === 'integer'
              ? right
              : null;
          let fix: Fix | null = null;
          if (integer) {
            const { expr, edits } = importName(ctx, 'datetime', 'timedelta');
            fix = Fix.safe(`Use ${receiver.text} ${op} timedelta(${unit}=${integer.text})`, [
              ...edits,
              Edit.replace(call.startIndex, call.endIndex, `${receiver.text} ${op} ${expr}(${unit}=${integer.text})`),
            ]);
          }
          ctx.report({
            node: call,
            message: `${kw.text} overflows when ${left.text} is at the edge of its range: the test fails only at certain wall-clock moments`,
            fix,
          });
          return;
        }
      },
    };
  },
});
