// Thin client: start the Crosstalk language server for Python files, and the few things only the editor
// can do: commands that need the active editor or the client itself, and a status bar item. Settings are
// the server's to read (workspace/configuration); the client reads none.
import * as vscode from 'vscode';
import {
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const module = context.asAbsolutePath('server/out/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'python' }],
    synchronize: { configurationSection: 'crosstalk' },
  };
  const lc = (client = new LanguageClient('crosstalk', 'Crosstalk', serverOptions, clientOptions));
  const status = new Status(lc);
  context.subscriptions.push(
    status,
    vscode.commands.registerCommand('crosstalk.showOutput', () => lc.outputChannel.show(true)),
    vscode.commands.registerCommand('crosstalk.restartServer', () => lc.restart()),
    // the server's crosstalk.projectModel (the client forwards it), for the active editor, into the output channel
    vscode.commands.registerCommand('crosstalk.showProjectModel', async () => {
      const uri = vscode.window.activeTextEditor?.document.uri.toString();
      const result = await vscode.commands.executeCommand<{ text: string } | undefined>('crosstalk.projectModel', uri);
      lc.outputChannel.appendLine(
        `Project model${uri ? ` for ${uri}` : ''}:\n${result?.text ?? 'no answer from the server'}`,
      );
      lc.outputChannel.show(true);
    }),
    // the server's source.fixAll.crosstalk action, on the active editor
    vscode.commands.registerCommand('crosstalk.fixAllInFile', () =>
      vscode.commands.executeCommand('editor.action.sourceAction', { kind: 'source.fixAll.crosstalk', apply: 'first' }),
    ),
  );
  await lc.start();
}

export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}

/** "Crosstalk: 3" with the server's state: the count of Crosstalk diagnostics VS Code holds. */
class Status implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('crosstalk.status', vscode.StatusBarAlignment.Left, 0);
  private readonly subscriptions: vscode.Disposable[];
  private pending: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly client: LanguageClient) {
    this.item.name = 'Crosstalk';
    // a workspace scan pushes diagnostics file by file: count at most every 250 ms
    this.subscriptions = [
      vscode.languages.onDidChangeDiagnostics(() => {
        this.pending ??= setTimeout(() => {
          this.pending = undefined;
          this.update();
        }, 250);
      }),
      client.onDidChangeState(() => this.update()),
    ];
    this.update();
    this.item.show();
  }

  private update(): void {
    const state = this.client.state;
    let hazards = 0,
      files = 0;
    for (const [, diagnostics] of vscode.languages.getDiagnostics()) {
      const n = diagnostics.filter(d => d.source === 'crosstalk').length;
      hazards += n;
      if (n) files++;
    }
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    if (state === State.Running) {
      this.item.text = hazards ? `$(warning) Crosstalk: ${hazards}` : '$(check) Crosstalk';
      this.item.tooltip = `Crosstalk: ${plural(hazards, 'test-isolation hazard')}${hazards ? ` in ${plural(files, 'file')}` : ''}. Click for the Problems panel.`;
      this.item.command = 'workbench.actions.view.problems';
      this.item.backgroundColor = undefined;
    } else {
      const starting = state === State.Starting;
      this.item.text = starting ? '$(sync~spin) Crosstalk' : '$(error) Crosstalk';
      this.item.tooltip = starting
        ? 'Crosstalk: starting the language server'
        : 'Crosstalk: the language server is stopped. Click for its output.';
      this.item.command = 'crosstalk.showOutput';
      this.item.backgroundColor = starting ? undefined : new vscode.ThemeColor('statusBarItem.errorBackground');
    }
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
