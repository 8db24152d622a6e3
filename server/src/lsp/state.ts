// Everything the language server knows between messages, and the one place where what it knows is
// made stale. Features are functions of this state (lsp/*.ts); nothing else in the server is mutable.
import type { Connection } from 'vscode-languageserver';
import type { Parser } from 'web-tree-sitter';
import type { Finding } from '../engine/finding';
import type { Severity } from '../engine/rule';
import { LintMemo } from '../engine/units';
import type { FileAccess } from '../host/files';
import { ProjectRegistry } from '../host/projects';
import type { ResolvedConfig } from '../project/config';
import { getParser } from '../syntax/parser';
import { Documents } from './documents';
import { Links } from './toProto';

/** `crosstalk.*` settings; `severity` and `testFiles` mirror [tool.crosstalk]'s `severity` and `test-files`. */
export interface Settings {
  enable: boolean;
  select: string[];
  ignore: string[];
  scope: 'openFiles' | 'workspace';
  severity: Record<string, Severity>;
  testFiles: string[];
}

/** What can change under the server's feet. */
export type Change =
  /** files on disk changed: settings, base classes, conftest.py, configuration */
  | { kind: 'files' }
  /** the editor's crosstalk.* settings */
  | { kind: 'settings' }
  /** a document was closed: it is read from disk again */
  | { kind: 'closed'; uri: string };

/** An open document's findings for its last analysed version, and the memo that makes the next analysis incremental. */
export interface Analysed {
  version: number;
  findings: Finding[];
  settings: Settings;
  memo: LintMemo;
}

export class ServerState {
  readonly documents = new Documents();
  readonly parser: Promise<Parser>;
  readonly links = new Links();
  /**
   * The client's capabilities that change what the server does. A client that cannot pull diagnostics
   * (Neovim before 0.10, Sublime LSP, ...) gets those of its open documents pushed instead.
   */
  client = { configuration: false, watchFiles: false, progress: false, pullDiagnostics: false };
  /** the workspace folders on this disk (a virtual folder is known by its open documents alone) */
  workspaceRoots: string[] = [];
  /** per workspace folder: its [tool.crosstalk] (read from disk; never executed) */
  readonly configs = new Map<string, ResolvedConfig>();
  /** a folder's configuration with the editor's `testFiles`, memoised: picomatch compiles */
  readonly configsWithSettings = new Map<string, ResolvedConfig>();
  /** per resource URI: the editor's settings, pulled once */
  readonly settings = new Map<string, Promise<Settings>>();
  /** per open document */
  readonly analysed = new Map<string, Analysed>();
  /** per document, the last reason its analysis failed (logged once, not per keystroke) */
  readonly lastFailure = new Map<string, string>();
  /** closed files whose diagnostics a workspace scan pushed (open files are pulled, or pushed below) */
  readonly pushed = new Set<string>();
  /** for a client that cannot pull: open documents with findings pushed, and the push each waits for */
  readonly pushedOpen = new Set<string>();
  readonly pushTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** the settings problems already logged */
  readonly warned = new Set<string>();
  /** bumped by every scan and by shutdown: a running scan stops when it is no longer the newest */
  scanGeneration = 0;
  private registry: ProjectRegistry | undefined;

  constructor(
    readonly connection: Connection,
    readonly files: FileAccess,
    wasmDir?: string,
  ) {
    this.parser = getParser(wasmDir);
    void this.parser.then(p => {
      this.documents.parser = p;
    });
  }

  /** The parser and the project models (which parse settings and base classes), once the parser is loaded. */
  async ready(): Promise<{ parser: Parser; projects: ProjectRegistry }> {
    const parser = await this.parser;
    this.registry ??= new ProjectRegistry(parser, this.files);
    return { parser, projects: this.registry };
  }

  /** Forgets what `change` makes stale; it is computed again when next asked for. */
  invalidate(change: Change): void {
    switch (change.kind) {
      case 'files':
        this.registry?.dispose(); // rebuilt lazily from the files as they are now
        this.analysed.clear();
        break;
      case 'settings':
        this.settings.clear();
        this.analysed.clear();
        break;
      case 'closed':
        clearTimeout(this.pushTimers.get(change.uri));
        this.pushTimers.delete(change.uri);
        this.analysed.delete(change.uri);
        this.settings.delete(change.uri);
        this.lastFailure.delete(change.uri);
        break;
    }
  }

  dispose(): void {
    this.scanGeneration++; // a running scan stops at its next file
    for (const timer of this.pushTimers.values()) clearTimeout(timer);
    this.pushTimers.clear();
    this.documents.dispose();
    this.registry?.dispose();
  }
}
