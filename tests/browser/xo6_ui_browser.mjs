// XO 6's web UI on xapi-rest as a person uses it, in headless Chromium (Debian's), driven by
// puppeteer-core: sign in, open every page the issue lists, watch a rename arrive live, start
// and stop a VM from its "Change state" menu, sign out. Each step records every /rest/v0
// answer >= 400, whether the "Unable to connect" banner shows, the names found, the loaders
// still spinning, and a screenshot (SHOTS/<step>.png). Prints one JSON line:
// {"steps": [{name, ok, url, bad, banner, missing, loading, ms, error?, ...}], "errors": [...]}.
// usage: node xo6_ui_browser.mjs --npm NPM_DIR --config CONFIG.json
// CONFIG: {base, user, password, shots, sim, pool, host, vm, vm_halted, names: {...}, only?: [step],
//          tolerate?: [[substring...]...] (an error answer holding all of one list is not counted)}
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
      if ((cfg.tolerate || []).some((all) => all.every((t) => line.includes(t)))) return;
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

  // Clicks the visible element (of `selector`) whose own text is exactly `label`.
  async function clickText(label, selector = "*", timeout = 10000) {
    const t0 = Date.now();
    while (Date.now() - t0 < timeout) {
      const el = await page.evaluateHandle((l, sel) => {
        const visible = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
        const all = [...document.querySelectorAll(sel)].filter((e) => visible(e) && e.textContent.trim() === l);
        // the innermost match, then its clickable ancestor
        const inner = all.filter((e) => !all.some((o) => o !== e && e.contains(o)));
        const t = inner[inner.length - 1];
        return t ? (t.closest("button, a, [role=menuitem], li") || t) : null;
      }, label, selector);
      if (el.asElement()) { await el.asElement().click(); return; }
      await sleep(100);
    }
    throw new Error("nothing to click labelled " + JSON.stringify(label));
  }
  const hasText = (selector, label) => page.evaluate((sel, l) => [...document.querySelectorAll(sel)].some((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && e.textContent.trim() === l;
  }), selector, label);

  // The VM's power state as XAPI (the simulator) reports it, over its JSON-RPC.
  let simSession = null;
  async function simCall(method, params) {
    const r = await fetch(cfg.sim + "/jsonrpc", { method: "POST", headers: { "Content-Type": "application/json" },
                                                 body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    const j = await r.json();
    if (j.error) throw new Error(method + ": " + JSON.stringify(j.error));
    return j.result;
  }
  async function simPowerState(uuid) {
    simSession = simSession || await simCall("session.login_with_password", [cfg.sim_user, cfg.sim_password]);
    const ref = await simCall("VM.get_by_uuid", [simSession, uuid]);
    return simCall("VM.get_power_state", [simSession, ref]);
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
    // The UI's router has started once it rewrites the address to its hash route (#/...).
    await page.waitForFunction(() => location.hash.startsWith("#/"), { timeout: 10000 }).catch(() => {});
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

  // A VM started then stopped from its page's "Change state" menu: the simulator's power
  // state and the page follow, and the task shows in the task list (when SSE tasks are served).
  await step("change_state", async () => {
    const s = await visit(`/vm/${cfg.vm_halted}/dashboard`, []);
    const out = { ...s, states: [] };
    for (const [item, want] of [["Start", "Running"], ["Force shutdown", "Halted"]]) {
      await clickText("Change state");
      await clickText(item);
      await sleep(300);
      // A confirmation modal ("Confirm VM force shutdown": "Go back" / "Force shutdown VM").
      if (await hasText("button", item + " VM")) await clickText(item + " VM", "button");
      const t0 = Date.now();
      let simState = "", pageState = false;
      while (Date.now() - t0 < 20000 && !(simState === want && pageState)) {
        simState = await simPowerState(cfg.vm_halted);
        pageState = new RegExp("State\\s+" + want).test(await text());  // the quick info card
        if (!(simState === want && pageState)) await sleep(100);
      }
      out.states.push({ item, want, sim: simState, page: pageState, ms: Date.now() - t0 });
      if (simState !== want || !pageState) { out.fail = `${item}: simulator ${simState}, page shows ${want}: ${pageState}`; return out; }
    }
    // The task list of the site (`#/tasks`) and of the VM (its TASKS tab) show the action.
    out.task_listed = {};
    for (const hash of ["/tasks", `/vm/${cfg.vm_halted}/tasks`]) {
      await page.goto(cfg.base + "/#" + hash, { waitUntil: "domcontentloaded" });
      const t0 = Date.now();
      let seen = false;
      while (Date.now() - t0 < 10000 && !seen) {
        seen = (await text()).includes("start VM");
        if (!seen) await sleep(200);
      }
      out.task_listed[hash] = seen;
      await page.screenshot({ path: `${cfg.shots}/change_state_tasks_${hash.split("/").length > 2 ? "vm" : "site"}.png` });
    }
    return out;
  });

  // The console tab of a running VM: noVNC connects through /api/consoles/<vm id> (the
  // stream role's WebSocket bridge) to the simulator's RFB server and draws its picture
  // (four bands: red first). Connected = the UI dropped its busy state (noVNC's "connect"
  // event), no "Connection lost" retry, the canvas shows red at (0,0), and the simulator
  // saw one more console opened.
  await step("console", async () => {
    const simInfo = async () => (await (await fetch(cfg.sim + "/_sim/info")).json()).result.requests;
    const lost = [];
    const onConsole = (m) => { if (m.type() === "error" && /remote console/.test(m.text())) lost.push(m.text()); };
    page.on("console", onConsole);
    const before = (await simInfo()).console_open || 0;
    try {
      await page.goto(cfg.base + "/#/vm/" + cfg.vm + "/console", { waitUntil: "domcontentloaded" });
      const t0 = Date.now();
      let state = null;
      while (Date.now() - t0 < 10000) {
        state = await page.evaluate(() => {
          const root = document.querySelector(".vts-remote-console");
          const canvas = root && root.querySelector("canvas");
          if (!canvas || !canvas.width) return { root: !!root, canvas: !!canvas };
          const px = Array.from(canvas.getContext("2d").getImageData(0, 0, 1, 1).data);
          // the busy state is a sibling of the console container while not connected
          const busy = Array.from(root.children).some((e) => !e.classList.contains("console"));
          return { root: true, canvas: true, width: canvas.width, height: canvas.height, px, busy };
        });
        if (state.px && !state.busy && state.px[0] === 255 && state.px[1] === 0 && state.px[2] === 0) break;
        await sleep(100);
      }
      const opened = ((await simInfo()).console_open || 0) - before;
      const connected = !!(state && state.px && !state.busy);
      const drawn = connected && state.px[0] === 255 && state.px[1] === 0 && state.px[2] === 0;
      return { ...state, opened, lost, ms: Date.now() - t0,
               fail: !connected ? "noVNC not connected" : !drawn ? "the simulator's picture is not drawn"
                   : opened < 1 ? "no console opened at the simulator" : lost.length ? "connection lost" : undefined };
    } finally {
      page.off("console", onConsole);
    }
  });

  // Sign-out: back on /signin, and the session's token refused (401) from then on.
  await step("signout", async () => {
    const token = (await page.cookies()).find((k) => k.name === "authenticationToken")?.value;
    if (!token) throw new Error("no session cookie before signing out");
    await page.goto(cfg.base + "/signout", { waitUntil: "domcontentloaded" });
    const landed = page.url();
    const t0 = Date.now();
    let status = 0;
    while (Date.now() - t0 < 6000) {  // at once in the worker that signed out, within 5 s in the others
      status = (await fetch(cfg.base + "/rest/v0/vms?limit=1", { headers: { Cookie: "authenticationToken=" + token } })).status;
      if (status === 401) break;
      await sleep(100);
    }
    const cookieLeft = (await page.cookies()).some((k) => k.name === "authenticationToken");
    const root = await page.goto(cfg.base + "/", { waitUntil: "domcontentloaded" });
    return { landed, token_status: status, token_refused_ms: Date.now() - t0, cookie_left: cookieLeft,
             root_after: page.url(),
             fail: landed !== cfg.base + "/signin" ? "not on /signin" : status !== 401 ? "token still " + status :
               cookieLeft ? "cookie kept" : page.url() !== cfg.base + "/signin" ? "/ did not go to /signin" : undefined };
  });
} finally {
  await browser.close();
}
console.log(JSON.stringify({ steps, errors, allBad }));
