#!/usr/bin/env node
// `npm run screenshots`: the README's pictures, taken in the real VS Code of the e2e suite (code-server
// in Debian's headless chromium, through playwright-core) with the built extension on a copy of
// examples/: a finding's squiggle with its hover, and the quick-fix menu on it. Also renders the icon.
// Writes docs/images/{hover,quickfix,icon}.png. Needs `npm run setup` (the offline VS Code).
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { launch } = require('../test/e2e/codeServer');

const ROOT = path.resolve(__dirname, '..');
const IMAGES = path.join(ROOT, 'docs/images');
/** where the pictures look: test_api.py line 9, the cache.clear() XT002 flags (1-based line:column) */
const FILE = 'test_api.py',
  AT = '9:9',
  CODE = 'XT002',
  NAME = 'shared-cache-clear';
const SETTINGS = {
  'editor.minimap.enabled': false,
  'editor.fontSize': 14,
  'workbench.tips.enabled': false,
  'breadcrumbs.enabled': false,
  'editor.hover.delay': 200,
  'workbench.layoutControl.enabled': false,
  'window.commandCenter': false,
  'workbench.editor.enablePreview': false,
  'editor.lightbulb.enabled': 'off',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.colorTheme': 'Default Dark Modern',
};

async function main() {
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crosstalk-screenshots-'));
  const folder = path.join(tmp, 'shop-project');
  fs.cpSync(path.join(ROOT, 'examples'), folder, { recursive: true });
  const vscodeWeb = await launch({ folder, tmp, settings: SETTINGS });
  try {
    const page = await vscodeWeb.browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(
      vscodeWeb.url([
        ['extensionDevelopmentPath', ROOT],
        ['skipWelcome', 'true'],
      ]),
    );
    await page.waitForSelector('.monaco-workbench .part.editor', { timeout: 60000 });
    await page.waitForSelector('.monaco-workbench .explorer-folders-view', { timeout: 60000 });
    // open the file and put the cursor on the finding, with the keyboard as a person would
    await page.keyboard.press('Control+P');
    await page.keyboard.type(FILE);
    await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${FILE}"]`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.monaco-editor .squiggly-warning', { timeout: 60000 });
    await page.keyboard.press('Control+G');
    await page.keyboard.type(AT);
    await page.keyboard.press('Enter');
    // the Problems count in the status bar and Crosstalk's item settle once the diagnostics are in
    await page.waitForFunction(
      () => /Crosstalk: \d+/.test(document.querySelector('.statusbar')?.textContent ?? ''),
      null,
      { timeout: 60000 },
    );
    await page.keyboard.press('Control+B'); // no side bar: the hover gets the editor's width

    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I'); // Show Hover
    const hover = page.locator('.monaco-hover:visible', { hasText: `${CODE} ${NAME}` });
    await hover.waitFor({ timeout: 30000 });
    await page.screenshot({ path: path.join(IMAGES, 'hover.png') });
    await page.keyboard.press('Escape');

    await page.keyboard.press('Control+.'); // Quick Fix
    const menu = page.locator('.action-widget:visible', { hasText: `Crosstalk (${CODE})` });
    await menu.waitFor({ timeout: 30000 });
    await page.screenshot({ path: path.join(IMAGES, 'quickfix.png') });
    await page.keyboard.press('Escape');

    // the icon, from its SVG source
    await page.setViewportSize({ width: 128, height: 128 });
    await page.setContent(
      `<html><body style="margin:0;background:transparent">${fs.readFileSync(path.join(IMAGES, 'icon.svg'), 'utf8')}</body></html>`,
    );
    await page.screenshot({ path: path.join(IMAGES, 'icon.png'), omitBackground: true });
    console.log(
      `screenshots: ${['hover.png', 'quickfix.png', 'icon.png'].map(f => path.join('docs/images', f)).join(', ')}`,
    );
  } finally {
    await vscodeWeb.close();
  }
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
}

main().catch(e => {
  console.error(`screenshots: ${e.stack || e}`);
  process.exit(1);
});
