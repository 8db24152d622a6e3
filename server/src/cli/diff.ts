// --diff: the fixes as one unified diff, file by file, as `patch -p0` and `git apply` read it.
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

export function unifiedDiff(files: { file: string; before: string; after: string }[]): string {
  return files
    .map(({ file, before, after }) => {
      const name = file.split('\\').join('/');
      // a created file: from /dev/null, as git writes it
      return createTwoFilesPatch(before === '' ? '/dev/null' : name, name, before, after, undefined, undefined, {
        headerOptions: FILE_HEADERS_ONLY,
      });
    })
    .join('')
    .replace(/\n$/, '');
}
