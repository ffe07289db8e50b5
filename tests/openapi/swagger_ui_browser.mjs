// Swagger UI as a person uses it, in headless Chromium (Debian's): open BASE/rest/v0/docs,
// wait for the operations, Authorize with a token (the apiKey "token"), expand GET /vms,
// "Try it out", "Execute", read the live response. Prints one JSON line:
// {"url", "operations", "requestUrl", "status", "body", "errors"}; writes a screenshot to --screenshot.
// usage: node swagger_ui_browser.mjs --npm NPM_DIR --base URL --token T --screenshot PNG
import { createRequire } from "node:module";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, v, i, a) =>
  (v.startsWith("--") ? [...acc, [v.slice(2), a[i + 1]]] : acc), []));
const require = createRequire(args.npm + "/package.json");
const puppeteer = require("puppeteer-core");

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  acceptInsecureCerts: true,   // the test's throw-away certificate on the packaged site
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const errors = [];
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => errors.push("pageerror: " + e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push("console: " + m.text()); });
  await page.setViewport({ width: 1280, height: 1600 });
  await page.goto(args.base + "/rest/v0/docs", { waitUntil: "networkidle0", timeout: 60000 });
  await page.waitForSelector(".opblock", { timeout: 60000 });
  const operations = await page.$$eval(".opblock", (els) => els.length);

  // Authorize: the token into the apiKey field of "token", then Authorize and Close.
  await page.click("button.btn.authorize");
  await page.waitForSelector(".modal-ux .auth-container");
  const containers = await page.$$(".modal-ux .auth-container");
  let filled = false;
  for (const c of containers) {
    const title = await c.$eval("h4", (h) => h.textContent);
    if (title.includes("token")) {
      await (await c.$("input")).type(args.token);
      await (await c.$("button.authorize")).click();
      filled = true;
      break;
    }
  }
  if (!filled) throw new Error("no token scheme in the Authorize dialog");
  await page.click(".modal-ux button.btn-done");

  // GET /vms: expand, Try it out, Execute.
  const op = "#operations-vms-GetVms";
  await page.waitForSelector(op);
  await page.click(op + " .opblock-summary-control");
  await page.waitForSelector(op + " button.try-out__btn");
  await page.click(op + " button.try-out__btn");
  await page.waitForSelector(op + " button.execute");
  await page.click(op + " button.execute");
  await page.waitForSelector(op + " .live-responses-table tr.response .response-col_status", { timeout: 30000 });
  const status = await page.$eval(op + " .live-responses-table tr.response .response-col_status", (e) => e.textContent.trim());
  const body = await page.$eval(op + " .live-responses-table .response-col_description pre",
                                (e) => e.textContent);
  const requestUrl = await page.$eval(op + " .request-url pre", (e) => e.textContent.trim());
  await page.$eval(op, (e) => e.scrollIntoView());
  if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: false });
  console.log(JSON.stringify({ url: page.url(), operations, requestUrl, status, body, errors }));
} finally {
  await browser.close();
}
