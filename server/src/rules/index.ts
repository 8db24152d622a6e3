// The registry: an explicit, sorted list (the server is bundled, so nothing scans the filesystem).
import type { Rule } from '../engine/rule';
import attributeLeak from './attribute-leak';
import cacheNotReset from './cache-not-reset';
import cwdRelativeWrite from './cwd-relative-write';
import environMutation from './environ-mutation';
import fixedPort from './fixed-port';
import globalStateLeak from './global-state-leak';
import hardcodedPk from './hardcoded-pk';
import inlineModel from './inline-model';
import mixedSettingsOverride from './mixed-settings-override';
import settingsMutation from './settings-mutation';
import sharedCache from './shared-cache';
import sharedCacheClear from './shared-cache-clear';
import sharedTmpPath from './shared-tmp-path';
import unknownNoqaCode from './unknown-noqa-code';
import unorderedQuerysetAssert from './unordered-queryset-assert';
import unscopedWorkerResource from './unscoped-worker-resource';
import unstoppedPatcher from './unstopped-patcher';
import wallClockArithmetic from './wall-clock-arithmetic';
import xdistLegacyApi from './xdist-legacy-api';

const catalogue: readonly Rule[] = [
  attributeLeak,
  cacheNotReset,
  cwdRelativeWrite,
  environMutation,
  fixedPort,
  globalStateLeak,
  hardcodedPk,
  inlineModel,
  mixedSettingsOverride,
  settingsMutation,
  sharedCache,
  sharedCacheClear,
  sharedTmpPath,
  unorderedQuerysetAssert,
  unscopedWorkerResource,
  unstoppedPatcher,
  wallClockArithmetic,
  xdistLegacyApi,
];

export const rules: readonly Rule[] = [...catalogue, unknownNoqaCode(catalogue)].sort((a, b) =>
  a.id.localeCompare(b.id),
);
