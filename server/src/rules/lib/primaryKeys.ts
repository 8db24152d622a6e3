// Keys built from primary keys: new in every test of a process where the test database's sequences
// are not rolled back with the test, so what one test leaves under such a key no later test finds.
import type { RuleContext } from '../../engine/rule';
import type { Node } from '../../syntax/parser';
import { escapeRegExp } from '../../syntax/text';

/** a primary key in a key's text: `obj.pk`, `obj.id`, `user_id` */
const PK_INTERPOLATION = /\.(?:pk|id)\b|\w_id\b/;

/**
 * Whether primary keys move on from test to test of one process: the database is not SQLite (whose
 * sequences roll back with the test) and the file does not ask for `reset_sequences`. False without
 * a project (an engine that cannot be read: nothing says the key is new).
 */
export function pksMoveOn(ctx: RuleContext): boolean {
  const engine = ctx.project?.settings.databaseEngine ?? '';
  return !!ctx.project && !/sqlite/.test(engine) && !ctx.file.mentions('reset_sequences');
}

/**
 * Whether `key` is built from a primary key: in its own text (`f"cart:{user.pk}"`), or, for a name
 * (`key`, `self.key`), in what `scopes` (the test, its setUp) assign to it.
 */
export function builtFromPk(key: Node, scopes: readonly Node[]): boolean {
  if (!/^(?:self\.)?\w+$/.test(key.text)) return PK_INTERPOLATION.test(key.text);
  const where = scopes.map(n => n.text).join('\n');
  const built = new RegExp(`(?:^|[^\\w.])${escapeRegExp(key.text)}\\s*=(?!=)([^\\n]*)`).exec(where)?.[1] ?? '';
  return PK_INTERPOLATION.test(built);
}
