// Open documents with their syntax: each change re-parses only the statements it touched (forest.ts),
// as it arrives, so a request finds the syntax current. Trees live in WASM memory and are deleted
// explicitly.
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import type { Parser } from 'web-tree-sitter';
import { Forest } from '../syntax/forest';
import { ParseError } from '../syntax/parser';

export interface OpenDocument {
  doc: TextDocument;
  /** null until first needed, after a full-text change, or after a failed parse */
  forest: Forest | null;
  /** closed while an analysis still held it: it gets no trees again */
  closed?: boolean;
}

export class Documents {
  private readonly open = new Map<string, OpenDocument>();
  /** set once the parser is loaded: edits before that are parsed whole on first use */
  parser: Parser | undefined;

  get(uri: string): OpenDocument | undefined {
    return this.open.get(uri);
  }

  uris(): string[] {
    return [...this.open.keys()];
  }

  didOpen(uri: string, languageId: string, version: number, text: string): void {
    this.didClose(uri);
    this.open.set(uri, { doc: TextDocument.create(uri, languageId, version, text), forest: null });
  }

  didChange(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): void {
    const entry = this.open.get(uri);
    if (!entry) return; // a change for a document never opened: nothing to apply it to
    for (const change of changes) {
      const { doc } = entry;
      if (!('range' in change) || !entry.forest || !this.parser) {
        entry.doc = TextDocument.update(doc, [change], version);
        this.drop(entry);
        continue;
      }
      let startIndex = doc.offsetAt(change.range.start);
      let oldEndIndex = doc.offsetAt(change.range.end);
      // a reversed range: TextDocument.update swaps it, so the tree edit must too
      if (oldEndIndex < startIndex) [startIndex, oldEndIndex] = [oldEndIndex, startIndex];
      // positions are clamped by offsetAt; re-derive them so the trees and the text agree
      const startPosition = doc.positionAt(startIndex),
        oldEndPosition = doc.positionAt(oldEndIndex);
      entry.doc = TextDocument.update(doc, [change], version);
      const updated = entry.doc;
      const newEndIndex = startIndex + change.text.length;
      const newEndPosition = updated.positionAt(newEndIndex);
      try {
        entry.forest.edit(
          this.parser,
          updated.getText(),
          {
            startIndex,
            oldEndIndex,
            newEndIndex,
            startPosition: { row: startPosition.line, column: startPosition.character },
            oldEndPosition: { row: oldEndPosition.line, column: oldEndPosition.character },
            newEndPosition: { row: newEndPosition.line, column: newEndPosition.character },
          },
          offset => {
            const p = updated.positionAt(offset);
            return { row: p.line, column: p.character };
          },
        );
      } catch {
        this.drop(entry); // the next request parses the whole text, and reports why if it fails again
      }
    }
  }

  private drop(entry: OpenDocument): void {
    entry.forest?.dispose();
    entry.forest = null;
  }

  didClose(uri: string): void {
    const entry = this.open.get(uri);
    // an analysis still holding the entry (waiting for settings) must not get the freed trees
    if (entry) {
      this.drop(entry);
      entry.closed = true;
    }
    this.open.delete(uri);
  }

  /** The document's syntax for its current text, parsed whole if it has none. Throws ParseError. */
  syntax(parser: Parser, entry: OpenDocument): Forest {
    if (entry.closed) throw new ParseError('the document was closed');
    entry.forest ??= Forest.parse(parser, entry.doc.getText());
    return entry.forest;
  }

  dispose(): void {
    for (const uri of this.uris()) this.didClose(uri);
  }
}
