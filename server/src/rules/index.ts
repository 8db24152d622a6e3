// The registry: an explicit, sorted list (the server is bundled, so nothing scans the filesystem).
import type { Rule } from '../rule';
import inlineModel from './inline-model';
import sharedCache from './shared-cache';
import sharedCacheClear from './shared-cache-clear';
import sharedTmpPath from './shared-tmp-path';
import xdistLegacyApi from './xdist-legacy-api';

export const rules: readonly Rule[] = [
  sharedCache,
  sharedCacheClear,
  inlineModel,
  sharedTmpPath,
  xdistLegacyApi,
].sort((a, b) => a.id.localeCompare(b.id));

export const ruleById = new Map(rules.map(r => [r.id, r]));
