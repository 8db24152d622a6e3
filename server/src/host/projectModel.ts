// What Crosstalk reads of the project around a file, as the rules see it: the runner, the settings
// module and where it was chosen, each cache and how far it is shared, DRF throttling, what resets
// state for every test, and app labels. So a user can see why a finding says what it says, and
// correct Crosstalk's view: `crosstalk project`, and "Crosstalk: Show project model" in the editor.
import * as path from 'path';
import type { Located } from '../analysis/projectView';
import type { Project } from '../project/project';

/** The model as `--format json` prints it (the keys of the documented format, in its order). */
export interface ProjectModelJson {
  root: string;
  runner: 'pytest' | 'django';
  settings: { module: string | null; file: string | null; source: string | null };
  caches: Record<string, { backend: string | null; scope: string; reason?: string }>;
  throttling: { on: boolean | null; classes: string[] };
  resets: { what: string; by: string; where: string }[];
  apps: Record<string, string>;
}

/** The model, with paths relative to `cwd` (the root) and to the root (everything else). */
export function describeProject(project: Project, cwd: string): ProjectModelJson {
  const root = project.root;
  const rel = (f: string) => path.relative(root, f).split(path.sep).join('/') || path.basename(f);
  const where = (at: Located) => `${rel(at.file)}:${at.line + 1}`;
  const settings = project.settingsFacts();
  const run = project.runConfig();
  let source = run.source ? `${rel(run.source.file)}:${run.source.line} ${run.source.how}` : null;
  if (source && run.configuration && run.configurationSource) {
    const c = run.configurationSource;
    source += `; class ${run.configuration} (${rel(c.file)}:${c.line} DJANGO_CONFIGURATION ${c.how})`;
  }
  const caches: ProjectModelJson['caches'] = {};
  for (const [alias, c] of settings.caches) {
    caches[alias] = { backend: c.backend, scope: c.kind };
    if (c.kind === 'unknown')
      caches[alias].reason = c.file ? `${where(c)} ${c.reason ?? 'cannot be read'}` : (c.reason ?? 'cannot be read');
  }
  return {
    root: path.relative(cwd, root).split(path.sep).join('/') || '.',
    runner: settings.runner,
    settings: { module: settings.module, file: settings.file ? rel(settings.file) : null, source },
    caches,
    throttling: { on: settings.throttling?.on ?? null, classes: settings.throttling?.classes ?? [] },
    resets: project.resets().map(r => ({ what: r.what, by: r.by, where: where(r.at) })),
    apps: Object.fromEntries(settings.apps),
  };
}

/** The model for people: one fact a line. */
export function formatProjectText(model: ProjectModelJson): string {
  const lines = [
    `root: ${model.root}`,
    `runner: ${model.runner}`,
    `settings: ${model.settings.module ?? '(none)'}${model.settings.file ? ` (${model.settings.file})` : ''}${model.settings.source ? `, from ${model.settings.source}` : ''}`,
    ...Object.entries(model.caches).map(
      ([alias, c]) =>
        `cache ${alias}: ${c.backend ?? 'unknown backend'}, ${c.scope}${c.reason ? ` (${c.reason})` : ''}`,
    ),
    `DRF throttling: ${model.throttling.on === null ? 'unknown or not configured' : model.throttling.on ? 'on' : 'off'}${model.throttling.classes.length ? ` (${model.throttling.classes.join(', ')})` : ''}`,
    ...model.resets.map(r => `reset: ${r.what} by ${r.by} at ${r.where}`),
    ...Object.entries(model.apps).map(([label, name]) => `app label ${label}: ${name}`),
  ];
  return lines.join('\n');
}
