// The registry: an explicit, sorted list (the server is bundled, so nothing scans the filesystem).
import type { Rule } from '../rule';
import environMutation from './environ-mutation';
import inlineModel from './inline-model';
import mixedSettingsOverride from './mixed-settings-override';
import settingsMutation from './settings-mutation';
import sharedCache from './shared-cache';
import sharedCacheClear from './shared-cache-clear';
import sharedTmpPath from './shared-tmp-path';
import unstoppedPatcher from './unstopped-patcher';
import xdistLegacyApi from './xdist-legacy-api';

export const rules: readonly Rule[] = [
  sharedCache,
  sharedCacheClear,
  inlineModel,
  sharedTmpPath,
  xdistLegacyApi,
  settingsMutation,
  mixedSettingsOverride,
  environMutation,
  unstoppedPatcher,
].sort((a, b) => a.id.localeCompare(b.id));

export const ruleById = new Map(rules.map(r => [r.id, r]));
