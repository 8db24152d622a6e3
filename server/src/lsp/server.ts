// The language server: pull diagnostics for open test modules, quick fixes, "disable for this line",
// and source.fixAll.crosstalk. Transport-agnostic: node/main.ts hands it a connection.
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  CodeActionKind, DiagnosticSeverity, DidChangeWatchedFilesNotification, MarkupKind, TextDocumentSyncKind, type CodeAction,
  type Connection, type Diagnostic, type InitializeResult, type Position, type TextEdit, type WorkspaceEdit,
} from 'vscode-languageserver';
import { defaultConfig, parseConfig, ResolvedConfig, severityTable } from '../project/config';
import { TextDocument as TextDocumentImpl, type TextDocument } from 'vscode-languageserver-textdocument';
import { conftestFix } from '../rules/cache-not-reset';
import { Documents, type OpenDocument } from './documents';
import { moduleName, walkTestFiles } from '../project/files';
import { decodeSource } from '../syntax/source';
import { isLocal, type Edit } from '../engine/fix';
import { fixAll, lint, type LintOptions } from '../engine/lint';
import { type Finding } from '../engine/finding';
import { findProjectRoot, Project, viewFor } from '../project/project';
import type { Parser } from 'web-tree-sitter';
import { getParser, parse } from '../syntax/parser';
import type { Rule, Severity } from '../engine/rule';
import { renderRuleHover } from '../engine/ruleDocs';
import { LintMemo } from '../engine/units';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.crosstalk`;
/** Per analysis of one document version: past it the server logs that it gave up, and stays responsive. */
const EDITOR_BUDGET_MS = 2000;

/** `crosstalk.*` settings; `severity` and `testFiles` mirror [tool.crosstalk]'s `severity` and `test-files`. */
export interface Settings {
  enable: boolean; select: string[]; ignore: string[]; scope: 'openFiles' | 'workspace';
  severity: Record<string, Severity>; testFiles: string[];
}
const DEFAULT_SETTINGS: Settings = { enable: true, select: [], ignore: [], scope: 'openFiles', severity: {}, testFiles: [] };
export const SCAN_COMMAND = 'crosstalk.scanWorkspace';
/** files analysed between progress reports during a scan */
const SCAN_SLICE = 16;
/** the longest a scan runs before it yields to the event loop, so requests are served in between:
 * each message takes one turn of the loop, and 16 files can take a second on a busy machine */
const SCAN_SLICE_MS = 25;

/**
 * What a diagnostic carries so that code actions need no server state (ruff's approach). Edits are
 * `[start, end, text]` offsets into the version named: compact, since every keystroke sends them all,
 * and turned into ranges only for the code action actually asked for.
 */
interface DiagnosticData {
  version: number;
  fix?: { title: string; applicability: 'safe' | 'unsafe'; edits: OffsetEdit[]; elsewhere?: FileChange[] };
  noqa?: OffsetEdit;
}
type OffsetEdit = [start: number, end: number, text: string];
/** Edits to another file (a project-wide fix), created first when `create`. */
interface FileChange { uri: string; create: boolean; edits: TextEdit[] }

export const ISOLATE_CACHE_COMMAND = 'crosstalk.isolateCacheForEveryTest';
const CONFIRM = 'crosstalk.projectWideFix';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information,
};

export function startServer(connection: Connection, options: { wasmDir?: string } = {}): void {
  const documents = new Documents();
  const parser = getParser(options.wasmDir);
  let parserReady: Parser | undefined;
  void parser.then(p => { parserReady = p; documents.parser = p; });
  const settingsCache = new Map<string, Promise<Settings>>();
  /** per open document: the findings of its last analysed version, and the memo that makes the next one incremental */
  const lintCache = new Map<string, { version: number; findings: Finding[]; settings: Settings; memo: LintMemo }>();
  const lastFailure = new Map<string, string>();
  let workspaceRoots: string[] = [];
  let canPullConfiguration = false;
  let canWatchFiles = false;
  let canShowProgress = false;
  /** closed files whose diagnostics were pushed by a workspace scan (open files are pulled) */
  const pushed = new Set<string>();
  let scanGeneration = 0;
  /** per workspace folder: its [tool.crosstalk] (read from disk; never executed) */
  const configs = new Map<string, ResolvedConfig>();
  /** per project root: settings, base classes, conftest fixtures, read from disk on first use */
  const projects = new Map<string, Project>();
  const readFile = (file: string): string | null => { try { return fs.readFileSync(file, 'utf8'); } catch { return null; } };

  connection.onInitialize((params): InitializeResult => {
    canPullConfiguration = !!params.capabilities.workspace?.configuration;
    canWatchFiles = !!params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration;
    canShowProgress = !!params.capabilities.window?.workDoneProgress;
    const folders = params.workspaceFolders?.map(f => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    // only file: folders are on this disk: a virtual one (vscode-vfs://) is known by its open documents alone
    workspaceRoots = folders.filter(isFileUri).map(uriPath).filter((p): p is string => p !== null);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        diagnosticProvider: { interFileDependencies: false, workspaceDiagnostics: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
        executeCommandProvider: { commands: [ISOLATE_CACHE_COMMAND, SCAN_COMMAND] },
        hoverProvider: true,
      },
      serverInfo: { name: 'crosstalk' },
    };
  });

  connection.onInitialized(() => {
    loadConfigs();
    void scanIfWorkspaceScope();
    if (canWatchFiles) {
      // configuration, and any Python file: settings, base classes and conftest.py shape the analysis
      connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: '**/{pyproject.toml,pytest.ini,setup.cfg,tox.ini}' }, { globPattern: '**/*.py' }],
      }).catch(() => undefined);
    }
  });
  connection.onDidChangeWatchedFiles(({ changes }) => {
    if (changes.some(c => c.uri.endsWith('/pyproject.toml'))) loadConfigs();
    for (const p of projects.values()) p.dispose(); // rebuilt lazily from the files as they are now
    projects.clear();
    projectRoots.clear();
    lintCache.clear();
    connection.languages.diagnostics.refresh().catch(() => undefined);
    // closed files: a changed test module is analysed again; a deleted one loses its diagnostics; a
    // change anywhere else (settings, a base class, conftest.py, configuration) can affect them all
    const files = changes.filter(c => isFileUri(c.uri)).map(c => ({ file: uriPath(c.uri), deleted: c.type === 3 }));
    for (const { file, deleted } of files) {
      if (deleted && file) { const uri = pathToFileURL(file).href; if (pushed.delete(uri)) void connection.sendDiagnostics({ uri, diagnostics: [] }); }
    }
    const onlyTests = files.every(({ file }) => file && file.endsWith('.py') && configFor(file).isTestFile(file) && !file.endsWith('conftest.py'));
    void scanIfWorkspaceScope(onlyTests ? files.filter(f => !f.deleted).map(f => f.file!) : undefined);
  });

  /** In workspace scope (or when files already carry pushed diagnostics), analyse closed test files and push. */
  async function scanIfWorkspaceScope(only?: string[]): Promise<void> {
    const scoped = await Promise.all(workspaceRoots.map(r => settingsFor(pathToFileURL(r).href)));
    if (scoped.some(s => s.scope === 'workspace')) await scanWorkspace('Checking test files', only);
    else if (only) await scanWorkspace('Checking test files', only.filter(f => pushed.has(pathToFileURL(f).href)));
    else clearPushed();
  }

  function clearPushed(): void {
    for (const uri of pushed) void connection.sendDiagnostics({ uri, diagnostics: [] });
    pushed.clear();
  }

  /**
   * Analyses every closed test file of the workspace (or `only` those), one at a time: read, parse,
   * lint, free the tree, push the diagnostics. Yields to the event loop between slices so the editor's
   * requests are answered during a scan; a newer scan, or the user cancelling the progress, stops it.
   */
  async function scanWorkspace(title: string, only?: string[]): Promise<{ files: number; findings: number; ms: number }> {
    const generation = ++scanGeneration;
    const started = Date.now();
    const p = await parser;
    const rootSettings = await Promise.all(workspaceRoots.map(root => settingsFor(pathToFileURL(root).href)));
    const files = only ?? workspaceRoots.flatMap((root, i) => walkTestFiles(root, () => undefined, f => configWith(f, rootSettings[i]!).isTestFile(f)));
    const progress = canShowProgress && files.length > 1 ? await connection.window.createWorkDoneProgress().catch(() => null) : null;
    progress?.begin('Crosstalk', 0, title, true);
    let findingCount = 0, done = 0, slice = Date.now();
    try {
      for (const file of files) {
        if (generation !== scanGeneration || progress?.token.isCancellationRequested) break;
        const uri = pathToFileURL(file).href;
        if (!documents.get(uri)) findingCount += analyseClosed(p, file, uri, await settingsFor(pathToFileURL(rootOf(file) ?? file).href));
        if (++done % SCAN_SLICE === 0) progress?.report(Math.round((100 * done) / files.length), `${done} of ${files.length} test files`);
        if (Date.now() - slice >= SCAN_SLICE_MS) {
          await new Promise(resolve => setImmediate(resolve));
          slice = Date.now();
        }
      }
    } finally {
      progress?.done();
    }
    if (!only) connection.console.info(`${title}: ${done} of ${files.length} test files analysed, ${findingCount} findings, ${Date.now() - started} ms`);
    return { files: done, findings: findingCount, ms: Date.now() - started };
  }

  function analyseClosed(p: Parser, file: string, uri: string, settings: Settings): number {
    const options = lintOptionsFor(uri, settings);
    let diagnostics: Diagnostic[] = [];
    if (options) {
      try {
        const bytes = fs.readFileSync(file);
        const { text } = decodeSource(bytes);
        const tree = parse(p, text);
        try {
          const doc = TextDocumentImpl.create(uri, 'python', 0, text);
          diagnostics = lint(tree, text, options).map(f => toDiagnostic(f, doc, uri));
        } finally {
          tree.delete();
        }
      } catch (e) {
        connection.console.warn(`crosstalk: ${file}: ${(e as Error).message}; skipped`);
      }
    }
    if (diagnostics.length || pushed.has(uri)) void connection.sendDiagnostics({ uri, diagnostics });
    if (diagnostics.length) pushed.add(uri); else pushed.delete(uri);
    return diagnostics.length;
  }

  /** per directory, its project root: probing marker files up the tree is disk work, not per keystroke */
  const projectRoots = new Map<string, string>();

  function projectFor(file: string): Project | null {
    const folder = rootOf(file);
    if (!folder) return null; // outside the workspace (or a virtual document): no project
    const dir = path.dirname(file);
    let root = projectRoots.get(dir);
    if (root === undefined) {
      const found = findProjectRoot(file, readFile, folder);
      projectRoots.set(dir, root = found.startsWith(folder) ? found : folder); // never above the workspace folder
    }
    let project = projects.get(root);
    if (!project) projects.set(root, project = new Project(root, parserReady!, readFile, configFor(file).config.settingsModule));
    return project;
  }

  /** Reads each folder's pyproject.toml; its problems become diagnostics on that file. */
  function loadConfigs(): void {
    withSettings.clear();
    for (const root of workspaceRoots) {
      const file = path.join(root, 'pyproject.toml');
      let text: string | null = null;
      try { text = fs.readFileSync(file, 'utf8'); } catch { /* no pyproject.toml: defaults */ }
      const { config, problems } = text === null ? { config: null, problems: [] } : parseConfig(text, file);
      configs.set(root, new ResolvedConfig(config ?? defaultConfig(root)));
      if (config?.file) connection.console.info(`configuration: ${config.file}${problems.length ? ` (${problems.length} problems)` : ''}`);
      {
        connection.sendDiagnostics({
          uri: pathToFileURL(file).href,
          diagnostics: problems.map(p => ({
            range: { start: { line: p.line - 1, character: p.column - 1 }, end: { line: p.line - 1, character: Number.MAX_SAFE_INTEGER } },
            severity: DiagnosticSeverity.Warning, source: 'crosstalk', message: p.message,
          })),
        }).catch(() => undefined);
      }
    }
  }

  /** the folder's configuration with the editor's `testFiles` over its test-files (memoised: picomatch compiles) */
  const withSettings = new Map<string, ResolvedConfig>();
  function configWith(file: string, settings: Settings): ResolvedConfig {
    const base = configFor(file);
    if (settings.testFiles.length === 0) return base;
    const key = `${base.config.root}\0${base.config.file ?? ''}\0${settings.testFiles.join('\0')}`;
    let config = withSettings.get(key);
    if (!config) withSettings.set(key, config = new ResolvedConfig({ ...base.config, testFiles: settings.testFiles }));
    return config;
  }

  function configFor(file: string): ResolvedConfig {
    const root = rootOf(file);
    return (root !== undefined ? configs.get(root) : undefined) ?? new ResolvedConfig(defaultConfig(root ?? path.dirname(file)));
  }

  function rootOf(file: string): string | undefined {
    return workspaceRoots.filter(r => file.startsWith(r + path.sep)).sort((a, b) => b.length - a.length)[0];
  }

  connection.onDidOpenTextDocument(({ textDocument: d }) => {
    documents.didOpen(d.uri, d.languageId, d.version, d.text);
    // an open document's diagnostics are pulled: drop the pushed ones so they are not shown twice
    if (pushed.delete(d.uri)) void connection.sendDiagnostics({ uri: d.uri, diagnostics: [] });
  });
  connection.onDidChangeTextDocument(({ textDocument: d, contentChanges }) => documents.didChange(d.uri, d.version, contentChanges));
  connection.onDidCloseTextDocument(({ textDocument: d }) => {
    documents.didClose(d.uri);
    lintCache.delete(d.uri);
    settingsCache.delete(d.uri);
    const file = uriPath(d.uri);
    if (file && isFileUri(d.uri)) void scanIfWorkspaceScope([file]); // back on disk: pushed again in workspace scope
  });
  connection.onDidChangeConfiguration(() => {
    settingsCache.clear();
    lintCache.clear();
    connection.languages.diagnostics.refresh().catch(() => undefined);
    void scanIfWorkspaceScope();
  });

  const warned = new Set<string>();
  const warnOnce = (message: string) => { if (!warned.has(message)) { warned.add(message); connection.console.warn(`settings: ${message}`); } };

  async function settingsFor(uri: string): Promise<Settings> {
    let s = settingsCache.get(uri);
    if (!s) {
      s = canPullConfiguration
        ? connection.workspace.getConfiguration({ scopeUri: uri, section: 'crosstalk' })
          .then((c: Partial<Settings> | null) => validSettings(c ?? {}, warnOnce), () => DEFAULT_SETTINGS)
        : Promise.resolve(DEFAULT_SETTINGS);
      settingsCache.set(uri, s);
    }
    return s;
  }

  /** What to run on a document: its folder's configuration, narrowed by the editor's settings. */
  function lintOptionsFor(uri: string, settings: Settings): LintOptions | null {
    const file = uriPath(uri) ?? uri;
    const config = configWith(file, settings);
    if (!settings.enable || !config.isTestFile(file)) return null;
    const project = isFileUri(uri) ? projectFor(file) : null;
    return {
      rules: config.rulesFor(file, { select: settings.select ?? [], ignore: settings.ignore ?? [] }),
      severity: { ...config.config.severity, ...settings.severity },
      moduleName: moduleName(file, project?.root ?? rootOf(file) ?? path.dirname(file)),
      budgetMs: EDITOR_BUDGET_MS,
      project: project ? viewFor(project, file) : undefined,
    };
  }

  /** Findings for the document's current version (cached per version), or [] for non-test files. */
  async function findingsFor(uri: string, entry: OpenDocument): Promise<Finding[]> {
    await parser; // the project model parses other files with it
    const settings = await settingsFor(uri);
    const cached = lintCache.get(uri);
    if (cached && cached.version === entry.doc.version && cached.settings === settings) return cached.findings;
    const memo = cached?.settings === settings ? cached.memo : new LintMemo();
    let findings: Finding[] = [];
    const options = lintOptionsFor(uri, settings);
    if (options) {
      try {
        const syntax = documents.syntax(await parser, entry);
        findings = lint(syntax, entry.doc.getText(), { ...options, memo });
        lastFailure.delete(uri);
      } catch (e) {
        const reason = (e as Error).message;
        if (lastFailure.get(uri) !== reason) connection.console.warn(`crosstalk: ${uri}: ${reason}; no diagnostics for this version`);
        lastFailure.set(uri, reason);
      }
    }
    lintCache.set(uri, { version: entry.doc.version, findings, settings, memo });
    return findings;
  }

  connection.languages.diagnostics.on(async ({ textDocument }) => {
    const entry = documents.get(textDocument.uri);
    if (!entry) return { kind: 'full', items: [] };
    const findings = await findingsFor(textDocument.uri, entry);
    return { kind: 'full', items: findings.map(f => toDiagnostic(f, entry.doc, textDocument.uri)) };
  });

  // Hovering a finding shows its rule's short documentation (VS Code shows the message itself).
  connection.onHover(async ({ textDocument, position }) => {
    const entry = documents.get(textDocument.uri);
    if (!entry) return null;
    const before = (a: Position, b: Position) => a.line < b.line || (a.line === b.line && a.character <= b.character);
    const hit = (await findingsFor(textDocument.uri, entry)).filter(f => before(f.startPos, position) && before(position, f.endPos));
    if (hit.length === 0) return null;
    const rules = [...new Set(hit.map(f => f.rule))];
    return {
      contents: { kind: MarkupKind.Markdown, value: rules.map(r => renderRuleHover(r, docsHref(r))).join('\n\n---\n\n') },
      range: { start: hit[0]!.startPos, end: hit[0]!.endPos },
    };
  });

  connection.onCodeAction(async ({ textDocument, context }) => {
    const entry = documents.get(textDocument.uri);
    if (!entry) return [];
    const only = context.only;
    const actions: CodeAction[] = [];
    const wants = (kind: string) => !only || only.some(k => kind === k || kind.startsWith(k + '.'));
    if (wants(CodeActionKind.QuickFix)) {
      for (const d of context.diagnostics) {
        const data = d.data as DiagnosticData | undefined;
        if (d.source !== 'crosstalk' || !data || data.version !== entry.doc.version) continue;
        if (data.fix) {
          actions.push({
            title: `Crosstalk (${d.code}): ${data.fix.title}${data.fix.applicability === 'unsafe' ? ' (unsafe)' : ''}`,
            kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: data.fix.applicability === 'safe',
            edit: data.fix.elsewhere ? projectWideEdit(data.fix.elsewhere, data.fix.title)
              : { changes: { [textDocument.uri]: data.fix.edits.map(([start, end, text]) => toTextEdit(entry.doc, { start, end, text })) } },
          });
        }
        if (data.noqa) {
          actions.push({
            title: `Disable ${d.code} for this line`, kind: CodeActionKind.QuickFix, diagnostics: [d],
            edit: { changes: { [textDocument.uri]: [toTextEdit(entry.doc, { start: data.noqa[0], end: data.noqa[1], text: data.noqa[2] })] } },
          });
        }
      }
    }
    if (only && wants(FIX_ALL_KIND)) {
      const edit = await fixAllEdit(textDocument.uri, entry);
      if (edit) actions.push({ title: 'Crosstalk: fix all safe fixes', kind: FIX_ALL_KIND, edit: { changes: { [textDocument.uri]: [edit] } } });
    }
    return actions;
  });

  async function fixAllEdit(uri: string, entry: OpenDocument): Promise<TextEdit | null> {
    await parser;
    const options = lintOptionsFor(uri, await settingsFor(uri));
    if (!options) return null;
    const text = entry.doc.getText();
    try {
      const result = fixAll(await parser, text, options);
      return result.text === text ? null : minimalEdit(entry.doc, text, result.text);
    } catch (e) {
      connection.console.warn(`crosstalk: fix all in ${uri}: ${(e as Error).message}`);
      return null;
    }
  }

  // "Isolate the Django cache for every test": the XT003 fix for every workspace project that needs it
  connection.onExecuteCommand(async ({ command }) => {
    if (command === SCAN_COMMAND) return scanWorkspace('Scanning the workspace');
    if (command !== ISOLATE_CACHE_COMMAND) return null;
    const p = await parser;
    const changes: FileChange[] = [];
    for (const folder of workspaceRoots) {
      const existing = projects.get(folder);
      const project = existing ?? new Project(folder, p, readFile, configFor(path.join(folder, 'conftest.py')).config.settingsModule);
      try {
        const view = viewFor(project, path.join(folder, 'conftest.py'));
        if (view.usesPytest && !view.autouseCacheIsolation) changes.push(...fileChanges(conftestFix(view, '\n').edits));
      } finally {
        if (!existing) project.dispose();
      }
    }
    if (changes.length === 0) {
      // typed void, but sent as a request the client may not implement: a rejection must not go unhandled
      void Promise.resolve(connection.window.showInformationMessage('Crosstalk: every test already has its own cache (or no pytest project was found).') as unknown).catch(() => undefined);
      return null;
    }
    await connection.workspace.applyEdit({ label: 'Isolate the Django cache for every test', edit: projectWideEdit(changes, 'Isolate the Django cache for every test') });
    return null;
  });

  connection.onShutdown(() => {
    scanGeneration++; // a running scan stops at its next file
    documents.dispose();
    for (const p of projects.values()) p.dispose();
  });
  connection.listen();
}

/**
 * The editor's settings with their defaults; values of the wrong shape (VS Code only warns about them
 * in settings.json) are dropped and reported, as [tool.crosstalk] problems are.
 */
function validSettings(raw: Partial<Settings>, warn: (message: string) => void): Settings {
  const settings: Settings = { ...DEFAULT_SETTINGS, ...raw };
  const strings = (v: unknown) => Array.isArray(v) && v.every(x => typeof x === 'string');
  for (const key of ['select', 'ignore', 'testFiles'] as const) {
    if (!strings(settings[key])) { warn(`crosstalk.${key} must be a list of strings; ignored`); settings[key] = []; }
  }
  const table = settings.severity as unknown;
  const isTable = typeof table === 'object' && table !== null && !Array.isArray(table);
  if (!isTable) warn('crosstalk.severity must be an object like { "XT001": "error" }; ignored');
  settings.severity = isTable ? severityTable(table as Record<string, unknown>, message => warn(`crosstalk.severity: ${message}; ignored`)) : {};
  return settings;
}

/** The rule's page in the installed extension (server/out/server.js is two levels below the root). */
function docsHref(rule: Rule): string {
  let href = hrefs.get(rule);
  if (!href) hrefs.set(rule, href = pathToFileURL(path.join(__dirname, '..', '..', rule.docsPath)).href);
  return href;
}
const hrefs = new Map<Rule, string>();

/** `file:` URIs of related files (the settings module), remembered: every keystroke sends them again. */
function fileUri(file: string): string {
  let uri = uris.get(file);
  if (!uri) uris.set(file, uri = pathToFileURL(file).href);
  return uri;
}
const uris = new Map<string, string>();

function toTextEdit(doc: TextDocument, e: Edit): TextEdit {
  return { range: { start: doc.positionAt(e.start), end: doc.positionAt(e.end) }, newText: e.text };
}

/** A project-wide fix as a WorkspaceEdit whose every change needs the user's confirmation (a preview). */
function projectWideEdit(changes: FileChange[], label: string): WorkspaceEdit {
  const documentChanges: WorkspaceEdit['documentChanges'] = [];
  for (const c of changes) {
    if (c.create) documentChanges.push({ kind: 'create', uri: c.uri, options: { ignoreIfExists: true }, annotationId: CONFIRM });
    documentChanges.push({ textDocument: { uri: c.uri, version: null }, edits: c.edits.map(e => ({ ...e, annotationId: CONFIRM })) });
  }
  return { documentChanges, changeAnnotations: { [CONFIRM]: { label, needsConfirmation: true, description: 'Crosstalk edits a file other than this one' } } };
}

/** Edits aimed at other files, in positions of those files as they are on disk. */
function fileChanges(edits: Edit[]): FileChange[] {
  const byFile = new Map<string, Edit[]>();
  for (const e of edits) if (e.file) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  return [...byFile].map(([file, list]) => {
    const create = list.some(e => e.create);
    let text = '';
    if (!create) { try { text = fs.readFileSync(file, 'utf8'); } catch { /* treated as empty */ } }
    const doc = TextDocumentImpl.create('file://x', 'python', 0, text);
    return { uri: pathToFileURL(file).href, create, edits: list.map(e => toTextEdit(doc, e)) };
  });
}

function toDiagnostic(f: Finding, doc: TextDocument, uri: string): Diagnostic {
  const elsewhere = f.fix && !isLocal(f.fix) ? fileChanges(f.fix.edits) : undefined;
  const data: DiagnosticData = {
    version: doc.version,
    fix: f.fix && { title: f.fix.title, applicability: f.fix.applicability, edits: elsewhere ? [] : f.fix.edits.map(e => [e.start, e.end, e.text]), elsewhere },
    noqa: f.noqa && [f.noqa.start, f.noqa.end, f.noqa.text],
  };
  return {
    range: { start: f.startPos, end: f.endPos },
    severity: SEVERITY[f.severity],
    code: f.rule.id,
    codeDescription: { href: docsHref(f.rule) },
    source: 'crosstalk',
    message: f.message,
    relatedInformation: f.related.map(r => ({ location: { uri: r.file ? fileUri(r.file) : uri, range: { start: r.startPos, end: r.endPos } }, message: r.message })),
    data,
  };
}

/** One edit replacing only what differs between `before` and `after` (keeps cursor and folding). */
function minimalEdit(doc: TextDocument, before: string, after: string): TextEdit {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
  return toTextEdit(doc, { start, end: before.length - end, text: after.slice(start, after.length - end) });
}

/** Only `file:` URIs name files on this disk; anything else (vscode-vfs:, untitled:) is analysed from its text. */
const isFileUri = (uri: string) => uri.startsWith('file:');

/** The file-system path of a `file:` URI; for other schemes the URI's path (test-file patterns still apply). */
function uriPath(uri: string): string | null {
  try {
    const u = new URL(uri);
    return decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
}
