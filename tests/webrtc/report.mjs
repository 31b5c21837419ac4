// Opens `weir check`'s HTML reports in headless Chromium and prints what their DOM holds as
// one JSON array, one object per page:
//
//   node report.mjs '{"pages": ["/abs/index.html", ...], "shots": ["/abs/a.png", ...]}'
//
// For each page: the rules the summary lists as failed, the in-page links that point at no
// element, the violation links and whether each lands on a ladder arrow, the rule verdicts by
// class and whether each is open, the flow sections, the gaps drawn on the timelines; then a
// screenshot of the top and one after following the first violation link.
import { launch } from './launch.mjs';

const { pages, shots } = JSON.parse(process.argv[2]);
const browser = await launch();
const results = [];
try {
  for (const [n, file] of pages.entries()) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => process.stderr.write(`[page] ${e}\n`));
    // Bounded: a page that does not load in a minute fails the test.
    await page.goto(`file://${file}`, { waitUntil: 'load', timeout: 60000 });
    const dom = await page.evaluate(() => {
      const byId = (href) => document.getElementById(decodeURIComponent(href.slice(1)));
      const links = [...document.querySelectorAll('a[href^="#"]')];
      const violations = [...document.querySelectorAll('a.violation')];
      const rules = {};
      for (const d of document.querySelectorAll('details.rule')) {
        const cls = ['fail', 'warn', 'inconclusive', 'pass'].find((c) => d.classList.contains(c));
        rules[cls] ??= { open: 0, closed: 0 };
        rules[cls][d.open ? 'open' : 'closed'] += 1;
      }
      return {
        failed: [...document.querySelectorAll('#failures a.rule')].map((a) => a.textContent),
        links: links.length,
        broken: links.filter((a) => !byId(a.getAttribute('href'))).map((a) => a.getAttribute('href')).slice(0, 10),
        violations: violations.length,
        onArrows: violations.filter((a) => byId(a.getAttribute('href'))?.closest('svg.ladder')).length,
        rules,
        flows: document.querySelectorAll('section.flow').length,
        ladders: document.querySelectorAll('svg.ladder').length,
        gaps: document.querySelectorAll('rect.gap').length,
        scripts: document.querySelectorAll('script').length,
        title: document.title,
      };
    });
    await page.screenshot({ path: shots[n] });
    const first = page.locator('a.violation').first();
    if ((await first.count()) > 0) {
      await first.click();
      dom.target = await page.evaluate(() => location.hash);
      await page.screenshot({ path: shots[n].replace(/\.png$/, '-violation.png') });
    }
    results.push(dom);
    await page.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results) + '\n');
