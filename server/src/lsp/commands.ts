// Commands: scan the workspace, and each rule's project-wide fix ("Isolate the Django cache for every
// test"), applied as a workspace edit the user confirms.
import * as path from 'path';
import type { ProjectFix } from '../engine/rule';
import { viewFor } from '../project/project';
import { rules } from '../rules';
import { describeProject, formatProjectText, type ProjectModelJson } from '../host/projectModel';
import { configFor, rootOf } from './settings';
import type { ServerState } from './state';
import { fileChanges, isFileUri, projectWideEdit, uriPath, type FileChange } from './toProto';
import { scanWorkspace } from './workspace';

export const SCAN_COMMAND = 'crosstalk.scanWorkspace';
/** the project model around a document (arguments: its URI), as text and as data */
export const PROJECT_MODEL_COMMAND = 'crosstalk.projectModel';
const PROJECT_FIXES = new Map(
  rules.flatMap(r => (r.projectFix ? [[r.projectFix.command, r.projectFix] as const] : [])),
);
export const COMMANDS = [SCAN_COMMAND, PROJECT_MODEL_COMMAND, ...PROJECT_FIXES.keys()];

export function registerCommands(state: ServerState): void {
  state.connection.onExecuteCommand(async ({ command, arguments: args }) => {
    if (command === SCAN_COMMAND) return scanWorkspace(state, 'Scanning the workspace');
    if (command === PROJECT_MODEL_COMMAND) return projectModel(state, typeof args?.[0] === 'string' ? args[0] : null);
    const projectFix = PROJECT_FIXES.get(command);
    if (projectFix) await applyProjectFix(state, projectFix);
    return null;
  });
}

/** What Crosstalk reads of the project around a document: none for a virtual one (nothing is read from disk). */
async function projectModel(
  state: ServerState,
  uri: string | null,
): Promise<{ text: string; model: ProjectModelJson | null }> {
  const file = uri && isFileUri(uri) ? uriPath(uri) : null;
  const folder = file ? rootOf(state, file) : state.workspaceRoots[0];
  if (!folder) return { text: 'Crosstalk: no project on this disk (a virtual or an untitled document)', model: null };
  const target = file ?? path.join(folder, '__crosstalk__.py');
  const { projects } = await state.ready();
  const project = projects.projectFor(target, {
    fallback: folder,
    within: folder,
    settingsModule: configFor(state, target).config.settingsModule,
  });
  const model = describeProject(project, folder);
  return { text: formatProjectText(model), model };
}

/** The fix for every workspace folder's project that needs it, as one edit to confirm. */
async function applyProjectFix(state: ServerState, projectFix: ProjectFix): Promise<void> {
  const { connection } = state;
  const { projects } = await state.ready();
  const changes: FileChange[] = [];
  for (const folder of state.workspaceRoots) {
    const conftest = path.join(folder, 'conftest.py');
    const project = projects.projectFor(conftest, {
      fallback: folder,
      within: folder,
      settingsModule: configFor(state, conftest).config.settingsModule,
    });
    const fix = projectFix.fix(viewFor(project, conftest));
    if (fix) changes.push(...fileChanges(fix.edits, file => state.files.readText(file)));
  }
  if (changes.length === 0) {
    // typed void, but sent as a request the client may not implement: a rejection must not go unhandled
    void Promise.resolve(connection.window.showInformationMessage(projectFix.nothingToDo) as unknown).catch(
      () => undefined,
    );
    return;
  }
  await connection.workspace.applyEdit({ label: projectFix.title, edit: projectWideEdit(changes, projectFix.title) });
}
