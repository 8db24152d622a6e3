// How a message names the process a test's change stays in: an xdist worker under pytest, one process
// of `manage.py test` (or of its --parallel workers) under Django's runner.
import type { RuleContext } from '../../engine/rule';

/** "this xdist worker", or "this process" where the suite runs under Django's own runner. */
export function thisProcess(ctx: RuleContext): string {
  return ctx.project?.recognised && ctx.project.settings.runner === 'django' ? 'this process' : 'this xdist worker';
}
