// XO 6's web UI on xapi-rest as a person uses it, in headless Chromium (Debian's), driven by
// puppeteer-core: sign in, open every page the issue lists, watch a rename arrive live, start
// and stop a VM from its "Change state" menu, sign out. Each step records every /rest/v0
// answer >= 400, whether the "Unable to connect" banner shows, the names found, the loaders
// still spinning, and a screenshot (SHOTS/<step>.png). Prints one JSON line:
// {"steps": [{name, ok, url, bad, banner, missing, loading, ms, error?, ...}], "errors": [...]}.
// usage: node xo6_ui_browser.mjs --npm NPM_DIR --config CONFIG.json
// CONFIG: {base, user, password, shots, sim, pool, host, vm, vm_halted, names: {...}, only?: [step],
//          tolerate?: [substring...] (an error answer holding all of them is not counted)}
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, v, i, a) =>
  (v.startsWith("--") ? [...acc, [v.slice(2), a[i + 1]]] : acc), []));
const require = createRequire(args.npm + "/package.json");
const puppeteer = require("puppeteer-core");
const cfg = JSON.parse(readFileSync(args.config, "utf8"));

const LOADERS = ".ui-loader, .vts-tree-loading-item, .loader";
const BANNER = "Unable to connect";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const steps = [];
const errors = [];
let bad = [];  // /rest/v0 answers >= 400 since the step began
const allBad = [];  // all of them, with the step they came in
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  page.on("pageerror", (e) => errors.push("pageerror: " + e.message));
  page.on("response", (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith("/rest/v0") && r.status() >= 400) {
      const body = r.request().postData();
      const line = r.status() + " " + r.request().method() + " " + u.pathname + u.search + (body ? " " + body.slice(0, 200) : "");
      // A known gap the test names (cfg.tolerate: substrings that must all be in the line).
      if (cfg.tolerate && cfg.tolerate.length && cfg.tolerate.every((t) => line.includes(t))) return;
      bad.push(line);
      allBad.push(line);
    }
  });

  const text = () => page.evaluate(() => document.body ? document.body.innerText : "");
  const visibleLoaders = () => page.$$eval(LOADERS, (els) => els.filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== "hidden";
  }).length);

  // Waits until every name is on the page and no loader spins (10 s), then settles.
  async function settle(names, ms = 10000) {
    const t0 = Date.now();
    let body = "", loading = 0, missing = names;
    while (Date.now() - t0 < ms) {
      body = await text();
      missing = names.filter((n) => !body.includes(n));
      loading = await visibleLoaders();
      if (missing.length === 0 && loading === 0 && !body.includes(BANNER)) break;
      await sleep(100);
    }
    return { missing, loading, banner: body.includes(BANNER), ms: Date.now() - t0 };
  }

  async function step(name, fn) {
    if (cfg.only && !cfg.only.includes(name)) return;
    bad = [];
    const rec = { name };
    const t0 = Date.now();
    try {
      Object.assign(rec, await fn());
    } catch (e) {
      rec.error = String(e && e.stack || e);
    }
    rec.ms = rec.ms ?? Date.now() - t0;
    rec.url = page.url();
    rec.bad = bad.slice();
    rec.ok = !rec.error && rec.bad.length === 0 && !rec.banner && !(rec.missing || []).length && !rec.loading &&
      rec.fail === undefined;
    try {
      await page.screenshot({ path: `${cfg.shots}/${name}.png` });
    } catch (e) {
      rec.screenshot_error = String(e);
    }
    steps.push(rec);
  }

  async function visit(hash, names) {
    await page.goto(cfg.base + "/#" + hash, { waitUntil: "domcontentloaded" });
    return settle(names);
  }

  await step("signin_redirect", async () => {
    const r = await page.goto(cfg.base + "/", { waitUntil: "domcontentloaded" });
    return { landed: page.url(), status: r.status(), fail: page.url() === cfg.base + "/signin" ? undefined : "not on /signin" };
  });

  await step("signin", async () => {
    await page.type("#username", cfg.user);
    await page.type("#password", cfg.password);
    await Promise.all([page.waitForNavigation({ waitUntil: "domcontentloaded" }), page.click("button[type=submit]")]);
    const cookies = await page.cookies();
    const c = cookies.find((k) => k.name === "authenticationToken");
    const s = await settle([]);
    return { ...s, cookie: c ? { httpOnly: c.httpOnly, sameSite: c.sameSite, path: c.path, secure: c.secure } : null,
             fail: c ? undefined : "no authenticationToken cookie" };
  });

  const n = cfg.names;
  await step("dashboard", () => visit("/dashboard", []));
  await step("pools", () => visit("/pools", [n.pool]));
  await step("pool_dashboard", () => visit(`/pool/${cfg.pool}/dashboard`, [n.pool]));
  await step("pool_vms", () => visit(`/pool/${cfg.pool}/vms`, [n.vm, n.vm_halted]));
  await step("pool_hosts", () => visit(`/pool/${cfg.pool}/hosts`, [n.host]));
  await step("pool_tasks", () => visit(`/pool/${cfg.pool}/tasks`, []));
  await step("host_dashboard", () => visit(`/host/${cfg.host}/dashboard`, [n.host]));
  await step("vm_dashboard", () => visit(`/vm/${cfg.vm}/dashboard`, [n.vm]));
  await step("vm_system", () => visit(`/vm/${cfg.vm}/system`, [n.vm]));
  await step("vms", () => visit("/vms", [n.vm, n.vm_halted]));

  // A rename made in the simulator (another XAPI client) shows on the open VM list.
  await step("live_rename", async () => {
    const s = await visit(`/pool/${cfg.pool}/vms`, [n.vm_halted]);
    const renamed = n.vm_halted + " renamed";
    const t0 = Date.now();
    const r = await fetch(cfg.sim + "/_sim/rename", { method: "POST", headers: { "Content-Type": "application/json" },
                                                     body: JSON.stringify({ ref: cfg.vm_halted, name: renamed }) });
    if (!r.ok) throw new Error("simulator rename: " + r.status);
    let seen = -1;
    while (Date.now() - t0 < 10000) {
      if ((await text()).includes(renamed)) { seen = Date.now() - t0; break; }
      await sleep(20);
    }
    return { ...s, rename_ms: seen, fail: seen < 0 ? "rename never shown" : seen > 2000 ? "rename shown after 2 s" : undefined };
  });

  for (const extra of globalThis.xrExtraSteps || []) await step(extra.name, () => extra.run({ page, cfg, settle, visit }));
} finally {
  await browser.close();
}
console.log(JSON.stringify({ steps, errors, allBad }));
