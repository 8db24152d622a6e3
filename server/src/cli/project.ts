// `crosstalk project [PATH]`: the project model around PATH (a test module, or a directory of the project).
import * as fs from 'fs';
import * as path from 'path';
import { nodeFiles } from '../host/nodeFiles';
import { describeProject, type ProjectModelJson } from '../host/projectModel';
import { ProjectRegistry } from '../host/projects';
import type { ResolvedConfig } from '../project/config';
import { getParser } from '../syntax/parser';

export async function projectCommand(target: string, config: ResolvedConfig, cwd: string): Promise<ProjectModelJson> {
  const full = path.resolve(cwd, target);
  let isDir: boolean;
  try {
    isDir = fs.statSync(full).isDirectory();
  } catch {
    throw new Error(`${target}: no such file or directory`);
  }
  // a directory stands for a test module in it: the project is found from there
  const file = isDir ? path.join(full, '__crosstalk__.py') : full;
  const registry = new ProjectRegistry(await getParser(), nodeFiles);
  try {
    const fallback = isDir ? full : path.dirname(full);
    return describeProject(registry.projectFor(file, { fallback, settingsModule: config.config.settingsModule }), cwd);
  } finally {
    registry.dispose();
  }
}
