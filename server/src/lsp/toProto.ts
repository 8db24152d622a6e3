// Every conversion between the engine's values and the protocol's: findings to diagnostics, offsets
// to ranges, project-wide fixes to workspace edits, URIs to paths.
import * as path from 'path';
import { pathToFileURL } from 'url';
import { DiagnosticSeverity, type Diagnostic, type TextEdit, type WorkspaceEdit } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Finding } from '../engine/finding';
import { isLocal, type Edit } from '../engine/fix';
import type { Rule, Severity } from '../engine/rule';

/**
 * What a diagnostic carries so that code actions need no server state (ruff's approach). Edits are
 * `[start, end, text]` offsets into the version named: compact, since every keystroke sends them all,
 * and turned into ranges only for the code action actually asked for.
 */
export interface DiagnosticData {
  version: number;
  fix?: { title: string; applicability: 'safe' | 'unsafe'; edits: OffsetEdit[]; elsewhere?: FileChange[] };
  noqa?: OffsetEdit;
}
export type OffsetEdit = [start: number, end: number, text: string];
/** Edits to another file (a project-wide fix), created first when `create`. */
export interface FileChange {
  uri: string;
  create: boolean;
  edits: TextEdit[];
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};
/** the annotation of edits to files other than the one the user is looking at */
const CONFIRM = 'crosstalk.projectWideFix';

/**
 * URIs every diagnostic repeats, computed once: a rule's page in the installed extension
 * (server/out/server.js is two levels below the root) and the related files (the settings module).
 */
export class Links {
  private readonly hrefs = new Map<Rule, string>();
  private readonly uris = new Map<string, string>();

  docsHref(rule: Rule): string {
    let href = this.hrefs.get(rule);
    if (!href) this.hrefs.set(rule, (href = pathToFileURL(path.join(__dirname, '..', '..', rule.docsPath)).href));
    return href;
  }

  fileUri(file: string): string {
    let uri = this.uris.get(file);
    if (!uri) this.uris.set(file, (uri = pathToFileURL(file).href));
    return uri;
  }
}

export function toDiagnostic(
  f: Finding,
  doc: TextDocument,
  links: Links,
  read: (file: string) => string | null,
): Diagnostic {
  const elsewhere = f.fix && !isLocal(f.fix) ? fileChanges(f.fix.edits, read) : undefined;
  const data: DiagnosticData = {
    version: doc.version,
    fix: f.fix && {
      title: f.fix.title,
      applicability: f.fix.applicability,
      edits: elsewhere ? [] : f.fix.edits.map(e => [e.start, e.end, e.text]),
      elsewhere,
    },
    noqa: f.noqa && [f.noqa.start, f.noqa.end, f.noqa.text],
  };
  return {
    range: { start: f.startPos, end: f.endPos },
    severity: SEVERITY[f.severity],
    code: f.rule.id,
    codeDescription: { href: links.docsHref(f.rule) },
    source: 'crosstalk',
    message: f.message,
    relatedInformation: f.related.map(r => ({
      location: { uri: r.file ? links.fileUri(r.file) : doc.uri, range: { start: r.startPos, end: r.endPos } },
      message: r.message,
    })),
    data,
  };
}

export function toTextEdit(doc: TextDocument, e: Edit | { start: number; end: number; text: string }): TextEdit {
  return { range: { start: doc.positionAt(e.start), end: doc.positionAt(e.end) }, newText: e.text };
}

export function fromOffsetEdit(doc: TextDocument, [start, end, text]: OffsetEdit): TextEdit {
  return toTextEdit(doc, { start, end, text });
}

/** A project-wide fix as a WorkspaceEdit whose every change needs the user's confirmation (a preview). */
export function projectWideEdit(changes: FileChange[], label: string): WorkspaceEdit {
  const documentChanges: WorkspaceEdit['documentChanges'] = [];
  for (const c of changes) {
    if (c.create)
      documentChanges.push({ kind: 'create', uri: c.uri, options: { ignoreIfExists: true }, annotationId: CONFIRM });
    documentChanges.push({
      textDocument: { uri: c.uri, version: null },
      edits: c.edits.map(e => ({ ...e, annotationId: CONFIRM })),
    });
  }
  return {
    documentChanges,
    changeAnnotations: {
      [CONFIRM]: { label, needsConfirmation: true, description: 'Crosstalk edits a file other than this one' },
    },
  };
}

/** Edits aimed at other files, in positions of those files as they are on disk. */
export function fileChanges(edits: Edit[], read: (file: string) => string | null): FileChange[] {
  const byFile = new Map<string, Edit[]>();
  for (const e of edits) if (e.file) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  return [...byFile].map(([file, list]) => {
    const create = list.some(e => e.create);
    const doc = TextDocument.create('file://x', 'python', 0, create ? '' : (read(file) ?? ''));
    return { uri: pathToFileURL(file).href, create, edits: list.map(e => toTextEdit(doc, e)) };
  });
}

/** One edit replacing only what differs between `before` and `after` (keeps cursor and folding). */
export function minimalEdit(doc: TextDocument, before: string, after: string): TextEdit {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (
    end < before.length - start &&
    end < after.length - start &&
    before[before.length - 1 - end] === after[after.length - 1 - end]
  )
    end++;
  return toTextEdit(doc, { start, end: before.length - end, text: after.slice(start, after.length - end) });
}

/** Only `file:` URIs name files on this disk; anything else (vscode-vfs:, untitled:) is analysed from its text. */
export const isFileUri = (uri: string) => uri.startsWith('file:');

/** The file-system path of a `file:` URI; for other schemes the URI's path (test-file patterns still apply). */
export function uriPath(uri: string): string | null {
  try {
    return decodeURIComponent(new URL(uri).pathname);
  } catch {
    return null;
  }
}
