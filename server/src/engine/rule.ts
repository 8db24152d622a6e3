// The contract between the engine and a rule module (one file per rule, ESLint's create() model).
import type { Definitions } from '../analysis/defs';
import type { Fix } from './fix';
import type { Names } from '../analysis/names';
import type { Node } from '../syntax/parser';
import type { Located, ProjectView } from '../analysis/projectView';
import type { Testing } from '../analysis/testing';

export type Severity = 'error' | 'warning' | 'info';
/** Like ruff's FixAvailability: whether the rule offers a fix always, for some findings, or never. */
export type FixAvailability = 'always' | 'sometimes' | 'none';

export interface RuleDocs {
  /** what the rule flags */
  what: string;
  /** why it is a hazard: who shares what with whom */
  why: string;
  /** the real incident behind it */
  incident: string;
  /** where the incident is told: the issue or pull request of the project it happened to */
  incidentUrl: string;
  /** a flagged example and its fix, as Python */
  example: string;
  /** what the fix does and when it is unsafe */
  fixSafety: string;
}

/** Related information: a node in this file, or a place in another (the settings' CACHES line). */
export type Related = { node: Node; message: string } | { at: Located; message: string };

export interface Report {
  node: Node;
  message: string;
  fix?: Fix | null;
  related?: Related[];
  /** this finding's severity when it differs from the rule's default (LocMemCache: information) */
  severity?: Severity;
  /** a part of `node`'s first line (offsets) to flag instead of the whole node: one code in a comment */
  part?: { start: number; end: number };
  /**
   * The one place, in another file, whose change would remove this hazard and every other that names it:
   * the test settings' CACHES entry for a cache every worker shares. The CLI reports the findings that
   * share a cause once, there.
   */
  cause?: Cause;
}

/** A root cause many findings can share: where it is, and what it is (a sentence's subject). */
export interface Cause {
  at: Located;
  describe: string;
  /** the one change at `at`, or for the whole suite, that removes every finding resting on it */
  remedy: string;
}

export interface FileFacts {
  text: string;
  /**
   * The module's top-level nodes (statements, comments), in order, with what kind of unit each is
   * part of: a lone definition, comments, or other code (imports, constants, several statements).
   * Reading the kind, not the node, keeps a walk over the module cheap (a node's type is a WASM call).
   */
  topLevel: readonly { node: Node; kind: 'def' | 'comment' | 'other' }[];
  /** dotted name of the module (`app.tests.test_api`), used to name per-class caches */
  moduleName: string;
  eol: string;
  /**
   * Whether the file's text contains `pattern` anywhere. Rules ask this, not `text`, for file-wide
   * facts: the engine re-checks them after an edit to know whether untouched code may read differently.
   */
  mentions(pattern: string | RegExp): boolean;
  /**
   * Whether one top-level unit's text (a class, a function, a run of statements) matches `pattern`:
   * for facts about another definition of the module as a whole (`^(?!...)` reads "a unit that never
   * ..."). Re-checked after an edit as `mentions` is. Pass the same RegExp object for the same question.
   */
  anyUnit(pattern: RegExp): boolean;
  /**
   * What `compute` returns, computed once per analysis of this file under `key` (a function of the
   * asker's, say): several rules asking the same question of the same file share one answer.
   */
  memo<T>(key: object, compute: () => T): T;
  /**
   * Says that an answer read every unit of the module (two tests anywhere in it sharing something): an
   * edit anywhere may change it, so the next analysis after an edit runs on the whole file.
   */
  readsEveryUnit(): void;
}

export interface RuleContext {
  readonly file: FileFacts;
  readonly names: Names;
  readonly testing: Testing;
  readonly defs: Definitions;
  /** the project around the file, when the host knows it (the CLI and the server do) */
  readonly project?: ProjectView;
  report(report: Report): void;
}

export type Listeners = { [nodeType: string]: (node: Node) => void };

export interface RuleDefinition {
  id: string;
  /** kebab-case, equal to the module's file name */
  name: string;
  severity: Severity;
  fix: FixAvailability;
  /**
   * Off unless selected by its code (`--select XT080`, `select = ["XT080"]`): why. For a rule whose
   * findings, read on suites nobody tuned it on, were too rarely right to show by default.
   */
  optIn?: string;
  /** one line, for tables, hovers and SARIF shortDescription */
  summary: string;
  /** the rule's row in the README's table (markdown): what it finds, and its fix in a phrase */
  table: { finds: string; fix: string };
  /** a project-level hazard: reported once per file, at the first place it applies */
  once?: boolean;
  /**
   * about test configuration: also run in the settings module the test run loads, which is no test module
   * (every other rule is about tests, and runs in test modules only)
   */
  settingsModule?: boolean;
  docs: RuleDocs;
  create(ctx: RuleContext): Listeners;
  /** the rule's fix for a whole project at once, offered as an editor command, when it has one */
  projectFix?: ProjectFix;
}

/** A fix for every test of a project at once (XT003: one autouse fixture in the root conftest.py). */
export interface ProjectFix {
  /** the editor command that applies it (contributed in package.json) */
  command: string;
  /** what the command does, as the edit's label */
  title: string;
  /** said when no project of the workspace needs it */
  nothingToDo: string;
  /** the fix for this project, or null when it needs none (or cannot have it) */
  fix(project: ProjectView): Fix | null;
}

export interface Rule extends RuleDefinition {
  /** docs/rules/<name>.md, relative to the package root (the extension ships it) */
  docsPath: string;
}

export function createRule(def: RuleDefinition): Rule {
  return { ...def, docsPath: `docs/rules/${def.name}.md` };
}
