// How the hosts reach files: passed in, never imported from Node, so the language server's logic can
// run over another file system (tests inject one; a virtual workspace has none on this disk).

export interface FileAccess {
  /** A file's text as UTF-8, or null when it is missing or unreadable (configuration, settings, bases). */
  readText(file: string): string | null;
  /** A file's bytes, to be decoded by its coding cookie. Throws with a one-line reason (`ENOENT`). */
  readBytes(file: string): Uint8Array;
  /** The names in a directory, or null when it cannot be listed. */
  list(dir: string): string[] | null;
  /** The test modules under `dir`, sorted; directories that cannot be listed go to `onError`. */
  walkTestFiles(
    dir: string,
    isTest: (file: string) => boolean,
    onError: (file: string, reason: string) => void,
  ): string[];
}
