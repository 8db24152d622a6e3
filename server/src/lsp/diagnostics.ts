// Diagnostics: pulled for open documents (analysed incrementally, per version), pushed for closed
// files a workspace scan analyses.
import type { Diagnostic } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Finding } from '../engine/finding';
import { lint, type LintOptions } from '../engine/lint';
import { LintMemo } from '../engine/units';
import { analyseFile, lintOptions } from '../host/analyse';
import type { ProjectRegistry } from '../host/projects';
import type { OpenDocument } from './documents';
import { configFor, configWith, rootOf, settingsFor } from './settings';
import type { ServerState, Settings } from './state';
import { isFileUri, toDiagnostic, uriPath } from './toProto';

/** Per analysis of one document version: past it the server logs that it gave up, and stays responsive. */
const EDITOR_BUDGET_MS = 2000;

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

/** What to run on a document: its folder's configuration, narrowed by the editor's settings; null: nothing. */
export function lintOptionsFor(
  state: ServerState,
  projects: ProjectRegistry,
  uri: string,
  settings: Settings,
): LintOptions | null {
  const file = uriPath(uri) ?? uri;
  const config = configWith(state, file, settings);
  if (!settings.enable || !config.isTestFile(file)) return null;
  const folder = rootOf(state, file);
  // outside the workspace, or a virtual document: no project (nothing is read from this disk)
  const project =
    isFileUri(uri) && folder
      ? projects.projectFor(file, {
          fallback: folder,
          within: folder,
          settingsModule: configFor(state, file).config.settingsModule,
        })
      : null;
  return lintOptions(file, config, project, {
    select: settings.select,
    ignore: settings.ignore,
    severity: settings.severity,
    root: folder,
    budgetMs: EDITOR_BUDGET_MS,
  });
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
