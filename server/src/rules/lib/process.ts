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

/**
 * One process runs every test: Django's runner with django-nose's `TEST_RUNNER`, which ignores `--parallel`,
 * where nothing asks nose for processes of its own (`--processes` in NOSE_ARGS; okuna-api). Nothing runs
 * beside a test to share a server's keys with.
 */
export function oneProcess(ctx: RuleContext): boolean {
  if (!djangoRunner(ctx)) return false;
  const runner = ctx.project?.settings.testRunner?.name ?? '';
  return /^django_nose\./.test(runner) && ctx.project?.occurrences('--processes') === 0;
}

/**
 * The project's own xdist scheduler (`pytest_xdist_make_scheduler` in a conftest.py) decides which tests run
 * side by side: django-redis sends every test of one settings module, each with a Redis database of its own,
 * to one worker. Which workers share a server is then the project's choice, not one to read here.
 */
export function ownScheduler(ctx: RuleContext): boolean {
  return !djangoRunner(ctx) && !!ctx.project?.occurrences('def pytest_xdist_make_scheduler(');
}
