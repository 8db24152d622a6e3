// Code actions: a finding's fix (preferred when safe) and "Disable XTnnn for this line", read from the
// diagnostic's data (no server state); and source.fixAll.crosstalk, every safe fix until stable.
import { CodeActionKind, type CodeAction, type TextEdit } from 'vscode-languageserver';
import { fixAll } from '../engine/lint';
import { lintOptionsFor } from './diagnostics';
import type { OpenDocument } from './documents';
import { settingsFor } from './settings';
import type { ServerState } from './state';
import { fromOffsetEdit, minimalEdit, projectWideEdit, type DiagnosticData } from './toProto';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.crosstalk`;

export function registerCodeActions(state: ServerState): void {
  state.connection.onCodeAction(async ({ textDocument: { uri }, context }) => {
    const entry = state.documents.get(uri);
    if (!entry) return [];
    const only = context.only;
    const actions: CodeAction[] = [];
    const wants = (kind: string) => !only || only.some(k => kind === k || kind.startsWith(k + '.'));
    if (wants(CodeActionKind.QuickFix)) {
      for (const d of context.diagnostics) {
        const data = d.data as DiagnosticData | undefined;
        if (d.source !== 'crosstalk' || !data || data.version !== entry.doc.version) continue;
        const { fix, noqa } = data;
        if (fix) {
          actions.push({
            title: `Crosstalk (${d.code}): ${fix.title}${fix.applicability === 'unsafe' ? ' (unsafe)' : ''}`,
            kind: CodeActionKind.QuickFix,
            diagnostics: [d],
            isPreferred: fix.applicability === 'safe',
            edit: fix.elsewhere
              ? projectWideEdit(fix.elsewhere, fix.title)
              : { changes: { [uri]: fix.edits.map(e => fromOffsetEdit(entry.doc, e)) } },
          });
        }
        if (noqa) {
          actions.push({
            title: `Disable ${d.code} for this line`,
            kind: CodeActionKind.QuickFix,
            diagnostics: [d],
            edit: { changes: { [uri]: [fromOffsetEdit(entry.doc, noqa)] } },
          });
        }
      }
    }
    if (only && wants(FIX_ALL_KIND)) {
      const edit = await fixAllEdit(state, uri, entry);
      if (edit)
        actions.push({
          title: 'Crosstalk: fix all safe fixes',
          kind: FIX_ALL_KIND,
          edit: { changes: { [uri]: [edit] } },
        });
    }
    return actions;
  });
}

async function fixAllEdit(state: ServerState, uri: string, entry: OpenDocument): Promise<TextEdit | null> {
  const { parser, projects } = await state.ready();
  const options = lintOptionsFor(state, projects, uri, await settingsFor(state, uri));
  if (!options) return null;
  const text = entry.doc.getText();
  try {
    const result = fixAll(parser, text, options);
    return result.text === text ? null : minimalEdit(entry.doc, text, result.text);
  } catch (e) {
    state.connection.console.warn(`crosstalk: fix all in ${uri}: ${(e as Error).message}`);
    return null;
  }
}
