// The property checker of test/props (run over fixtures and corpora by `npm run test:props`) catches
// each kind of broken fix: a rule made here offers one deliberately broken fix per property.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { Edit, Fix } from '../../server/src/engine/fix';
import type { Node } from '../../server/src/syntax/parser';
import { createRule, type RuleContext } from '../../server/src/engine/rule';
import { mapOffset, PropertyChecker, toTabs } from '../props/properties';
import { parser } from './helpers';

/** A rule that flags every `hazard()` call and offers `fix` for it. */
function ruleFixing(fix: (ctx: RuleContext, call: Node) => Edit[]) {
  return createRule({
    id: 'XT999',
    name: 'broken-fix',
    severity: 'warning',
    fix: 'always',
    summary: 'test only',
    table: { finds: '', fix: '' },
    docs: { what: '', why: '', incident: '', incidentUrl: '', example: '', fixSafety: '' },
    create: ctx => ({
      call(node) {
        if (node.childForFieldName('function')?.text === 'hazard')
          ctx.report({ node, message: 'hazard', fix: Fix.unsafe('fix it', fix(ctx, node)) });
      },
    }),
  });
}

const SOURCE = `from django.test import TestCase
import os


class T(TestCase):
    @staticmethod  # a comment
    # a comment line

    @property
    def test_x(self):
        hazard()
`;

/** The properties violated when `fix` is offered for every `hazard()` in `text`. */
async function violated(fix: (ctx: RuleContext, call: Node) => Edit[], text = SOURCE): Promise<string[]> {
  const report = new PropertyChecker(await parser()).check(text, { rules: [ruleFixing(fix)] });
  assert.ok(report.fixesTried > 0);
  return [...new Set(report.violations.map(v => v.property))].sort();
}

const renameCall = (_: RuleContext, call: Node) => [Edit.replace(call.startIndex, call.endIndex, 'safe()')];

test('a good fix violates nothing, in LF, CRLF and tab-indented files', async () => {
  assert.deepEqual(await violated(renameCall), []);
  assert.deepEqual(await violated(renameCall, SOURCE.replace(/\n/g, '\r\n')), []);
  assert.deepEqual(await violated(renameCall, toTabs(SOURCE)), []);
});

test('new syntax errors: reparse', async () => {
  assert.deepEqual(await violated((_, call) => [Edit.replace(call.startIndex, call.endIndex, 'safe(')]), ['reparse']);
});

test('a fix that leaves its finding, and keeps changing the text: idempotent, converges', async () => {
  assert.deepEqual(await violated((_, call) => [Edit.insert(call.startIndex, 'x = 1; ')]), ['converges', 'idempotent']);
});

test('a second import of a name, or a second "from m import" line: imports', async () => {
  assert.deepEqual(await violated((_, call) => [...renameCall(_, call), Edit.insert(0, 'import os\n')]), ['imports']);
  assert.deepEqual(
    await violated((_, call) => [
      ...renameCall(_, call),
      Edit.insert(0, 'from django.test import override_settings\n'),
    ]),
    ['imports'],
  );
});

const at = (ctx: RuleContext, text: string) => ctx.file.text.indexOf(text);

test('a comment line, a trailing comment or a blank line among the decorators lost: decorators', async () => {
  assert.deepEqual(
    await violated((ctx, call) => [
      ...renameCall(ctx, call),
      Edit.replace(at(ctx, '    # a comment line'), at(ctx, '    @property') - 1, '    @new'),
    ]),
    ['decorators'],
  );
  assert.deepEqual(
    await violated((ctx, call) => [
      ...renameCall(ctx, call),
      Edit.replace(at(ctx, '  # a comment'), at(ctx, '  # a comment') + 13, ''),
    ]),
    ['decorators'],
  );
  assert.deepEqual(
    await violated((ctx, call) => [
      ...renameCall(ctx, call),
      Edit.replace(at(ctx, '\n\n    @property'), at(ctx, '\n\n    @property') + 1, ''),
    ]),
    ['decorators'],
  );
});

test('a fix that deletes the other statements of its line: removes', async () => {
  const wholeLine = (ctx: RuleContext, call: Node) => {
    const start = ctx.file.text.lastIndexOf('\n', call.startIndex) + 1;
    return [Edit.replace(start, ctx.file.text.indexOf('\n', call.endIndex) + 1, '')];
  };
  assert.deepEqual(await violated(wholeLine, 'def test_y():\n    x = 1\n    hazard()\n'), []);
  assert.deepEqual(await violated(wholeLine, 'def test_y():\n    x = 1\n    hazard(); other()\n'), ['removes']);
});

test('a statement added outside the function of its finding: placement', async () => {
  const before = (where: string, indent: string) => (ctx: RuleContext, call: Node) => [
    ...renameCall(ctx, call),
    Edit.insert(at(ctx, where), `cleanup()\n${indent}`),
  ];
  assert.deepEqual(await violated(before('hazard()', ' '.repeat(8))), []);
  assert.deepEqual(await violated(before('@staticmethod', ' '.repeat(4))), ['placement']);
});

test('a decorator removed whole, or a new one among the others, is fine', async () => {
  assert.deepEqual(
    await violated((ctx, call) => [
      ...renameCall(ctx, call),
      Edit.replace(at(ctx, '    @property'), at(ctx, '    def test_x'), ''),
    ]),
    [],
  );
  assert.deepEqual(
    await violated((ctx, call) => [...renameCall(ctx, call), Edit.insert(at(ctx, 'def test_x'), '@isolate\n    ')]),
    [],
  );
});

test('a bare LF in a CRLF file: crlf; a space-indented line in a tab-indented file: tabs', async () => {
  // the new line is at the call's indentation (a tab counts 8 columns), in spaces
  const addLine = (ctx: RuleContext, call: Node) => {
    const indent = /[ \t]*$/.exec(ctx.file.text.slice(0, call.startIndex))![0].replace(/\t/g, ' '.repeat(8));
    return [...renameCall(ctx, call), Edit.insert(call.endIndex, `\n${indent}done()`)];
  };
  assert.deepEqual(await violated(addLine, SOURCE.replace(/\n/g, '\r\n')), ['crlf']);
  assert.deepEqual(await violated(addLine, toTabs(SOURCE)), ['tabs']);
});

test('offsets map through insertions and replacements', () => {
  const edits = [Edit.insert(2, 'ab'), Edit.replace(5, 8, 'x')];
  assert.deepEqual(
    [0, 2, 3, 5, 6, 8, 9].map(o => mapOffset(o, edits)),
    [0, 4, 5, 7, 7, 8, 9],
  );
});
