import { Edit, Fix } from '../engine/fix';
import type { Node } from '../syntax/parser';
import { createRule, type Listeners } from '../engine/rule';
import { parameterIdentifier, stringValue, walk } from '../syntax/nodes';

/** Removed in pytest-xdist 2.0, and what replaced each. */
const NAMES = new Set(['identifier', 'string']);
const RENAMED: Record<string, string> = {
  slaveinput: 'workerinput',
  slaveid: 'workerid',
  slaveoutput: 'workeroutput',
  slave_id: 'worker_id',
};

export default createRule({
  id: 'XT030',
  name: 'xdist-legacy-api',
  severity: 'error',
  fix: 'always',
  summary: "pytest-xdist's removed `slave*` names: the lookup silently finds nothing, so every worker shares one name",
  table: {
    finds:
      '`slaveinput`, `slaveid`, `slaveoutput`, `slave_id`, removed in pytest-xdist 2.0: the lookup silently finds nothing, so every worker shares one name',
    fix: 'Safe: rename to `workerinput`, `workerid`, `workeroutput`, `worker_id`',
  },
  docs: {
    what:
      '`slaveinput`, `slaveid`, `slaveoutput` (attributes of the pytest config or node, or keys of their ' +
      "dicts) and the `slave_id` fixture, all removed in pytest-xdist 2.0. Not where the project's " +
      'requirements keep pytest-xdist below 2.0 (`pytest-xdist==1.22.2`, `<2` in a requirements file, ' +
      'Pipfile, pyproject.toml, setup.cfg or setup.py): 1.x still answers to the old names.',
    why:
      'Code like `if hasattr(config, "slaveinput")` is how a conftest gives each worker its own database ' +
      'name, Redis DB or directory. Since xdist 2.0 the attribute no longer exists, the check is silently ' +
      'false, and every worker falls back to the same shared name.',
    incident:
      "A Django project's conftest.py named each worker's test database from `getattr(request.config, " +
      "'slaveinput', {}).get('slaveid')`. pytest-xdist 2.0 removed `slaveinput`: the lookup silently found " +
      'nothing, every worker used the same database name, and the suite broke on upgrading.',
    incidentUrl: 'https://github.com/pytest-dev/pytest-xdist/issues/579',
    example: [
      'def pytest_configure(config):',
      '    if hasattr(config, "slaveinput"):                # XT030',
      '        worker = config.slaveinput["slaveid"]        # XT030 (twice)',
      '',
      '# fixed',
      'def pytest_configure(config):',
      '    if hasattr(config, "workerinput"):',
      '        worker = config.workerinput["workerid"]',
    ].join('\n'),
    fixSafety:
      'Safe: a rename to the names pytest-xdist has used since 1.22 (`workerinput`, `workerid`, ' +
      '`workeroutput`, `worker_id`); a renamed `slave_id` parameter is renamed everywhere in its function.',
  },
  create(ctx): Listeners {
    if (!ctx.file.mentions('slave')) return {}; // every old name it knows has it
    // requirements that keep pytest-xdist below 2.0 (qcat pins 1.22.2): the old names still work there
    const major = ctx.project?.cappedMajor('pytest-xdist');
    if (major !== null && major !== undefined && major < 2) return {};
    const report = (node: Node, old: string, fix: Fix) =>
      ctx.report({
        node,
        message: `${old} was removed in pytest-xdist 2.0: the lookup silently finds nothing, so every worker falls back to one shared name; use ${RENAMED[old]}`,
        fix,
      });
    const rename = (old: string) => `Rename ${old} to ${RENAMED[old]}`;
    return {
      attribute(node) {
        const attr = node.childForFieldName('attribute');
        if (!attr || !(attr.text in RENAMED) || attr.text === 'slave_id') return;
        report(
          attr,
          attr.text,
          Fix.safe(rename(attr.text), [Edit.replace(attr.startIndex, attr.endIndex, RENAMED[attr.text])]),
        );
      },
      string(node) {
        const value = stringValue(node);
        if (value === null || !(value in RENAMED)) return;
        const content = node.namedChildren.find(c => c?.type === 'string_content');
        if (!content) return;
        report(
          node,
          value,
          Fix.safe(rename(value), [Edit.replace(content.startIndex, content.endIndex, RENAMED[value])]),
        );
      },
      function_definition(fn) {
        const params = fn.childForFieldName('parameters');
        const param = params?.namedChildren.map(p => p && parameterIdentifier(p)).find(id => id?.text === 'slave_id');
        if (!param) return;
        const edits: Edit[] = [];
        walk(
          fn,
          n => {
            if (n.type === 'identifier' && n.text === 'slave_id')
              edits.push(Edit.replace(n.startIndex, n.endIndex, 'worker_id'));
            return n.type !== 'string';
          },
          NAMES,
        );
        report(param, 'slave_id', Fix.safe(rename('slave_id'), edits));
      },
    };
  },
});
