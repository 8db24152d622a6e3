// How a message names the processes tests share state in: xdist workers under pytest, the processes
// of `manage.py test` (and its --parallel workers) under Django's runner.
import type { RuleContext } from '../../engine/rule';

/** The suite runs under Django's own runner (`manage.py test`), as the project's configuration says. */
export function djangoRunner(ctx: RuleContext): boolean {
  return !!ctx.project?.recognised && ctx.project.settings.runner === 'django';
}

/** The process a test's change stays in: "this xdist worker", or "this process" under Django's runner. */
export function thisProcess(ctx: RuleContext): string {
  return djangoRunner(ctx) ? 'this process' : 'this xdist worker';
}

/** The processes that run tests side by side, as the project's runner names them. */
export function everyWorker(ctx: RuleContext): string {
  return djangoRunner(ctx) ? 'every process of manage.py test --parallel' : 'every xdist worker';
}
