// The DRF throttles a view applies of its own (`throttle_classes` on the view or a project base), and
// the rate each allows: what a request a test sends to that view counts against.
import type { Located, ThrottleFacts } from '../analysis/projectView';
import type { Evaluator, Value } from './evaluate';
import { derivesFrom } from './settings';

const ANON = 'rest_framework.throttling.AnonRateThrottle';
const USER = 'rest_framework.throttling.UserRateThrottle';
const SCOPED = 'rest_framework.throttling.ScopedRateThrottle';
/** DRF's throttles that keep each client's history in the Django cache */
const CACHE_THROTTLES = ['rest_framework.throttling.SimpleRateThrottle', ANON, USER, SCOPED];

export interface ViewThrottle {
  /** the throttle class's qualified name */
  throttle: string;
  /** its rate (`"10/day"`); null where it limits nothing; undefined where it cannot be read */
  rate: string | null | undefined;
  /** an AnonRateThrottle and its kind count only requests nobody is logged in for, keyed by the address */
  anonymousOnly: boolean;
}

export interface ViewThrottling {
  view: string;
  throttles: ViewThrottle[];
  /** where the view (or its base) sets `throttle_classes` */
  at: Located | null;
}

/**
 * The throttles view class `view` sets for itself, or null where it sets none (the settings' defaults
 * apply) or is not a class of the project. An empty `throttle_classes` is a view that throttles nothing.
 */
export function viewThrottling(
  evaluator: Evaluator,
  view: string,
  settings: ThrottleFacts | null,
): ViewThrottling | null {
  const attrs = evaluator.classAttributesOf(view);
  const classes = attrs?.get('throttle_classes');
  if (!attrs || !classes) return null;
  const items: Value[] = classes.kind === 'list' ? classes.items : [classes];
  const viewScope = attrs.get('throttle_scope');
  return {
    view,
    at: classes.at ?? null,
    throttles: items.map(item => {
      const throttle =
        item.kind === 'class'
          ? `${item.module}.${item.node.childForFieldName('name')?.text ?? ''}`
          : item.kind === 'ref'
            ? item.name
            : '';
      return throttleOf(evaluator, throttle, viewScope, settings);
    }),
  };
}

function throttleOf(
  evaluator: Evaluator,
  throttle: string,
  viewScope: Value | undefined,
  settings: ThrottleFacts | null,
): ViewThrottle {
  const is = (base: string) => throttle === base || derivesFrom(evaluator, throttle, base);
  const anonymousOnly = is(ANON);
  const own = throttle.startsWith('rest_framework.') ? null : evaluator.classAttributesOf(throttle);
  // a throttle of the project's that derives from none of DRF's cache throttles and names no cache keeps
  // nothing between requests (drf-standardized-errors' `allow_request` that always refuses)
  if (own && !CACHE_THROTTLES.some(is) && !namesCache(evaluator, throttle))
    return { throttle, rate: null, anonymousOnly };
  const rate = own?.get('rate');
  if (rate?.kind === 'str') return { throttle, rate: rate.value, anonymousOnly };
  // a scope: the class's own, the view's for a ScopedRateThrottle, DRF's for its own classes
  const scopeValue = is(SCOPED) ? viewScope : own?.get('scope');
  const scope =
    scopeValue?.kind === 'str' ? scopeValue.value : throttle === ANON ? 'anon' : throttle === USER ? 'user' : null;
  if (!scope || !throttle || (!own && !throttle.startsWith('rest_framework.throttling.')))
    return { throttle, rate: undefined, anonymousOnly };
  const rates = settings?.rates ?? {};
  const known = scope in rates ? rates[scope] : settings?.ratesKnown ? null : undefined;
  return { throttle, rate: known, anonymousOnly };
}

/** Whether project class `cls`, or a project class it derives from, names a cache in its body. */
function namesCache(evaluator: Evaluator, cls: string, seen = new Set<string>()): boolean {
  if (seen.has(cls)) return false;
  seen.add(cls);
  const node = evaluator.classNamed(cls)?.node;
  if (!node) return false;
  return /\bcaches?\b/.test(node.text) || (evaluator.classBases(cls) ?? []).some(b => namesCache(evaluator, b, seen));
}
