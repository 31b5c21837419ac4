// Drives Weir's own browser pages in headless Chromium and prints what happened as one JSON
// object:
//
//   node players.mjs '{"base": "http://127.0.0.1:PORT", "stream": "live/x", "techs": [...],
//                      "whip": "live/cam", "seconds": N}'
//
// `stream`: on the streams page (`/`), wait until the list shows it, then play it by each of
// `techs` (hls, flv, ws, whep) in turn and count decoded video frames twice, 3 s apart.
// `whip`: open /players/whip.html for that stream and publish the (fake) camera for `seconds`.
import { launch } from './launch.mjs';

const { base, stream, techs = [], whip, seconds = 10 } = JSON.parse(process.argv[2]);
const browser = await launch();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const result = {};
try {
  if (whip) {
    const page = await browser.newPage();
    page.on('console', (m) => process.stderr.write(`[whip] ${m.text()}\n`));
    const [app, name] = whip.split('/');
    await page.goto(`${base}/players/whip.html?app=${app}&stream=${name}&autostart=true`);
    await sleep(seconds * 1000);
    result.whip = await page.evaluate(() => document.getElementById('status').textContent);
  }
  if (stream) {
    const page = await browser.newPage();
    page.on('console', (m) => process.stderr.write(`[page] ${m.text()}\n`));
    await page.goto(`${base}/`);
    const listed = await page
      .waitForFunction((s) => window.weir.streams.some((x) => `${x.app}/${x.name}` === s), stream, {
        timeout: 15000,
      })
      .then(() => true, () => false);
    result.listed = listed;
    result.status = await page.evaluate(() => document.getElementById('status').textContent);
    result.rows = await page.evaluate(() => document.querySelectorAll('#streams tbody tr').length);
    result.played = {};
    for (const tech of listed ? techs : []) {
      await page.click(`button[data-stream="${stream}"][data-tech="${tech}"]`);
      const started = Date.now();
      const first = await page
        .waitForFunction(() => window.weir.frames() > 0, null, { timeout: 25000, polling: 200 })
        .then(() => page.evaluate(() => window.weir.frames()), () => 0);
      const waited = (Date.now() - started) / 1000;
      await sleep(3000);
      const later = await page.evaluate(() => window.weir.frames());
      const status = await page.evaluate(() => document.getElementById('status').textContent);
      result.played[tech] = { first, later, waited, status };
      await page.evaluate(() => window.weir.stop());
    }
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + '\n');
