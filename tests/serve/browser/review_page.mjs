// The review page in a real browser (Debian's chromium, headless, driven by puppeteer-core):
// sign in with a reviewer key, find the claim in the queue, open it (report, video, evidence),
// record a decision with a fault-ratio override of 0, and see it in the audit trail; then check a
// screenshot of the page (a real PNG of the viewport's size, not blank) and that no key is in the
// page's source or readable by its scripts; then a second claim of the same file, which names the
// first as seen before and compares the two side by side.
//   node review_page.mjs   (env: DC_URL, DC_REVIEWER_KEY, DC_CLAIM, DC_SHOT, DC_CHROMIUM, DC_PROFILE)
import fs from 'node:fs';
import zlib from 'node:zlib';
import puppeteer from 'puppeteer-core';

const url = process.env.DC_URL;
const key = process.env.DC_REVIEWER_KEY;
const claim = process.env.DC_CLAIM;
const claim2 = process.env.DC_CLAIM2; // a second claim of the same file (optional)
const shot = process.env.DC_SHOT;
const fail = msg => { console.error('review_page: ' + msg); process.exit(1); };
if (!url || !key || !claim || !shot) fail('DC_URL, DC_REVIEWER_KEY, DC_CLAIM and DC_SHOT are required');

// The pixels of a PNG (8-bit RGB/RGBA, no interlace), enough to tell a page from a blank one.
function pngStats(buf) {
  if (buf.readUInt32BE(0) !== 0x89504e47) fail('screenshot is not a PNG');
  let off = 8, width = 0, height = 0, colorType = 0;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off), type = buf.toString('ascii', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') { width = data.readUInt32BE(0); height = data.readUInt32BE(4); colorType = data[9]; }
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const bpp = colorType === 6 ? 4 : 3, stride = width * bpp + 1;
  const colours = new Set();
  let dark = 0;
  // undo the PNG filters row by row (Sub, Up, Average, Paeth)
  const prev = Buffer.alloc(width * bpp), cur = Buffer.alloc(width * bpp);
  for (let y = 0; y < height; y++) {
    const f = raw[y * stride];
    for (let i = 0; i < width * bpp; i++) {
      const x = raw[y * stride + 1 + i], a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      let v;
      if (f === 0) v = x;
      else if (f === 1) v = x + a;
      else if (f === 2) v = x + b;
      else if (f === 3) v = x + ((a + b) >> 1);
      else { const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
             v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c); }
      cur[i] = v & 255;
    }
    for (let i = 0; i < width * bpp; i += bpp * 7) {
      colours.add((cur[i] << 16) | (cur[i + 1] << 8) | cur[i + 2]);
      if (cur[i] + cur[i + 1] + cur[i + 2] < 200) dark++;
    }
    cur.copy(prev);
  }
  return {width, height, colours: colours.size, dark};
}

const browser = await puppeteer.launch({
  executablePath: process.env.DC_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  userDataDir: process.env.DC_PROFILE,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
});
let status = 0;
try {
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 900});
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });

  // 1. the review page without a key is the login form (401), holding no key
  let res = await page.goto(url + '/ui/', {waitUntil: 'load'});
  if (res.status() !== 401) fail(`/ui/ without a key answered ${res.status()}, not 401`);
  errors.length = 0; // the 401 just asked for was the point
  await page.type('#key', key);
  await Promise.all([page.waitForNavigation({waitUntil: 'load'}), page.click('#signin')]);
  if (!page.url().endsWith('/ui/')) fail('signing in did not lead to /ui/ but to ' + page.url());
  const cookieVisible = await page.evaluate(() => document.cookie);
  if (cookieVisible.includes('dck_')) fail('the key is readable by the page\'s scripts');

  // 2. the queue, sorted by priority, has the claim; open it
  await page.waitForFunction(() => document.body.dataset.ready, {timeout: 30000});
  await page.waitForSelector(`tr[data-id="${claim}"]`, {timeout: 30000});
  const priorities = await page.$$eval('#queue tbody tr td:first-child', tds => tds.map(td => td.textContent));
  const rank = p => ({URGENT: 0, STANDARD: 1, LOW: 2})[p] ?? 3;
  for (let i = 1; i < priorities.length; i++)
    if (rank(priorities[i]) < rank(priorities[i - 1])) fail('the queue is not sorted by priority: ' + priorities);
  await page.click(`tr[data-id="${claim}"]`);
  await page.waitForFunction(c => document.body.dataset.ready === '#/claim/' + c, {timeout: 30000}, claim);
  await page.waitForSelector('#review');
  const reportOk = await page.$eval('#report', f => f.getAttribute('src'));
  if (!reportOk.endsWith('/report')) fail('no report frame');
  // the video loads (same cookie) and seeks to an evidence time
  await page.waitForFunction(() => document.getElementById('video').readyState >= 1, {timeout: 30000});
  // the claim is a front and a rear channel: both players, side by side, listed by camera
  const roles = await page.evaluate(() => [...document.querySelectorAll('.channels video')].map(v => v.dataset.role));
  if (roles.join(',') !== 'front,rear') fail(`the channels shown are '${roles.join(',')}', not front,rear`);
  const seek = await page.$('button.seek');
  if (seek) {
    const t = Number(await page.evaluate(b => b.dataset.t || '0', seek));
    // where each channel was when the seek landed (the front plays on afterwards, so read it then)
    await page.evaluate(() => {
      window.seekedAt = {};
      for (const v of document.querySelectorAll('.channels video'))
        v.addEventListener('seeked', () => { window.seekedAt[v.dataset.role] = v.currentTime; }, {once: true});
    });
    await seek.click();
    await page.waitForFunction(t => ['front', 'rear'].every(r => window.seekedAt[r] !== undefined &&
                                                               Math.abs(window.seekedAt[r] - t) < 0.6),
                               {timeout: 60000}, t);
  }

  const shown = await page.evaluate(() => document.body.innerText);
  if (shown.includes('[object ') || shown.includes('undefined')) fail('the claim page shows a value it could not render');
  if (!shown.includes('Recommended')) fail('the assessment facts are missing');

  // 3. record a decision; the reviewer is the key's owner
  await page.select('#decision', 'REJECT');
  await page.type('#fault_ratio', '0');
  await page.type('#reasoning', 'browser test: the other car reversed into ours');
  await page.click('#submit-review');
  await page.waitForSelector('#review-message .message', {timeout: 30000});
  const msg = await page.$eval('#review-message .message', e => e.textContent);
  if (!/^Recorded: REJECT by /.test(msg)) fail('the decision was not recorded: ' + msg);
  await page.waitForSelector('#audit tr[data-action="override.fault_ratio"]', {timeout: 30000});
  const actions = await page.$$eval('#audit tbody tr', trs => trs.map(tr => tr.dataset.action));
  for (const a of ['claim.created', 'assessment', 'review', 'override.fault_ratio'])
    if (!actions.includes(a)) fail(`audit trail lacks ${a}: ${actions}`);

  // 4. the screenshot is the page, not a blank
  await page.screenshot({path: shot, fullPage: false});
  const st = pngStats(fs.readFileSync(shot));
  if (st.width !== 1280 || st.height !== 900) fail(`screenshot is ${st.width}x${st.height}`);
  if (st.colours < 20 || st.dark < 100) fail(`screenshot looks blank (${st.colours} colours, ${st.dark} dark samples)`);

  // 5. no key in the page's source
  for (const p of ['/ui/', '/ui/app.js', '/login']) {
    const text = await page.evaluate(async p => (await fetch(p)).text(), p);
    if (text.includes(key) || /dck_[0-9a-f]{12}_[0-9a-f]{40}/.test(text)) fail('a key is in ' + p);
  }
  // 6. the second claim (the same file) names the first as seen before; its comparison shows
  //    both claims' videos side by side, each at the matching second
  if (claim2) {
    await page.goto(`${url}/ui/#/claim/${claim2}`, {waitUntil: 'load'});
    await page.waitForFunction(c => document.body.dataset.ready === '#/claim/' + c, {timeout: 30000}, claim2);
    const row = await page.$(`#footage li.footage-match[data-claim="${claim}"]`);
    if (!row) fail('the second claim does not show the first as the same file: ' +
                   await page.$eval('#footage', e => e.textContent).catch(() => 'no footage card'));
    const rowText = await page.evaluate(e => e.textContent, row);
    if (!rowText.includes('same file')) fail('the footage row says: ' + rowText);
    await Promise.all([
      page.waitForFunction(() => (document.body.dataset.ready || '').startsWith('#/compare/'), {timeout: 30000}),
      row.$eval('a.compare', a => a.click())]);
    const srcs = await page.evaluate(() => ['compare-this', 'compare-other'].map(i => document.getElementById(i)?.getAttribute('src')));
    if (srcs[0] !== `/v1/claims/${claim2}/video` || !srcs[1]?.startsWith(`/v1/claims/${claim}/video`))
      fail('the comparison shows ' + srcs);
    await page.waitForFunction(() => ['compare-this', 'compare-other'].every(i => document.getElementById(i).readyState >= 1),
                               {timeout: 30000});
    await page.click('#play-both');
    await page.waitForFunction(() => ['compare-this', 'compare-other'].every(i => document.getElementById(i).currentTime > 0.2),
                               {timeout: 30000});
  }
  if (errors.length) fail('page errors: ' + errors.join(' | '));
  console.log(`review page: signed in, queue sorted (${priorities.length} rows), claim opened, decision recorded, audit shows ${actions.length} rows, screenshot ${st.width}x${st.height} with ${st.colours} colours${claim2 ? ', the same file compared side by side' : ''}`);
} catch (e) {
  console.error('review_page: ' + (e.stack || e));
  status = 1;
} finally {
  await browser.close();
}
process.exit(status);
