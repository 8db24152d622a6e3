// `override_settings` for a fix, imported the way the project imports it.
import { importName, reachedName, type Imported } from '../../engine/imports';
import type { RuleContext } from '../../engine/rule';

/**
 * `override_settings`, named as this file already has it, else imported from `django.test.utils` where
 * any file of the project does so (Django before 1.7 exports it only there: myjobs pins 1.6), else from
 * `django.test`.
 */
export function importOverrideSettings(ctx: RuleContext): Imported {
  for (const module of ['django.test', 'django.test.utils']) {
    const existing = reachedName(ctx, module, `${module}.override_settings`);
    if (existing) return { expr: existing, edits: [] };
  }
  const utils = (ctx.project?.occurrences('django.test.utils import override_settings') ?? 0) > 0;
  return importName(ctx, utils ? 'django.test.utils' : 'django.test', 'override_settings');
}
