// What the analysis needs to know of the project around a file, as the project model (project/)
// provides it: settings facts, classes in other modules, conftest fixtures. Declared here, below
// both, so the analysis depends on the shape and not on how the facts are read.

export type Backend = 'cross-process' | 'per-process' | 'none';

export interface Located {
  file: string;
  line: number;
  character: number;
}

export interface CacheFacts extends Located {
  alias: string;
  backend: string;
  kind: Backend;
}

export interface ThrottleFacts extends Located {
  classes: string[];
  rates: Record<string, string>;
}

export interface SettingsFacts {
  module: string | null;
  file: string | null;
  /** why the facts are missing or partial, for messages ("CACHES is computed", "settings module not found") */
  unknown: string | null;
  caches: Map<string, CacheFacts>;
  throttling: ThrottleFacts | null;
  /** SESSION_ENGINE when literal: a cache-backed engine keeps logins in the cache */
  sessionEngine: string | null;
}

export interface ClassFacts {
  file: string;
  line: number;
  isolatesCache: boolean;
  djangoTestCase: boolean;
}

/** What the rules see of the project for one file. Everything is computed on first use. */
export interface ProjectView {
  readonly root: string;
  readonly settings: SettingsFacts;
  classInfo(qualified: string): ClassFacts | undefined;
  readonly autouseCacheIsolation: boolean;
  /** the root conftest.py: its path and text (null when it does not exist) */
  readonly rootConftest: { file: string; text: string | null };
  /** the suite runs under pytest (a conftest.py or pytest configuration at the root) */
  readonly usesPytest: boolean;
  readText(file: string): string | null;
}
