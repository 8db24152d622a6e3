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
  const { name, version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const vsix = path.join(ROOT, `${name}-${version}.vsix`);
  const vsce = path.join(ROOT, 'node_modules/@vscode/vsce/vsce');
  // vscode:prepublish builds the production bundles. Relative README links stay relative: VS Code resolves
  // them inside the installed extension, where docs/ ships (there is no web page to point them at).
  run(process.execPath, [
    vsce,
    'package',
    '--no-dependencies',
    '--no-rewrite-relative-links',
    '--allow-missing-repository',
    '-o',
    vsix,
  ]);
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
  for (const p of problems) console.error(`package: ${p}`);
  console.log(
    `package: ${path.relative(ROOT, vsix)}: ${listing.length} files, ${(size / 1024).toFixed(0)} KiB (budget ${MAX_BYTES / 1024} KiB)${problems.length ? '' : '; listing and size checks passed'}`,
  );
  if (problems.length) process.exit(1);
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

module.exports = { checkListing, unzip };
if (require.main === module)
  main().catch(e => {
    console.error(`package: ${e.stack || e}`);
    process.exit(1);
  });
