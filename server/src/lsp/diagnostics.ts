// Diagnostics: pulled for open documents (analysed incrementally, per version), pushed for closed
// files a workspace scan analyses. A client that cannot pull (it does not declare
// textDocument.diagnostic) gets an open document's diagnostics pushed once its edits pause; never both.
import type { Diagnostic } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Finding } from '../engine/finding';
import { lint, type LintOptions } from '../engine/lint';
import { LintMemo } from '../engine/units';
import { analyseFile, lintOptions, settingsModuleToCheck } from '../host/analyse';
import type { ProjectRegistry } from '../host/projects';
import type { Project } from '../project/project';
import type { OpenDocument } from './documents';
import { configFor, configWith, rootOf, settingsFor } from './settings';
import type { ServerState, Settings } from './state';
import { isFileUri, toDiagnostic, uriPath } from './toProto';

/** Per analysis of one document version: past it the server logs that it gave up, and stays responsive. */
const EDITOR_BUDGET_MS = 2000;
/**
 * How long a push client's document must stay unchanged before it is analysed: a burst of keystrokes
 * is analysed once, where a pull client asks when it is ready to show the result.
 */
const PUSH_DELAY_MS = 150;

export function registerDiagnostics(state: ServerState): void {
  state.connection.languages.diagnostics.on(async ({ textDocument: { uri } }) => {
    const entry = state.documents.get(uri);
    if (!entry) return { kind: 'full', items: [] };
    const findings = await findingsFor(state, uri, entry);
    return {
      kind: 'full',
      items: findings.map(f => toDiagnostic(f, entry.doc, state.links, file => state.files.readText(file))),
    };
  });
}

/**
 * What to run on a document: its folder's configuration, narrowed by the editor's settings; null: nothing.
 * A test module gets every rule; the settings module its folder's test run loads, the rules about test
 * configuration; any other file, nothing.
 */
export function lintOptionsFor(
  state: ServerState,
  projects: ProjectRegistry,
  uri: string,
  settings: Settings,
): LintOptions | null {
  const file = uriPath(uri) ?? uri;
  const config = configWith(state, file, settings);
  if (!settings.enable) return null;
  const testFile = config.isTestFile(file);
  const folder = rootOf(state, file);
  // outside the workspace, or a virtual document: no project (nothing is read from this disk)
  const project = isFileUri(uri) && (testFile || file.endsWith('.py')) ? projectOf(state, projects, file) : null;
  const settingsModule =
    !testFile && !!project && !!folder && settingsModuleToCheck(project, folder, f => config.isTestFile(f)) === file;
  if (!testFile && !settingsModule) return null;
  return lintOptions(file, config, project, {
    select: settings.select,
    ignore: settings.ignore,
    severity: settings.severity,
    root: folder,
    budgetMs: EDITOR_BUDGET_MS,
    settingsModule,
  });
}

/** The project around `file`, a file of a workspace folder (never rooted above that folder). */
export function projectOf(state: ServerState, projects: ProjectRegistry, file: string): Project | null {
  const folder = rootOf(state, file);
  return folder
    ? projects.projectFor(file, {
        fallback: folder,
        within: folder,
        settingsModule: configFor(state, file).config.settingsModule,
      })
    : null;
}

/** Findings for the document's current version (cached per version), or [] for non-test files. */
export async function findingsFor(state: ServerState, uri: string, entry: OpenDocument): Promise<Finding[]> {
  const { parser, projects } = await state.ready();
  const settings = await settingsFor(state, uri);
  const cached = state.analysed.get(uri);
  if (cached && cached.version === entry.doc.version && cached.settings === settings) return cached.findings;
  const memo = cached?.settings === settings ? cached.memo : new LintMemo();
  let findings: Finding[] = [];
  const options = lintOptionsFor(state, projects, uri, settings);
  if (options) {
    try {
      findings = lint(state.documents.syntax(parser, entry), entry.doc.getText(), { ...options, memo });
      state.lastFailure.delete(uri);
    } catch (e) {
      const reason = (e as Error).message;
      if (state.lastFailure.get(uri) !== reason)
        state.connection.console.warn(`crosstalk: ${uri}: ${reason}; no diagnostics for this version`);
      state.lastFailure.set(uri, reason);
    }
  }
  state.analysed.set(uri, { version: entry.doc.version, findings, settings, memo });
  return findings;
}

/**
 * Analyses a closed file from disk and pushes its diagnostics (or clears those pushed before), under
 * its folder's settings (one configuration request per folder, not per file). Returns how many.
 */
export async function pushDiagnostics(
  state: ServerState,
  file: string,
  uri: string,
  settings: Settings,
): Promise<number> {
  const { parser, projects } = await state.ready();
  const options = lintOptionsFor(state, projects, uri, settings);
  let diagnostics: Diagnostic[] = [];
  if (options) {
    try {
      const { source, findings } = analyseFile(parser, state.files, file, options);
      const doc = TextDocument.create(uri, 'python', 0, source.text);
      diagnostics = findings.map(f => toDiagnostic(f, doc, state.links, other => state.files.readText(other)));
    } catch (e) {
      state.connection.console.warn(`crosstalk: ${file}: ${(e as Error).message}; skipped`);
    }
  }
  if (diagnostics.length || state.pushed.has(uri)) void state.connection.sendDiagnostics({ uri, diagnostics });
  if (diagnostics.length) state.pushed.add(uri);
  else state.pushed.delete(uri);
  return diagnostics.length;
}

/** Open documents' diagnostics may have changed (settings, files on disk): pulled again, or pushed again. */
export function refreshDiagnostics(state: ServerState): void {
  if (state.client.pullDiagnostics) state.connection.languages.diagnostics.refresh().catch(() => undefined);
  else for (const uri of state.documents.uris()) schedulePush(state, uri, 0);
}

/** For a client that cannot pull: the open document's diagnostics, pushed once it has been still for `delay`. */
export function schedulePush(state: ServerState, uri: string, delay = PUSH_DELAY_MS): void {
  clearTimeout(state.pushTimers.get(uri));
  state.pushTimers.set(
    uri,
    setTimeout(() => {
      state.pushTimers.delete(uri);
      void pushOpenDocument(state, uri);
    }, delay),
  );
}

async function pushOpenDocument(state: ServerState, uri: string): Promise<void> {
  const entry = state.documents.get(uri);
  if (!entry) return;
  const findings = await findingsFor(state, uri, entry);
  // closed meanwhile: nothing to show; changed meanwhile: that change scheduled its own push
  if (state.documents.get(uri) !== entry || state.analysed.get(uri)?.version !== entry.doc.version) return;
  const diagnostics = findings.map(f => toDiagnostic(f, entry.doc, state.links, file => state.files.readText(file)));
  if (!diagnostics.length && !state.pushedOpen.has(uri)) return; // nothing shown, nothing to clear
  if (diagnostics.length) state.pushedOpen.add(uri);
  else state.pushedOpen.delete(uri);
  await state.connection.sendDiagnostics({ uri, version: entry.doc.version, diagnostics }).catch(() => undefined);
}

/** A push client closed the document: what was pushed for its text in the editor goes (disk may differ). */
export function clearPushedOpen(state: ServerState, uri: string): void {
  if (state.pushedOpen.delete(uri)) void state.connection.sendDiagnostics({ uri, diagnostics: [] });
}
