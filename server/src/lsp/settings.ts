// What governs an analysis in the editor: each workspace folder's [tool.crosstalk] (pyproject.toml),
// and the editor's crosstalk.* settings, pulled per resource and cached until they change.
import * as path from 'path';
import { pathToFileURL } from 'url';
import { DiagnosticSeverity } from 'vscode-languageserver';
import { defaultConfig, parseConfig, ResolvedConfig, severityTable } from '../project/config';
import type { ServerState, Settings } from './state';

const DEFAULT_SETTINGS: Settings = {
  enable: true,
  select: [],
  ignore: [],
  scope: 'openFiles',
  severity: {},
  testFiles: [],
};

/** The editor's settings for a resource: pulled through `workspace/configuration` when the client has it. */
export function settingsFor(state: ServerState, uri: string): Promise<Settings> {
  let s = state.settings.get(uri);
  if (!s) {
    const warn = (message: string) => {
      if (state.warned.has(message)) return;
      state.warned.add(message);
      state.connection.console.warn(`settings: ${message}`);
    };
    s = state.client.configuration
      ? state.connection.workspace.getConfiguration({ scopeUri: uri, section: 'crosstalk' }).then(
          (c: Partial<Settings> | null) => validSettings(c ?? {}, warn),
          () => DEFAULT_SETTINGS,
        )
      : Promise.resolve(DEFAULT_SETTINGS);
    state.settings.set(uri, s);
  }
  return s;
}

/**
 * The editor's settings with their defaults; values of the wrong shape (VS Code only warns about them
 * in settings.json) are dropped and reported, as [tool.crosstalk] problems are.
 */
function validSettings(raw: Partial<Settings>, warn: (message: string) => void): Settings {
  const settings: Settings = { ...DEFAULT_SETTINGS, ...raw };
  const strings = (v: unknown) => Array.isArray(v) && v.every(x => typeof x === 'string');
  for (const key of ['select', 'ignore', 'testFiles'] as const) {
    if (!strings(settings[key])) {
      warn(`crosstalk.${key} must be a list of strings; ignored`);
      settings[key] = [];
    }
  }
  const table = settings.severity as unknown;
  const isTable = typeof table === 'object' && table !== null && !Array.isArray(table);
  if (!isTable) warn('crosstalk.severity must be an object like { "XT001": "error" }; ignored');
  settings.severity = isTable
    ? severityTable(table as Record<string, unknown>, message => warn(`crosstalk.severity: ${message}; ignored`))
    : {};
  return settings;
}

/** Reads each folder's pyproject.toml; its problems become diagnostics on that file. */
export function loadConfigs(state: ServerState): void {
  state.configsWithSettings.clear();
  for (const root of state.workspaceRoots) {
    const file = path.join(root, 'pyproject.toml');
    const text = state.files.readText(file);
    const { config, problems } = text === null ? { config: null, problems: [] } : parseConfig(text, file);
    state.configs.set(root, new ResolvedConfig(config ?? defaultConfig(root)));
    if (config?.file)
      state.connection.console.info(
        `configuration: ${config.file}${problems.length ? ` (${problems.length} problems)` : ''}`,
      );
    state.connection
      .sendDiagnostics({
        uri: pathToFileURL(file).href,
        diagnostics: problems.map(p => ({
          range: {
            start: { line: p.line - 1, character: p.column - 1 },
            end: { line: p.line - 1, character: Number.MAX_SAFE_INTEGER },
          },
          severity: DiagnosticSeverity.Warning,
          source: 'crosstalk',
          message: p.message,
        })),
      })
      .catch(() => undefined);
  }
}

/** The workspace folder holding `file` (the innermost), if any. */
export function rootOf(state: ServerState, file: string): string | undefined {
  return state.workspaceRoots.filter(r => file.startsWith(r + path.sep)).sort((a, b) => b.length - a.length)[0];
}

/** The configuration of the folder holding `file`, or the defaults. */
export function configFor(state: ServerState, file: string): ResolvedConfig {
  const root = rootOf(state, file);
  return (
    (root !== undefined ? state.configs.get(root) : undefined) ??
    new ResolvedConfig(defaultConfig(root ?? path.dirname(file)))
  );
}

/** The folder's configuration with the editor's `testFiles` over its test-files. */
export function configWith(state: ServerState, file: string, settings: Settings): ResolvedConfig {
  const base = configFor(state, file);
  if (settings.testFiles.length === 0) return base;
  const key = `${base.config.root}\0${base.config.file ?? ''}\0${settings.testFiles.join('\0')}`;
  let config = state.configsWithSettings.get(key);
  if (!config)
    state.configsWithSettings.set(
      key,
      (config = new ResolvedConfig({ ...base.config, testFiles: settings.testFiles })),
    );
  return config;
}
