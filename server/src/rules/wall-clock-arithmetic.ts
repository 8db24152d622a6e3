import { Edit, Fix } from '../engine/fix';
import { importName } from '../engine/imports';
import type { Node } from '../syntax/parser';
import { createRule, type RuleContext } from '../engine/rule';
import { fixedDateExpression, returnsFixedDate } from '../analysis/dates';
import { escapeRegExp } from '../syntax/text';
import { integerValue } from './lib/constants';
import {
  assignedValues,
  bodyStatements,
  defName,
  definitionOf,
  field,
  isConstant,
  parameterNames,
  walk,
} from '../syntax/nodes';

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
      'Field arithmetic in `.replace(second=x.second + 1)` or `date(d.year, d.month + 1, 1)`, or today moved to a year with no 29 February (`.replace(year=2010)`): fails at certain times',
    fix: 'Safe: `x + timedelta(seconds=1)`',
  },
  docs: {
    what:
      'Arithmetic on one field of a date or time inside `.replace(...)`: `t.replace(second=t.second + 1)`, ' +
      "`d.replace(day=d.day - 1)`, `now.replace(minute=now.minute + 5)`; and a date built from another's fields with " +
      'one moved: `date(today.year, today.month + 1, 1)`, `datetime(now.year, now.month, now.day - 1)`, ' +
      '`month=(now.month - 1) % 12` (0 in January). And a date moved to a year that is ' +
      'not a leap year, or to a month shorter than 31 days, keeping its day: `joined.replace(year=2010)`, ' +
      '`now().replace(year=year)` in a loop over `[2017, 2019, 2020]`, ' +
      '`now.replace(month=2)` (not with `day=`, nor on a date the test builds from constants or a fixture ' +
      'it requests hands it so, `return date(2022, 12, 31)`, nor under a ' +
      'clock frozen at a literal date: `@freeze_time("2022-05-13")`). Rounding down (`m.replace(minute=m.minute - ' +
      '(m.minute % 5))`) stays in range and is not reported, nor is a date that a function of the ' +
      "project's own modules handed back (`start = calculate_season_start_date()`): which days it can be is " +
      "that function's business, which Crosstalk does not follow. Nor a date of a row a Django fixture file " +
      'loads: a field of an object the test fetches (`Event.objects.get(...)`) in a class with `fixtures = [...]` ' +
      "(its own or a base's), which neither the test before the move nor setUp gives a value. Nor a month moved " +
      'under a condition that compares it with the edge: the test handles December itself ' +
      '(`if today.month == 12: ... else: date(today.year, today.month + 1, 1)`).',
    why:
      'The field overflows at the edge of its range: at second 59, minute 59, the last day of a month, in ' +
      'December; and a year or month arithmetic lands on a day the target lacks (`d.replace(year=d.year - 1)` ' +
      "on 29 February; a year moved by a multiple of 4 lands on a leap year, counted through the module's " +
      "and the project's constants (`year - (AGE_LIMIT + 1)` where `AGE_LIMIT = 35`), and neither it nor a move that " +
      'also sets `day=` to 28 or less is reported). The ' +
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
      'next field as intended. No fix for months and years (they have no fixed length), nor for a date a ' +
      'constructor builds from fields (what the test means by the moved field is its own choice).',
  },
  create(ctx) {
    return {
      call(call) {
        const fn = call.childForFieldName('function');
        // (the callee's last name first: most calls build no date)
        const last = fn?.type === 'attribute' ? field(fn, 'attribute').text : fn?.text;
        if (fn && (last === 'date' || last === 'datetime') && CONSTRUCTORS.has(ctx.names.resolve(fn) ?? '')) {
          constructed(ctx, call);
          return;
        }
        if (fn?.type !== 'attribute' || field(fn, 'attribute').text !== 'replace') return;
        const receiver = field(fn, 'object');
        const kwargs =
          call.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => a?.type === 'keyword_argument') ??
          [];
        if (shortMonthOrYear(ctx, call, receiver, kwargs)) return;
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
          // `m - (m % 5)` rounds down to a multiple: it stays in the field's range (chiefonboarding)
          if (op === '-' && roundsDown(right, left)) continue;
          // a whole number of leap cycles from a year lands on a 29 February too (until 2100)
          const years = fieldName === 'year' && right ? integerValue(ctx, right) : null;
          if (years !== null && years % 4 === 0) continue;
          // a day the call sets to one every month has (`day=1`) is no 29 February (djangocms-blog)
          if (fieldName === 'year' && everyMonthHasDay(kwargs)) continue;
          // the test handles the edge month itself (`if today.month == 12: ... else: ...`)
          if (fieldName === 'month' && edgeGuarded(call, left.text, op === '+' ? 12 : 1)) continue;
          // a date the test builds from constants is the same at every run: no wall clock in it
          const fn = ctx.defs.enclosingFunction(call);
          if (fixedDate(receiver, fn) || fixtureDate(ctx, receiver, fn) || frozenClock(ctx, call)) return;
          // a date the project's own function hands back is that function's choice (a season's start)
          if (projectDate(ctx, receiver, fn, call) || fixtureFileDate(ctx, receiver, fn, call)) return;
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
            message: edgeMessage(kw.text, left.text, receiver.text, fieldName, op, years),
            fix,
          });
          return;
        }
      },
    };
  },
});

/** The classes whose constructor takes a date's fields: `datetime(year, month, day, hour, ...)`. */
const CONSTRUCTORS = new Set(['datetime.datetime', 'datetime.date', 'django.utils.timezone.datetime']);
const POSITIONAL = ['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond'];

/**
 * A date built from another's fields with one of them moved: `date(today.year, today.month + 1, 1)`,
 * `datetime(now.year, now.month, now.day - 1)`, `month=(now.month - 1) % 12` (0 in January). The field
 * leaves its range at the edge (December, the 1st, midnight) and the constructor raises ValueError.
 */
function constructed(ctx: RuleContext, call: Node): void {
  const args = call.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => !!a) ?? [];
  args.forEach((arg, i) => {
    const keyword = arg.type === 'keyword_argument';
    const fieldName = keyword ? field(arg, 'name').text : POSITIONAL[i];
    if (!fieldName || fieldName === 'year' || !FIELDS.has(fieldName)) return;
    let value = keyword ? arg.childForFieldName('value') : arg;
    // `(now.month - 1) % 12`: still 0 (or 13 % 12) at one end of the year
    const modulo = value?.type === 'binary_operator' && value.childForFieldName('operator')?.text === '%';
    if (modulo) value = value?.childForFieldName('left') ?? null;
    while (value?.type === 'parenthesized_expression') value = value.namedChildren[0] ?? null;
    if (value?.type !== 'binary_operator') return;
    const [left, right] = [value.childForFieldName('left'), value.childForFieldName('right')];
    const op = value.childForFieldName('operator')?.text;
    if ((op !== '+' && op !== '-') || left?.type !== 'attribute' || field(left, 'attribute').text !== fieldName) return;
    if (right?.type !== 'integer' || Number(right.text) === 0) return;
    if (op === '-' && roundsDown(right, left)) return;
    const receiver = field(left, 'object');
    const fn = ctx.defs.enclosingFunction(call);
    if (fixedDate(receiver, fn) || fixtureDate(ctx, receiver, fn) || frozenClock(ctx, call)) return;
    if (fixedDateExpression(receiver) || classDate(ctx, receiver, call) || projectDate(ctx, receiver, fn, call)) return;
    if (fieldName === 'month' && edgeGuarded(call, left.text, op === '+' ? (modulo ? 11 : 12) : 1)) return;
    const when =
      fieldName === 'month'
        ? `${left.text} is ${op === '+' ? (modulo ? 'November' : 'December') : 'January'}`
        : fieldName === 'day'
          ? `${left.text} is ${op === '+' ? 'the last day of its month' : 'the 1st'}`
          : `${left.text} is at the edge of its range`;
    ctx.report({
      node: call,
      message: `${field(call, 'function').text}(..., ${arg.text}, ...) fails with ValueError when ${when}: the test fails only at those moments`,
      fix: null,
    });
  });
}

/**
 * `call` sits under a condition that compares `month` (`self.today.month`) with the month at whose edge
 * the arithmetic leaves its range: `if today.month == 12: ... else: date(today.year, today.month + 1, 1)`.
 * The test handles December itself.
 */
function edgeGuarded(call: Node, month: string, edge: number): boolean {
  const m = escapeRegExp(month);
  const compared = new RegExp(
    `${m}\\s*(?:[=!<>]=|[<>])\\s*${edge}\\b|\\b${edge}\\s*(?:[=!<>]=|[<>])\\s*${m}(?![\\w.])`,
  );
  for (let n = call.parent; n && n.type !== 'function_definition'; n = n.parent)
    if (GUARDS.has(n.type) && compared.test(conditionOf(n)?.text ?? '')) return true;
  return false;
}
const GUARDS = new Set(['if_statement', 'elif_clause', 'conditional_expression']);

/** The condition of an `if`, `elif` or `a if condition else b` (whose parts have no field names). */
function conditionOf(n: Node): Node | null {
  return n.type === 'conditional_expression' ? (n.namedChildren[1] ?? null) : n.childForFieldName('condition');
}

/**
 * `self.MOCK_DATE` where the class gives MOCK_DATE a date built from constants (graphite-web's
 * `MOCK_DATE = zone.localize(datetime(2015, 1, 1, 11, 00))`): the same at every run.
 */
function classDate(ctx: RuleContext, receiver: Node, at: Node): boolean {
  if (receiver.type !== 'attribute' || !/^(self|cls)$/.test(field(receiver, 'object').text)) return false;
  const name = field(receiver, 'attribute').text;
  const cls = [...ctx.defs.around(at)].find(d => d.type === 'class_definition')?.node;
  const values = cls
    ? bodyStatements(cls).flatMap(stmt => {
        const assign = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
        return assign?.type === 'assignment' && assign.childForFieldName('left')?.text === name
          ? [assign.childForFieldName('right')]
          : [];
      })
    : [];
  return values.length > 0 && values.every(v => !!v && fixedDateExpression(v));
}

/**
 * `.replace(year=2010)` (not a leap year) or `.replace(month=2)` (a month with fewer than 31 days) on a
 * date the test does not fix, with no `day=`: a date of today moved there does not exist on 29 February
 * (the 29th to the 31st): Misago's `user.joined_on.replace(year=2010)`. Reported, and true, when found.
 */
function shortMonthOrYear(ctx: RuleContext, call: Node, receiver: Node, kwargs: Node[]): boolean {
  const given = new Map(kwargs.map(kw => [field(kw, 'name').text, kw.childForFieldName('value')] as const));
  if (given.has('day')) return false;
  const year = given.get('year');
  const month = given.get('month');
  // a literal, or the loop variable of a `for` over literals (rangeland's `for year in [2017, 2019, 2020]`):
  // the first value that has no such day
  const literal = (v: Node | null | undefined, lacks: (n: number) => boolean) => {
    const values = v?.type === 'integer' ? [Number(v.text)] : v?.type === 'identifier' ? loopValues(v) : [];
    return values.find(lacks) ?? (values.length === 1 ? (values[0] ?? null) : null);
  };
  const y = literal(year, n => !leapYear(n));
  const m = literal(month, n => !!SHORT_MONTHS[n]);
  let when: string | null = null;
  if (m !== null && SHORT_MONTHS[m] && (year === undefined || y !== null))
    when = `is ${SHORT_MONTHS[m]}: month ${m} has no such day`;
  else if (y !== null && month === undefined && !leapYear(y)) when = `is 29 February: ${y} has no such day`;
  if (!when) return false;
  const fn = ctx.defs.enclosingFunction(call);
  if (
    fixedDate(receiver, fn) ||
    fixedDateExpression(receiver) ||
    frozenClock(ctx, call) ||
    projectDate(ctx, receiver, fn, call) ||
    fixtureFileDate(ctx, receiver, fn, call)
  )
    return false;
  const args = (call.childForFieldName('arguments')?.text ?? '')
    .replace(/\s+/g, ' ')
    .replace(/\( | \)/g, m => m.trim());
  ctx.report({
    node: call,
    message: `${receiver.text}.replace${args} fails with ValueError when ${receiver.text} ${when}: the test fails only on those dates`,
    fix: null,
  });
  return true;
}

/**
 * The integers a loop variable takes: `name` bound by an enclosing `for name in [2017, 2019]:` (or a
 * comprehension's `for` clause) over a list or tuple of integer literals; none otherwise.
 */
function loopValues(name: Node): number[] {
  for (let n = name.parent; n && n.type !== 'function_definition'; n = n.parent) {
    const loops =
      n.type === 'for_statement'
        ? [n]
        : /comprehension|generator_expression/.test(n.type)
          ? n.namedChildren.filter(c => c?.type === 'for_in_clause')
          : [];
    for (const loop of loops) {
      if (loop?.childForFieldName('left')?.text !== name.text) continue;
      const items = loop.childForFieldName('right');
      if (items?.type !== 'list' && items?.type !== 'tuple') return [];
      const values = items.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
      return values.every(c => c.type === 'integer') ? values.map(c => Number(c.text)) : [];
    }
  }
  return [];
}

/** The days a month lacks, for the months shorter than 31 days. */
const SHORT_MONTHS: Record<number, string | undefined> = {
  2: 'the 29th to the 31st',
  4: 'the 31st',
  6: 'the 31st',
  9: 'the 31st',
  11: 'the 31st',
};

/** `day=1` ... `day=28` among the call's keywords: a day every month and year has. */
function everyMonthHasDay(kwargs: Node[]): boolean {
  const day = kwargs.find(kw => field(kw, 'name').text === 'day')?.childForFieldName('value');
  return day?.type === 'integer' && Number(day.text) >= 1 && Number(day.text) <= 28;
}

function leapYear(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

/** Calls that build a date or time from their arguments alone: `date(2025, 1, 1)`, `datetime.strptime(s, f)`. */
/**
 * `receiver` is a date its function fixes: a local name every assignment of which builds the date from
 * constants (tapir: `d = datetime.strptime(self.DAY_TO_CANCEL, "%d-%m-%y").date()`).
 */
function fixedDate(receiver: Node, fn: Node | null): boolean {
  if (receiver.type !== 'identifier' || !fn) return false;
  const values = assignedValues(fn, receiver.text);
  // a parameter, loop variable or `with ... as` name of that name is not a fixed date
  const named = new RegExp(`\\b${receiver.text}\\b`);
  let bound = false;
  walk(
    fn,
    node => {
      if (node.type === 'function_definition' || node.type === 'lambda') return node.startIndex === fn.startIndex;
      bound ||= named.test(node.text);
      return !bound;
    },
    BINDERS,
  );
  return !bound && values.length > 0 && values.every(fixedDateExpression);
}
const BINDERS = new Set(['for_statement', 'as_pattern', 'parameters', 'function_definition', 'lambda']);

/**
 * `receiver` is a fixture the test requests that hands it a fixed date (portail-rse's
 * `date_cloture_dernier_exercice`, `return date(2022, 12, 31)`), from the module or a conftest.py above,
 * and the test neither parametrizes nor reassigns it.
 */
function fixtureDate(ctx: RuleContext, receiver: Node, fn: Node | null): boolean {
  if (receiver.type !== 'identifier' || !fn || !ctx.testing.isTestFunction(fn)) return false;
  const name = receiver.text;
  if (!parameterNames(fn).includes(name) || assignedValues(fn, name).length > 0) return false;
  if (
    ctx.defs
      .statement(fn)
      .text.slice(0, fn.startIndex - ctx.defs.statement(fn).startIndex)
      .includes(name)
  )
    return false; // a decorator names it: `@pytest.mark.parametrize("name", ...)`
  const own = ctx.file.topLevel
    .map(u => definitionOf(u.node))
    .find(d => d.type === 'function_definition' && defName(d) === name && ctx.testing.isFixture(d));
  if (own) return returnsFixedDate(own);
  return ctx.project?.fixedDateFixtures.get(name) === true;
}

/**
 * `receiver` holds, where the date is moved, what a function of the project's own modules returned
 * (`start_date = calculate_berth_lease_start_date()`): which dates that can be is the function's
 * business (berth-reservations' season starts, between June and September), not the wall clock's, as
 * far as Crosstalk can see. Quiet rather than a guess.
 */
function projectDate(ctx: RuleContext, receiver: Node, fn: Node | null, at: Node): boolean {
  const project = ctx.project;
  if (receiver.type !== 'identifier' || !fn || !project) return false;
  // the last value assigned before the move (not the assignment that holds it)
  const last = assignedValues(fn, receiver.text, at)
    .filter(v => v.endIndex <= at.startIndex)
    .at(-1);
  const q = last?.type === 'call' ? ctx.names.resolve(field(last, 'function')) : null;
  return !!q && project.definesFunction(q);
}

/**
 * `receiver` is a date of a row a Django fixture file put in the database: followed back through the
 * test's assignments (`start_time = start_time.replace(...)`, `start_time = event.start_time`) to a field
 * of an object the test fetched (`event = Event.objects.get(title="Test event")`), in a class that loads
 * `fixtures = [...]`, where neither the test before the move nor the class's setUp gives that field a
 * value (airmozilla's `start_time.replace(year=2014)` on 21 June 2012). The same date at every run.
 */
function fixtureFileDate(ctx: RuleContext, receiver: Node, fn: Node | null, at: Node): boolean {
  const cls = fn ? ctx.defs.methodClass(fn) : null;
  if (!fn || !cls || !ctx.testing.loadsFixtures(cls)) return false;
  const before = (name: string, where: Node) =>
    assignedValues(fn, name, where)
      .filter(v => v.endIndex <= where.startIndex)
      .at(-1);
  let value: Node | null | undefined = receiver;
  for (let step = 0; value && step < 8; step++) {
    // `x.replace(...)`: the date it moves
    if (value.type === 'call' && /\.replace$/.test(field(value, 'function').text))
      value = field(field(value, 'function'), 'object');
    else if (value.type === 'identifier') value = before(value.text, value);
    else break;
  }
  if (value?.type !== 'attribute') return false;
  const object = field(value, 'object');
  const name = field(value, 'attribute').text;
  if (object.type !== 'identifier') return false;
  const fetched = before(object.text, value);
  if (
    fetched?.type !== 'call' ||
    !/\.objects\.(?:[\s\S]*\.)?(?:get|first|last|latest|earliest)$/.test(field(fetched, 'function').text)
  )
    return false;
  // the field given a value of the test's own (or by setUp, to every test): not the file's
  const written = new RegExp(`\\.${escapeRegExp(name)}\\s*=(?!=)`);
  if (written.test(fn.text.slice(0, at.startIndex - fn.startIndex))) return false;
  return !ctx.testing.setupHooksOf(cls).some(hook => written.test(hook.text));
}

/** `(x.minute % 5)` for `x.minute`: what `x.minute - (x.minute % 5)` takes away to round down. */
function roundsDown(right: Node | null, left: Node): boolean {
  let r = right;
  while (r?.type === 'parenthesized_expression') r = r.namedChildren[0] ?? null;
  return (
    r?.type === 'binary_operator' &&
    r.childForFieldName('operator')?.text === '%' &&
    r.childForFieldName('left')?.text === left.text
  );
}

/**
 * The clock stands still at a date the code gives: `@freeze_time("2022-05-13")` (freezegun) or
 * `@time_machine.travel(...)` with a literal, without `tick=True`, on the test or its class. `now()` is
 * then the same at every run.
 */
function frozenClock(ctx: RuleContext, call: Node): boolean {
  return [...ctx.defs.around(call)].some(d =>
    ctx.defs.decorators(d.node).some(dec => {
      if (dec.type !== 'call' || !FREEZERS.test(field(dec, 'function').text)) return false;
      const args = dec.childForFieldName('arguments')?.namedChildren.filter((a): a is Node => !!a) ?? [];
      const first = args[0];
      return (
        !!first &&
        first.type !== 'keyword_argument' &&
        isConstant(first) &&
        !args.some(a => a.type === 'keyword_argument' && /^tick\s*=\s*True$/.test(a.text))
      );
    }),
  );
}
const FREEZERS = /(^|\.)(freeze_time|travel)$/;

/** When the change leaves the field's range, field by field: that is when the test fails. */
function edgeMessage(
  change: string,
  value: string,
  date: string,
  fieldName: string,
  op: string,
  years: number | null,
): string {
  const when =
    fieldName === 'year'
      ? `lands on a day that year does not have when ${date} is 29 February${years !== null ? ` (${years} is not a multiple of 4)` : ' and the year it gives is not a leap year'}: the test fails only on leap day`
      : fieldName === 'month'
        ? `overflows when ${value} is ${op === '+' ? 'December' : 'January'}, and lands on a day the month does not have when ${date} is the 29th to the 31st: the test fails only on certain dates`
        : `overflows when ${value} is at the edge of its range: the test fails only at certain wall-clock moments`;
  return `${change} ${when}`;
}
