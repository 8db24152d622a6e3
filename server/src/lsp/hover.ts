// Hovering a finding shows its rule's short documentation (the editor shows the message itself).
import { MarkupKind, type Position } from 'vscode-languageserver';
import { renderRuleHover } from '../engine/ruleDocs';
import { findingsFor } from './diagnostics';
import type { ServerState } from './state';

const atOrBefore = (a: Position, b: Position) => a.line < b.line || (a.line === b.line && a.character <= b.character);

export function registerHover(state: ServerState): void {
  state.connection.onHover(async ({ textDocument: { uri }, position }) => {
    const entry = state.documents.get(uri);
    if (!entry) return null;
    const hit = (await findingsFor(state, uri, entry)).filter(
      f => atOrBefore(f.startPos, position) && atOrBefore(position, f.endPos),
    );
    const [first] = hit;
    if (!first) return null;
    const rules = [...new Set(hit.map(f => f.rule))];
    return {
      contents: {
        kind: MarkupKind.Markdown,
        value: rules.map(r => renderRuleHover(r, state.links.docsHref(r))).join('\n\n---\n\n'),
      },
      range: { start: first.startPos, end: first.endPos },
    };
  });
}
