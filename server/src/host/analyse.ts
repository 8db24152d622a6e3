// One file's analysis, as both hosts run it: the rules its configuration selects, under the project
// around it, over its text decoded as Python reads it.
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import type { Finding } from '../engine/finding';
import { lint, type LintOptions } from '../engine/lint';
import type { Severity } from '../engine/rule';
import type { ResolvedConfig } from '../project/config';
import { moduleName } from '../project/files';
import { viewFor, type Project } from '../project/project';
import { parse } from '../syntax/parser';
import { decodeSource, type Decoded } from '../syntax/source';
import type { FileAccess } from './files';

/** What a host adds to the configuration: the editor's settings, the command line's flags. */
export interface Overrides {
  select?: string[];
  ignore?: string[];
  severity?: Record<string, Severity>;
  /** names the module when there is no project (a file outside any workspace folder) */
  root?: string;
  /** per analysis: past it, the file is given up with a one-line reason */
  budgetMs: number;
  /** the file is the settings module the test run loads, not a test module: only the rules about test configuration */
  settingsModule?: boolean;
}

/** The options to analyse `file` with: its configuration's rules and severities, narrowed by the host. */
export function lintOptions(
  file: string,
  config: ResolvedConfig,
  project: Project | null,
  over: Overrides,
): LintOptions {
  // a test module the suite's runner never collects (pytest's `python_files`): no test there runs with the others
  const collected = !project || over.settingsModule || project.collectsTests(file);
  return {
    rules: config
      .rulesFor(file, { select: over.select ?? [], ignore: over.ignore ?? [] })
      .filter(r => collected && (!over.settingsModule || r.settingsModule)),
    severity: { ...config.config.severity, ...over.severity },
    moduleName: moduleName(file, project?.root ?? over.root ?? path.dirname(file)),
    budgetMs: over.budgetMs,
    project: project ? viewFor(project, file) : undefined,
  };
}

/**
 * The settings module the test run of `project` loads, when it lies inside `dir` (the directory a host
 * checks) and is no test module: checked besides the test modules, for the rules about test configuration.
 */
export function settingsModuleToCheck(
  project: Project,
  dir: string,
  isTestFile: (file: string) => boolean,
): string | null {
  const file = project.settingsFile();
  const rel = file && path.relative(dir, file);
  const inside = !!rel && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
  return file && inside && !isTestFile(file) ? file : null;
}

/** A file's text as Python reads it (coding cookie, BOM). Throws with a one-line reason. */
export function readSource(files: FileAccess, file: string): Decoded {
  return decodeSource(files.readBytes(file));
}

/** Parses and lints one text, freeing its tree. Throws ParseError (one line) when it cannot. */
export function analyseText(parser: Parser, text: string, options: LintOptions): Finding[] {
  const tree = parse(parser, text);
  try {
    return lint(tree, text, options);
  } finally {
    tree.delete();
  }
}

/** A file on disk, read and analysed. Throws with a one-line reason when it cannot be. */
export function analyseFile(
  parser: Parser,
  files: FileAccess,
  file: string,
  options: LintOptions,
): { source: Decoded; findings: Finding[] } {
  const source = readSource(files, file);
  return { source, findings: analyseText(parser, source.text, options) };
}
