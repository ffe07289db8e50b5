// The figure of issue 20: time from opening / (signed in) to the VM list and the tree fully
// shown — the VMs page (`/#/vms`) with "of <N> objects" (every VM counted), the pool and a
// host in the tree, no loader left. Signs in once, then `rounds` fresh tabs (the first one
// also fetches the UI's assets; later ones have them cached). Prints one JSON line
// {"rounds_ms": [...], "first_ms", "median_warm_ms", "api_done_ms": [...], "vm_list_url"}
// (api_done_ms: when the last /rest/v0 answer of the round had arrived).
// usage: node xo6_ui_figure.mjs --npm NPM_DIR --config CONFIG.json
//   CONFIG: {base, user, password, vms, pool_name, host_name, rounds}
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, v, i, a) =>
  (v.startsWith("--") ? [...acc, [v.slice(2), a[i + 1]]] : acc), []));
const require = createRequire(args.npm + "/package.json");
const puppeteer = require("puppeteer-core");
const cfg = JSON.parse(readFileSync(args.config, "utf8"));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const first = await browser.newPage();
  await first.goto(cfg.base + "/signin", { waitUntil: "domcontentloaded" });
  await first.type("#username", cfg.user);
  await first.type("#password", cfg.password);
  await Promise.all([first.waitForNavigation({ waitUntil: "domcontentloaded" }), first.click("button[type=submit]")]);
  await first.goto("about:blank");
  const rounds = [];
  let vmListUrl = null;
  const apiDone = [];  // per round: ms until the last API answer arrived (the rest is the browser's)  // the VM list request the UI makes (the bench times it alone)
  const count = `of ${cfg.vms} objects`;
  for (let i = 0; i < (cfg.rounds || 3); i++) {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    let t0 = Date.now();
    let lastApiMs = 0;  // when the last /rest/v0 answer (not the SSE stream) had fully arrived
    page.on("request", (r) => {
      const u = new URL(r.url());
      if (u.pathname === "/rest/v0/vms" && !vmListUrl) vmListUrl = u.pathname + u.search;
    });
    page.on("requestfinished", (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith("/rest/v0") && u.pathname !== "/rest/v0/events") lastApiMs = Date.now() - t0;
    });
    t0 = Date.now();
    await page.goto(cfg.base + "/#/vms", { waitUntil: "domcontentloaded" });
    let done = false;
    while (Date.now() - t0 < 300000) {
      done = await page.evaluate((c, pool, host) => {
        const t = document.body ? document.body.innerText : "";
        const loaders = [...document.querySelectorAll(".ui-loader, .vts-tree-loading-item, .loader")]
          .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length;
        return t.includes(c) && t.includes(pool) && t.includes(host) && loaders === 0;
      }, count, cfg.pool_name, cfg.host_name);
      if (done) break;
      await sleep(25);
    }
    rounds.push(done ? Date.now() - t0 : -1);
    apiDone.push(lastApiMs);
    if (cfg.screenshot && i === 0) await page.screenshot({ path: cfg.screenshot });
    await page.close();
  }
  const warm = rounds.slice(1).sort((a, b) => a - b);
  console.log(JSON.stringify({ rounds_ms: rounds, first_ms: rounds[0],
                               median_warm_ms: warm.length ? warm[Math.floor(warm.length / 2)] : null, api_done_ms: apiDone,
                               vm_list_url: vmListUrl }));
} finally {
  await browser.close();
}
