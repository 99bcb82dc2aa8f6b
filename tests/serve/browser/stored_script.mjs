// Issue 23's stored-script attack in a real browser (Debian's chromium, headless, puppeteer-core):
// a reviewer signs in, then opens what an uploader stored: the HTML and SVG "videos" by their URL,
// the review page of the claim with markup in its fields and of the HTML claim, and the report.
// Every request those pages make is watched: a POST to a review or a URL tagged xss- means the
// uploader's markup ran (or was parsed as markup) in the reviewer's session. At the end the same
// review request is sent from the review page itself (the control), which must succeed.
//   node stored_script.mjs   (env: DC_URL, DC_REVIEWER_KEY, DC_TARGET, DC_HTML, DC_SVG, DC_FIELDS,
//                             DC_CHROMIUM, DC_PROFILE)
import puppeteer from 'puppeteer-core';

const env = process.env;
const url = env.DC_URL, key = env.DC_REVIEWER_KEY, target = env.DC_TARGET;
const fail = msg => { console.error('stored_script: ' + msg); process.exit(1); };
if (!url || !key || !target || !env.DC_HTML || !env.DC_SVG || !env.DC_FIELDS)
  fail('DC_URL, DC_REVIEWER_KEY, DC_TARGET, DC_HTML, DC_SVG and DC_FIELDS are required');
const sleep = ms => new Promise(r => setTimeout(r, ms));

const browser = await puppeteer.launch({
  executablePath: env.DC_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  userDataDir: env.DC_PROFILE,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
});
let status = 0;
try {
  // a video served as an attachment would be downloaded: refuse downloads, keep nothing
  try {
    const s = await browser.target().createCDPSession();
    await s.send('Browser.setDownloadBehavior', {behavior: 'deny'});
  } catch (e) { /* older chromium: the download lands in the throwaway profile */ }
  const page = await browser.newPage();
  let where = 'signing in';
  const fired = [];
  page.on('request', req => {
    const u = req.url();
    if ((req.method() === 'POST' && u.includes('/review')) || u.includes('xss-'))
      fired.push(`${where}: ${req.method()} ${u.replace(url, '')}`);
  });
  page.on('response', res => {
    if (res.request().method() === 'POST' && res.url().includes('/review'))
      fired.push(`${where}: ... answered ${res.status()}`);
  });

  // sign in as the reviewer through the login form (the session cookie, as a person would)
  await page.goto(url + '/login', {waitUntil: 'load'});
  await page.type('#key', key);
  await Promise.all([page.waitForNavigation({waitUntil: 'load'}), page.click('#signin')]);
  if (!page.url().endsWith('/ui/')) fail('signing in did not lead to /ui/ but to ' + page.url());
  const probe = await page.evaluate(async t => (await fetch('/v1/claims/' + t)).status, target);
  if (probe !== 200) fail(`the signed-in session cannot read claim ${target}: ${probe}`);

  const visits = [
    ['the HTML "video" opened directly', `/v1/claims/${env.DC_HTML}/video`, null],
    ['the review page of the claim with markup in its fields', `/ui/#/claim/${env.DC_FIELDS}`, env.DC_FIELDS],
    ['the SVG "video" opened directly', `/v1/claims/${env.DC_SVG}/video`, null],
    ['the review page of the HTML claim', `/ui/#/claim/${env.DC_HTML}`, env.DC_HTML],
    ['the report of the claim with markup in its fields', `/v1/claims/${env.DC_FIELDS}/report`, null],
  ];
  const seen = [];
  for (const [what, path, claim] of visits) {
    where = what;
    let how;
    try {
      const res = await page.goto(url + path, {waitUntil: 'load', timeout: 15000});
      how = res ? `${res.status()} ${res.headers()['content-type'] || ''}` : 'no response';
      if (claim)
        await page.waitForFunction(c => document.body.dataset.ready === '#/claim/' + c,
                                   {timeout: 30000}, claim);
    } catch (e) {
      how = 'not shown (' + e.message.split('\n')[0] + ')'; // a download is aborted here
    }
    await sleep(1000); // a script's fetch has time to be sent and answered
    seen.push(`${what}: ${how}`);
    // the channel's file name is listed, as text
    if (claim === env.DC_FIELDS) {
      const listed = await page.evaluate(() => document.querySelector('#videos')?.textContent || '');
      if (!listed.includes('<img src=xss-file-name.png>.mp4'))
        fail(`the review page does not list the second channel's file name as text: '${listed}'`);
    }
    // a page left on the attacker's document would keep running it: leave it
    await page.goto('about:blank').catch(() => {});
  }
  console.log('stored_script: opened\n  ' + seen.join('\n  '));
  const ran = fired.length;
  if (ran) {
    console.error('stored_script: the uploader\'s markup ran in the reviewer\'s session:\n  ' +
                  fired.join('\n  '));
    status = 1;
  }

  // control: the same request from the review page itself is recorded
  where = 'the control';
  await page.goto(url + '/ui/', {waitUntil: 'load'});
  const control = await page.evaluate(async t => (await fetch(`/v1/claims/${t}/review`, {
    method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({decision: 'APPROVE', fault_ratio: 0, reasoning: 'control'})})).status, target);
  if (control !== 200) {
    console.error(`stored_script: the control review from the review page answered ${control}, not 200`);
    status = 1;
  }
  console.log(`stored_script: requests the markup made: ${ran}; the control review: ${control}`);
} catch (e) {
  console.error('stored_script: ' + (e.stack || e));
  status = 1;
} finally {
  await browser.close();
}
process.exit(status);
