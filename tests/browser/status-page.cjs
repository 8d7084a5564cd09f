// Browser test of the status page: starts build/geowire on the embedded
// broker with the sample feed and --http 127.0.0.1:0, waits until the
// daemon has processed the feed, opens / in headless Debian chromium
// (playwright-core drives it; it never downloads a browser), checks that
// the page shows the figures /status.json gives, and takes a screenshot.
//
//   node tests/browser/status-page.cjs GEOWIRE CONFIG FEED SCREENSHOT
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const [geowire, config, feed, shot] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const sleep = ms => new Promise(r => setTimeout(r, ms));

function fail(msg) {
  console.error("status page test: FAIL: " + msg);
  process.exitCode = 1;
  throw new Error(msg);
}

// Resolves with the daemon's HTTP address once it logs it.
function startDaemon() {
  const d = spawn(geowire, ["run", "-c", config, "--brokers", "embedded", "--http", "127.0.0.1:0",
                            "--feed", feed], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const addr = new Promise((resolve, reject) => {
    d.stderr.on("data", chunk => {
      log += chunk;
      const m = /HTTP endpoint listening on http:\/\/([0-9.:]+)\//.exec(log);
      if (m) resolve(m[1]);
    });
    d.on("exit", code => reject(new Error("geowire exited " + code + ":\n" + log)));
  });
  return { d, addr, log: () => log };
}

async function status(addr) {
  const r = await fetch(`http://${addr}/status.json`);
  if (!r.ok) fail("status.json answered " + r.status);
  return r.json();
}

async function main() {
  const want = fs.readFileSync(feed, "utf8").split("\n").filter(l => l.trim()).length;
  const daemon = startDaemon();
  let browser;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "gw-chromium-"));
  try {
    let timer;
    const addr = await Promise.race([daemon.addr, new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("no HTTP address logged")), 30000);
    })]).finally(() => clearTimeout(timer));
    let s;
    for (const end = Date.now() + 60000; ;) {
      s = await status(addr);
      if (s.totals.consumed + 0 >= want && s.totals.produced + s.totals.dead_lettered >= want && s.lag.length) break;
      if (Date.now() > end) fail(`the daemon processed ${s.totals.consumed} of ${want} items`);
      await sleep(250);
    }
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run"],
      viewport: { width: 1280, height: 900 },
    });
    const page = browser.pages()[0] || await browser.newPage();
    const errors = [];
    page.on("pageerror", e => errors.push(String(e)));
    page.on("requestfailed", r => errors.push("request failed: " + r.url()));
    page.on("request", r => { if (!r.url().startsWith(`http://${addr}/`)) errors.push("external request: " + r.url()); });
    await page.goto(`http://${addr}/`);
    await page.waitForSelector("body[data-loaded='1']", { timeout: 20000 });
    const text = async sel => (await page.textContent(sel)).trim();
    const fmt = n => Number(n).toLocaleString("en-US");

    // The totals on the page are the daemon's (processing is over, so they
    // no longer move).
    s = await status(addr);
    await page.waitForFunction(n => document.getElementById("consumed").textContent === n,
                               fmt(s.totals.consumed), { timeout: 10000 });
    for (const k of ["produced", "dead_lettered"])
      if (await text("#" + k) !== fmt(s.totals[k])) fail(`#${k} shows ${await text("#" + k)}, want ${s.totals[k]}`);
    if (!/^ready$/.test(await text("#ready"))) fail("readiness shows " + await text("#ready"));
    if (!(await text("#dictionaries")).includes(s.dictionaries)) fail("dictionary version missing");
    // The top country, pair and theme of the window are the first rows.
    for (const k of ["countries", "pairs", "themes"]) {
      const top = s.window[k][0];
      if (!top) fail(`the window has no ${k}`);
      const row = await page.$$eval(`#${k} tr:first-child td`, tds => tds.map(td => td.textContent));
      if (row[0] !== top[0] || row[1] !== fmt(top[1])) fail(`#${k} first row ${row}, want ${top}`);
    }
    // The latest alerts, newest first (the sample feed fires the shipped rule).
    if (!s.alerts.length) fail("the sample feed fired no alert");
    const alertRows = await page.$$eval("#alerts tr", trs => trs.map(tr => [...tr.children].map(td => td.textContent)));
    if (alertRows.length !== s.alerts.length) fail(`${alertRows.length} alert rows, want ${s.alerts.length}`);
    if (alertRows[0][1] !== s.alerts[0].rule || alertRows[0][2] !== s.alerts[0].id || alertRows[0][3] !== s.alerts[0].title)
      fail(`first alert row ${alertRows[0]}, want ${JSON.stringify(s.alerts[0])}`);
    if (await text("#alerts_total") !== fmt(s.totals.alerts)) fail("alert total differs");
    const lagRows = await page.$$eval("#lag tr", trs => trs.length);
    if (lagRows !== s.lag.length) fail(`${lagRows} lag rows, want ${s.lag.length}`);
    // The page refreshes itself: its clock moves without a reload.
    const before = await text("#updated");
    await page.waitForFunction(b => document.getElementById("updated").textContent !== b, before,
                               { timeout: 10000 });
    if (errors.length) fail("page errors: " + errors.join("; "));
    await page.screenshot({ path: shot, fullPage: true });
    if (!(fs.statSync(shot).size > 10000)) fail("screenshot too small");
    console.log(`status page test: ok (${s.totals.consumed} items, ${s.totals.alerts} alerts, ` +
                `top country ${s.window.countries[0][0]}, ` +
                `screenshot ${shot})`);
  } finally {
    if (browser) await browser.close();
    daemon.d.kill("SIGTERM");
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch(e => {
  if (!process.exitCode) console.error("status page test: FAIL: " + e.message);
  process.exitCode = 1;
});
