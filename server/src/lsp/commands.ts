// Commands: scan the workspace, and each rule's project-wide fix ("Isolate the Django cache for every
// test"), applied as a workspace edit the user confirms.
import * as path from 'path';
import type { ProjectFix } from '../engine/rule';
import { viewFor } from '../project/project';
import { rules } from '../rules';
import { configFor } from './settings';
import type { ServerState } from './state';
import { fileChanges, projectWideEdit, type FileChange } from './toProto';
import { scanWorkspace } from './workspace';

export const SCAN_COMMAND = 'crosstalk.scanWorkspace';
const PROJECT_FIXES = new Map(
  rules.flatMap(r => (r.projectFix ? [[r.projectFix.command, r.projectFix] as const] : [])),
);
export const COMMANDS = [SCAN_COMMAND, ...PROJECT_FIXES.keys()];

export function registerCommands(state: ServerState): void {
  state.connection.onExecuteCommand(async ({ command }) => {
    if (command === SCAN_COMMAND) return scanWorkspace(state, 'Scanning the workspace');
    const projectFix = PROJECT_FIXES.get(command);
    if (projectFix) await applyProjectFix(state, projectFix);
    return null;
  });
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
