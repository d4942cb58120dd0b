// Loads posfault HTML reports in headless Chromium (Debian's /usr/bin/chromium) and fails when a
// page logs a console error or warning, throws, or tries to fetch anything (a report must be
// self-contained). Saves a screenshot of one ladder per report (a failed scenario's when there
// is one) and a print PDF, so a person can look at what CI produced.
//
// usage: PLAYWRIGHT_CORE=/path/to/node_modules/playwright-core \
//        node tools/check_html.cjs OUT_DIR REPORT.html...
'use strict';
const path = require('path');
const fs = require('fs');
const { chromium } = require(path.resolve(process.env.PLAYWRIGHT_CORE || 'playwright-core'));

async function check(browser, file, outDir) {
  const name = path.basename(path.dirname(file));
  const problems = [];
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push(`fetch: ${r.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()}`));
  await page.goto('file://' + path.resolve(file), { waitUntil: 'load' });

  const scenarios = await page.locator('section.scenario').count();
  const ladders = await page.locator('section.scenario svg.ladder').count();
  if (scenarios === 0) problems.push('no scenario sections');
  if (ladders !== scenarios) problems.push(`${ladders} ladders for ${scenarios} scenarios`);
  const rows = await page.locator('#scenarios tbody tr').count();
  if (rows !== scenarios) problems.push(`${rows} table rows for ${scenarios} scenarios`);
  // Every ladder must have drawn something: a frame arrow or, for a story with no frames
  // (the terminal could not connect at all), a note on a lane. The report must have arrows.
  const empty = await page.$$eval('svg.ladder', (svgs) =>
    svgs.filter((s) => s.querySelectorAll('g.frame line, g.note').length === 0).length);
  if (empty > 0) problems.push(`${empty} ladders that draw nothing`);
  const arrows = await page.locator('svg.ladder g.frame line').count();
  if (arrows === 0) problems.push('no frame arrow in any ladder');

  await page.screenshot({ path: path.join(outDir, `summary-${name}.png`) });
  const failed = page.locator('section.scenario.fail svg.ladder');
  const ladder = (await failed.count()) > 0 ? failed.first() : page.locator('svg.ladder').first();
  const shot = path.join(outDir, `ladder-${name}.png`);
  await ladder.screenshot({ path: shot });
  await page.pdf({ path: path.join(outDir, `print-${name}.pdf`), format: 'A4', printBackground: true });
  await page.close();
  return { file, scenarios, shot, problems };
}

(async () => {
  const [outDir, ...files] = process.argv.slice(2);
  if (!outDir || files.length === 0) {
    console.error('usage: node tools/check_html.cjs OUT_DIR REPORT.html...');
    process.exit(2);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
      '--disable-component-update', '--disable-sync'],
  });
  let bad = 0;
  try {
    for (const f of files) {
      const r = await check(browser, f, outDir);
      if (r.problems.length) {
        bad++;
        console.log(`FAIL ${r.file}`);
        for (const p of r.problems) console.log(`  ${p}`);
      } else {
        console.log(`ok   ${r.file}: ${r.scenarios} scenarios, ladder screenshot ${r.shot}`);
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`html: ${files.length - bad} passed, ${bad} failed`);
  process.exit(bad ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
