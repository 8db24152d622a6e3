// `crosstalk rule XT001` (or `crosstalk rule shared-cache`): the rule's page, as docs/rules/ has it.
import type { Rule } from '../engine/rule';
import { renderRuleDoc } from '../engine/ruleDocs';

export function ruleCommand(args: string[], rules: readonly Rule[], usage: (message: string) => Error): string {
  if (args.length !== 1) throw usage('crosstalk rule takes one rule code or name (see: crosstalk rules)');
  const wanted = args[0] ?? '';
  const rule = rules.find(r => r.id === wanted.toUpperCase() || r.name === wanted.toLowerCase());
  if (!rule) throw usage(`no rule "${wanted}" (see: crosstalk rules)`);
  return renderRuleDoc(rule).replace(/\n+$/, '');
}
