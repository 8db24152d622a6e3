import { Edit, Fix } from '../engine/fix';
import type { Node } from '../syntax/parser';
import { createRule, type RuleContext } from '../engine/rule';
import {
  assignedValues,
  bodyStatements,
  defName,
  definitionOf,
  field,
  keywordArgument,
  positionalArguments,
  stringValue,
} from '../syntax/nodes';

const LIVE_SERVERS = /LiveServerTestCase$/;
/** callees that start or bind a server (a `port=` there claims the port) */
const PORT_WORDS = /bind|connect|listen|runserver|port|[sS]erve|run_simple|TCPSite/;
const SERVER_CALL = /serve|server|listen|bind|run_app|runserver|start|socket|uvicorn|make_server/i;
/** callees that start a server on the host and port they are given, one after the other or as an address tuple */
const SERVER_START = /(?:server|^serve\w*|^run_simple|^TCPSite)$/i;
/** the hosts a test's own server listens on */
const LOCAL_HOSTS = new Set(['', 'localhost', '127.0.0.1', '0.0.0.0', '::', '::1']);
/** calls that make or change rows (their `port=` is a field), not servers */
const ORM_CALL =
  /\.objects\.|\bFactory\b|Factory(\.\w+)?$|\b(baker|mommy|mixer)\.|\.(create|get_or_create|update_or_create|update|filter|get)$/;

export default createRule({
  id: 'XT090',
  name: 'fixed-port',
  severity: 'warning',
  fix: 'sometimes',
  summary: 'A test binds or serves on a fixed port, which parallel workers and runs fight over',
  table: {
    finds:
      'Literal ports in `bind`/`listen`/`connect`, `runserver`, `LiveServerTestCase.port`, `port=8000` for servers: workers collide',
    fix: 'Unsafe: port 0',
  },
  docs: {
    what:
      'Literal ports in tests: `bind`/`connect` address tuples (a `connect` to a port of 1024 and up: a lower ' +
      'one is a server no test started), `listen(8000)`, `runserver` arguments, a ' +
      'server started on a local host and a port (`asyncio.start_server(cb, "localhost", 8888)`, ' +
      '`make_server("", 8000, app)`, `HTTPServer(("", 8000), Handler)`, a starter handed to a runner: curio\'s ' +
      '`spawn(tcp_server, "", 25000, handler)`; in the tests\' code and in a function of the module a test or ' +
      'setup hook calls or hands to a thread or process as its `target=`), a ' +
      '`port = 8081` class attribute on a LiveServerTestCase (or `cls.port = 8081` in its setUpClass), and `port=8000` keyword arguments to calls that ' +
      'start or bind a server (1024 and up: a test cannot bind a lower one, so `port=443` names a server ' +
      "elsewhere). Not what a mock is asserted to have been called with, nor a `port=` that is a model's field: " +
      '`Server.objects.create(port=80)`, a ' +
      "factory's, or an instance of one of the project's models (`Server(host=..., port=5432)`) or of its " +
      "records of values: a pydantic model, a dataclass, an attrs class (`TCPSocketAction(port=8080)`, a probe's spec).",
    why:
      'A port is machine-wide. Two xdist workers (or two CI jobs on one runner) starting a server on 8000 ' +
      'collide: one fails with "Address already in use", or worse, talks to the other worker\'s server.',
    incident:
      'Django: `LiveServerTestCase` searched a fixed port range, which test processes running at the same ' +
      'time fought over; Django 1.11 replaced the range with binding to port 0, so the operating system ' +
      'picks a free port.',
    incidentUrl: 'https://github.com/django/django/pull/6791',
    example: [
      'class BrowserTests(StaticLiveServerTestCase):',
      '    port = 8081                                # XT090',
      '',
      '# fixed: the OS picks a free port',
      'class BrowserTests(StaticLiveServerTestCase):',
      '    port = 0',
    ].join('\n'),
    fixSafety:
      'Unsafe: where the test binds or serves, the port becomes 0, so the operating system picks a free one; ' +
      'code that builds URLs from the literal must read the real port back (`live_server_url`, ' +
      '`server.server_address`). No fix for connect targets or runserver arguments.',
  },
  create(ctx) {
    const report = (port: Node, what: string, fixable = true) => {
      if (!ctx.testing.owner(port) && !inLiveServerClass(port)) return;
      ctx.report({
        node: port,
        message: `${what} fixed port ${port.text}: every xdist worker and every concurrent run on this machine wants the same port`,
        fix:
          fixable && port.type === 'integer'
            ? Fix.unsafe('Use port 0 (the OS picks a free port)', [Edit.replace(port.startIndex, port.endIndex, '0')])
            : null,
      });
    };
    const inLiveServerClass = (n: Node) => {
      const cls = ctx.defs.enclosing(n)?.node;
      return (
        !!cls &&
        cls.type === 'class_definition' &&
        ctx.testing.baseExpressions(cls).some(b => LIVE_SERVERS.test(b.text))
      );
    };
    return {
      call(call) {
        if (!PORT_WORDS.test(call.text)) return; // read from the text: most calls bind nothing
        const fn = call.childForFieldName('function');
        if (!fn) return;
        const method = fn.type === 'attribute' ? field(fn, 'attribute').text : fn.text;
        // what a mock was called with (`run.assert_called_once_with([..., "runserver", "8000"])`): no socket
        if (/^assert_|^(mock\.)?call$/.test(method) || /(^|\.)call$/.test(fn.text)) return;
        // an address tuple held in a local first (`server_address = ("127.0.0.1", 8000)`, BuffaLogs)
        const args = positionalArguments(call).map(a => localTuple(ctx, a, call));
        if ((method === 'bind' || method === 'connect' || method === 'connect_ex') && args[0]?.type === 'tuple') {
          const port = args[0].namedChildren.filter(c => c?.type !== 'comment')[1];
          // a client of a port below 1024 reaches a server no test started (a test cannot bind one): the
          // service under test, which every worker may share (messages' Postfix on port 25)
          if (method !== 'bind' && port && isPort(port) && Number(port.text) < 1024) return;
          // the port-0 fix belongs to the side that binds: a client cannot connect to "any" port
          if (port && isPort(port)) report(port, method === 'bind' ? 'Binds to' : 'Connects to', method === 'bind');
          return;
        }
        if (method === 'listen' && args[0] && isPort(args[0]) && Number(args[0].text) >= 1024) {
          report(args[0], 'Listens on');
          return;
        }
        // runserver's arguments, passed one by one or as a list (subprocess)
        const words = args.flatMap(a =>
          a.type === 'list' || a.type === 'tuple' ? a.namedChildren.filter((c): c is Node => !!c) : [a],
        );
        if (words.some(a => stringValue(a) === 'runserver')) {
          for (const a of words) {
            const v = stringValue(a);
            if (v && /^(\d{2,5}|[\w.-]*:\d{2,5})$/.test(v)) report(a, 'runserver on');
          }
          return;
        }
        const port = keywordArgument(call, 'port');
        // `VirtualServer.objects.create(port=80)`: a model's field, data in the test database, no socket
        if (ORM_CALL.test(fn.text)) return;
        // `Server(host=..., port=5432)`: an instance of one of the project's models, a row's data; or of
        // one of its records of values (`TCPSocketAction(port=8080)`, a pydantic model of a probe's spec)
        const q = ctx.names.resolve(fn);
        const cls = q ? ctx.project?.classInfo(q) : undefined;
        if (cls?.model || cls?.data) return;
        // a server started on a local host and a port (`asyncio.start_server(cb, "localhost", 8888)`,
        // `make_server("", 8000, app)`, `HTTPServer(("", 8000), Handler)`), or a starter handed to a
        // call that runs it (curio's `spawn(tcp_server, "", 25000, handler)`). No fix: the clients of
        // such a server are told the literal too
        const started = SERVER_START.test(method)
          ? args
          : args[0] && /^[\w.]+$/.test(args[0].text) && SERVER_START.test(args[0].text.replace(/^.*\./, ''))
            ? args.slice(1)
            : [];
        for (const [i, a] of started.entries()) {
          const [host, on] =
            a.type === 'tuple' ? a.namedChildren.filter(c => c?.type !== 'comment') : [a, started[i + 1]];
          if (host && on && LOCAL_HOSTS.has(stringValue(host) ?? '-') && isPort(on) && Number(on.text) >= 1024) {
            report(on, 'Serves on', false);
            return;
          }
        }
        // a privileged port (`port=443`) is a server elsewhere the call reaches: tests cannot bind one
        if (port && isPort(port) && Number(port.text) >= 1024 && SERVER_CALL.test(fn.text)) report(port, 'Serves on');
      },
      class_definition(cls) {
        if (!ctx.testing.baseExpressions(cls).some(b => LIVE_SERVERS.test(b.text))) return;
        for (const stmt of bodyStatements(cls)) {
          const assign = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
          const value =
            assign?.type === 'assignment' && assign.childForFieldName('left')?.text === 'port'
              ? assign.childForFieldName('right')
              : null;
          if (value && isPort(value)) report(value, 'The live server uses');
          // `cls.port = 8001` in setUpClass, before the server starts (emstrack's MQTT test case)
          const hook = definitionOf(stmt);
          if (hook.type !== 'function_definition' || defName(hook) !== 'setUpClass') continue;
          for (const value of assignedValues(hook, 'cls.port'))
            if (isPort(value)) report(value, 'The live server uses');
        }
      },
    };
  },
});

/** The tuple a local name holds where the function assigns it once, before `at`; else the node itself. */
function localTuple(ctx: RuleContext, node: Node, at: Node): Node {
  const fn = node.type === 'identifier' ? ctx.defs.enclosingFunction(at) : null;
  const values = fn ? assignedValues(fn, node.text) : [];
  const [only] = values;
  return values.length === 1 && only?.type === 'tuple' && only.startIndex < at.startIndex ? only : node;
}

function isPort(node: Node): boolean {
  return node.type === 'integer' && Number(node.text) > 0 && Number(node.text) < 65536;
}
