// The project models of one CLI run or one editor session, one per project root, built on first use
// from what the files say (read, never run). Both hosts ask it for the project around a file.
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { findProjectRoot, Project } from '../project/project';
import type { FileAccess } from './files';

export interface ProjectPlace {
  /** the root when no directory above the file has a project marker */
  fallback: string;
  /** never a root above this directory (the editor's workspace folder) */
  within?: string;
  /** the settings module the configuration names, over discovery */
  settingsModule: string | null;
}

export class ProjectRegistry {
  private readonly projects = new Map<string, Project>();
  /** per directory, its project root: probing marker files up the tree is disk work, done once per directory */
  private readonly roots = new Map<string, string>();
  private readonly read: (file: string) => string | null;

  constructor(
    private readonly parser: Parser,
    private readonly files: FileAccess,
  ) {
    this.read = file => files.readText(file);
  }

  /** The project around `file`: rooted at the nearest directory above it with a project marker. */
  projectFor(file: string, place: ProjectPlace): Project {
    const dir = path.dirname(file);
    let root = this.roots.get(dir);
    if (root === undefined) {
      const found = findProjectRoot(file, this.read, place.fallback);
      root = place.within !== undefined && !found.startsWith(place.within) ? place.within : found;
      this.roots.set(dir, root);
    }
    let project = this.projects.get(root);
    if (!project) {
      const { files } = this;
      project = new Project(root, this.parser, this.read, place.settingsModule, {
        list: dir => files.list(dir),
        walk: (dir, isTest) => files.walkTestFiles(dir, isTest, () => undefined),
        ceiling: place.within,
      });
      this.projects.set(root, project);
    }
    return project;
  }

  /** Frees every project's syntax trees; the next question builds them again from the files as they are now. */
  dispose(): void {
    for (const p of this.projects.values()) p.dispose();
    this.projects.clear();
    this.roots.clear();
  }
}
