// The layers of server/src (ARCHITECTURE.md): each folder imports only the folders below it, no module
// imports itself through others (type-only imports count too), and only the Node adapters touch the disk.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers';

const SRC = path.join(ROOT, 'server/src');
/** Lowest first. A folder may import those before it; lsp and cli are two hosts side by side. */
const LAYERS: string[][] = [
  ['syntax'],
  ['analysis'],
  ['engine'],
  ['rules'],
  ['project'],
  ['host'],
  ['lsp', 'cli'],
  ['node'],
];
/** Modules that may read this machine's disk (everything else is given a FileAccess). */
const NODE_ADAPTERS = /^(host\/nodeFiles|cli\/.*|node\/.*)\.ts$/;

function sources(): string[] {
  return fs
    .readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter(f => f.endsWith('.ts'))
    .map(f => f.split(path.sep).join('/'))
    .sort();
}

/**
 * Every module a source file imports (import, import type, export from, require): ours as paths from SRC, others by
 * name.
 */
export function importsOf(file: string, text: string): { ours: string[]; packages: string[] } {
  const ours: string[] = [],
    packages: string[] = [];
  for (const m of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/g,
  )) {
    const spec = (m[1] ?? m[2])!;
    if (!spec.startsWith('.')) {
      packages.push(spec);
      continue;
    }
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    ours.push(fs.existsSync(path.join(SRC, `${base}.ts`)) ? `${base}.ts` : `${base}/index.ts`);
  }
  return { ours, packages };
}

const layerOf = (file: string) => LAYERS.findIndex(l => l.includes(file.split('/')[0]!));
const graph = new Map(sources().map(f => [f, importsOf(f, fs.readFileSync(path.join(SRC, f), 'utf8'))]));

test('every module of server/src is in a layer', () => {
  assert.deepEqual(
    [...graph.keys()].filter(f => layerOf(f) < 0),
    [],
  );
});

test('each layer imports only the layers below it', () => {
  const wrong: string[] = [];
  for (const [file, { ours }] of graph) {
    for (const target of ours) {
      const from = layerOf(file),
        to = layerOf(target);
      const sameFolder = file.split('/')[0] === target.split('/')[0];
      if (!sameFolder && to >= from) wrong.push(`${file} -> ${target}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('no import cycles, type-only imports included', () => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (f: string, trail: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].join(' -> '));
      return;
    }
    state.set(f, 'open');
    for (const t of graph.get(f)?.ours ?? []) visit(t, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});

test('only the Node adapters touch the disk, processes or the network', () => {
  const node = /^(node:)?(fs|fs\/promises|child_process|net|http|https|worker_threads|os)$/;
  const wrong = [...graph].flatMap(([file, { packages }]) =>
    packages.filter(p => node.test(p) && !NODE_ADAPTERS.test(file)).map(p => `${file}: ${p}`),
  );
  assert.deepEqual(wrong, []);
});

test('the checks see real edges: a lower layer importing a higher one is caught', () => {
  const { ours } = importsOf(
    'engine/lint.ts',
    "import type { Project } from '../project/project';\nconst x = require('../lsp/state');",
  );
  assert.deepEqual(ours, ['project/project.ts', 'lsp/state.ts']);
  assert.ok(
    layerOf('project/project.ts') > layerOf('engine/lint.ts') && layerOf('lsp/state.ts') > layerOf('engine/lint.ts'),
  );
});
