#!/usr/bin/env node
// `npm run package`: the .vsix from a fresh clone in one command (installing the npm packages first if
// they are missing), then the two checks CI makes on it: the listing (`vsce ls`, the files vsce packs)
// against the allowlist below, and the size against the budget. Exit 1 when either fails.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const MAX_BYTES = 2 * 1024 * 1024;
/** What may ship: the bundles, the two wasm files, the grammar, the docs pages and images, the manifest. */
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^CHANGELOG\.md$/,
  /^client\/out\/extension\.js$/,
  /^server\/out\/server\.js$/,
  /^server\/out\/(web-tree-sitter|tree-sitter-python)\.wasm$/,
  /^syntaxes\/[\w.-]+\.tmLanguage\.json$/,
  /^docs\/rules\/[a-z-]+\.md$/,
  /^docs\/project-model\.md$/,
  /^docs\/walkthrough\/[a-z-]+\.md$/,
  /^docs\/images\/[a-z-]+\.png$/,
];

function run(cmd, args) {
  return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Problems with a listing: files that may not ship, and files the extension needs that are missing. */
function checkListing(files) {
  const problems = files.filter(f => !ALLOWED.some(re => re.test(f))).map(f => `not on the allowlist: ${f}`);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const required = [
    'package.json',
    'README.md',
    'LICENSE',
    'CHANGELOG.md',
    pkg.main.replace(/^\.\//, ''),
    'server/out/server.js',
    'server/out/web-tree-sitter.wasm',
    'server/out/tree-sitter-python.wasm',
    pkg.icon,
    ...(pkg.contributes.grammars ?? []).map(g => g.path.replace(/^\.\//, '')),
    ...fs.readdirSync(path.join(ROOT, 'docs/rules')).map(f => `docs/rules/${f}`),
    'docs/project-model.md',
    ...(pkg.contributes.walkthroughs ?? []).flatMap(w => w.steps.map(s => s.media.markdown)),
  ];
  for (const f of required) if (!files.includes(f)) problems.push(`missing: ${f}`);
  return problems;
}

async function main() {
  const lock = path.join(ROOT, 'node_modules/.package-lock.json');
  if (!fs.existsSync(lock) || fs.statSync(path.join(ROOT, 'package-lock.json')).mtimeMs > fs.statSync(lock).mtimeMs) {
    console.log('package: npm ci');
    execFileSync('npm', ['ci', '--loglevel=error'], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
    });
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const { name, version } = pkg;
  const vsix = path.join(ROOT, `${name}-${version}.vsix`);
  const vsce = path.join(ROOT, 'node_modules/@vscode/vsce/vsce');
  // vscode:prepublish builds the production bundles. `vsce package` needs no flag to get past the
  // manifest; --githubBranch points the README's relative links (which vsce makes absolute, from
  // `repository`) at this release's tag rather than the default branch, so a rule's page is the one this
  // version describes, on the marketplace and in the installed extension's details alike.
  run(process.execPath, [vsce, 'package', '--no-dependencies', '--githubBranch', `v${version}`, '-o', vsix]);
  const listing = run(process.execPath, [vsce, 'ls', '--no-dependencies']).split('\n').filter(Boolean).sort();
  const problems = checkListing(listing);
  const { size } = fs.statSync(vsix);
  if (size > MAX_BYTES) problems.push(`${path.basename(vsix)} is ${size} bytes, over the ${MAX_BYTES}-byte budget`);
  const entries = await unzip(vsix);
  const packed = entries
    .filter(e => e.startsWith('extension/'))
    .map(e => e.slice('extension/'.length))
    .sort();
  // vsce renames two files inside the archive (readme.md, LICENSE.txt); everything else must match the listing
  const rename = { 'readme.md': 'README.md', 'LICENSE.txt': 'LICENSE', 'changelog.md': 'CHANGELOG.md' };
  const packedNames = packed.map(f => rename[f] ?? f).sort();
  if (JSON.stringify(packedNames) !== JSON.stringify(listing))
    problems.push(`the .vsix holds ${packedNames.join(', ')}; vsce ls listed ${listing.join(', ')}`);
  const readme = await readEntry(vsix, 'extension/readme.md');
  problems.push(
    ...checkReadmeLinks(readme, `${repositoryOf(pkg)}/blob/v${version}/`, `${repositoryOf(pkg)}/raw/v${version}/`),
  );
  for (const p of problems) console.error(`package: ${p}`);
  console.log(
    `package: ${path.relative(ROOT, vsix)}: ${listing.length} files, ${(size / 1024).toFixed(0)} KiB (budget ${MAX_BYTES / 1024} KiB)${problems.length ? '' : '; listing and size checks passed'}`,
  );
  if (problems.length) process.exit(1);
}

/** The web address of the repository the manifest names. */
function repositoryOf(pkg) {
  const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  return String(url)
    .replace(/^git\+/, '')
    .replace(/\.git$/, '');
}

/**
 * Problems with the links of the README as packaged: each must work on the marketplace page and in the
 * installed extension's details, so none may stay relative (an anchor in the page is fine), and each into
 * the repository must name a file of this tree (at the release's tag it is the same file).
 */
function checkReadmeLinks(readme, blob, raw) {
  const problems = [];
  for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (target.startsWith('#')) continue;
    if (!/^https?:\/\//.test(target)) problems.push(`README link left relative: ${target}`);
    const inRepo = [blob, raw].find(prefix => target.startsWith(prefix));
    if (inRepo && !fs.existsSync(path.join(ROOT, decodeURI(target.slice(inRepo.length).split('#')[0]))))
      problems.push(`README link to a file this repository does not have: ${target}`);
  }
  return problems;
}

/** One entry of a zip file, as text. */
function readEntry(file, name) {
  const yauzl = require('yauzl');
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      zip.on('error', reject);
      zip.on('end', () => reject(new Error(`${file} has no ${name}`)));
      zip.on('entry', entry => {
        if (entry.fileName !== name) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const chunks = [];
          stream.on('data', c => chunks.push(c));
          stream.on('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks).toString('utf8'));
          });
          stream.on('error', reject);
        });
      });
      zip.readEntry();
    }),
  );
}

/** The entries of a zip file; with `dir`, extracted there as well. */
function unzip(file, dir) {
  const yauzl = require('yauzl');
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const names = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(names));
      zip.on('entry', entry => {
        names.push(entry.fileName);
        if (!dir || entry.fileName.endsWith('/')) return zip.readEntry();
        const target = path.join(dir, entry.fileName);
        if (!target.startsWith(dir + path.sep)) return reject(new Error(`unsafe path in ${file}: ${entry.fileName}`));
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          stream
            .pipe(fs.createWriteStream(target))
            .on('finish', () => zip.readEntry())
            .on('error', reject);
        });
      });
      zip.readEntry();
    }),
  );
}

module.exports = { checkListing, checkReadmeLinks, unzip };
if (require.main === module)
  main().catch(e => {
    console.error(`package: ${e.stack || e}`);
    process.exit(1);
  });
