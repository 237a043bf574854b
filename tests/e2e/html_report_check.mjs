// Opens an HTML report in Debian's headless chromium and tells what a person would see, for
// the external suite (tests/e2e/html_external.rs). Node's built-ins only: chromium speaks the
// DevTools protocol over two pipes (--remote-debugging-pipe: it reads commands on fd 3 and
// writes answers on fd 4, each a JSON text ended by a NUL byte).
//
// usage: node html_report_check.mjs REPORT.html SCREENSHOT.png PROFILE_DIR
// prints one JSON object: { requests, problems, page, filtered, tagged, screenshot }
//   requests  every URL the page asked for besides the report itself (must be empty)
//   problems  console messages, exceptions and log entries of level error or warning
//             (a CSP violation is one) (must be empty)
//   page      what the DOM shows: summary counts, failure texts, whether injected markup ran
//   filtered  rows left visible after clicking the "failed" filter
//   tagged    the first tag filter: its tag, the rows left visible, whether all carry it
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [report, screenshot, profile] = process.argv.slice(2);
if (!report || !screenshot || !profile) {
  console.error("usage: node html_report_check.mjs REPORT.html SCREENSHOT.png PROFILE_DIR");
  process.exit(2);
}
const reportUrl = pathToFileURL(report).href;

const browser = spawn(
  process.env.CHROMIUM || "chromium",
  [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    `--user-data-dir=${profile}`,
    "--remote-debugging-pipe",
    "about:blank",
  ],
  { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] },
);
let stderr = "";
browser.stderr.on("data", (d) => (stderr += d));
browser.on("error", (e) => fail(`cannot start chromium: ${e.message}`));

const timer = setTimeout(() => fail("timed out after 60 s"), 60_000);

function fail(message) {
  console.error(`${message}\n--- chromium's standard error ---\n${stderr}`);
  try {
    browser.kill("SIGKILL");
  } catch {}
  process.exit(1);
}

const toBrowser = browser.stdio[3];
const fromBrowser = browser.stdio[4];
let nextId = 1;
const pending = new Map();
const listeners = [];
let buffer = Buffer.alloc(0);

fromBrowser.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  let end;
  while ((end = buffer.indexOf(0)) >= 0) {
    const message = JSON.parse(buffer.subarray(0, end).toString("utf8"));
    buffer = buffer.subarray(end + 1);
    if (message.id !== undefined && pending.has(message.id)) {
      const { resolve, reject, method } = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) reject(new Error(`${method}: ${JSON.stringify(message.error)}`));
      else resolve(message.result);
    } else if (message.method) {
      for (const l of listeners) l(message);
    }
  }
});

function send(method, params = {}, sessionId) {
  const id = nextId++;
  const message = { id, method, params };
  if (sessionId) message.sessionId = sessionId;
  toBrowser.write(JSON.stringify(message) + "\0");
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
}

function waitFor(method) {
  return new Promise((resolve) => {
    const l = (m) => {
      if (m.method === method) {
        listeners.splice(listeners.indexOf(l), 1);
        resolve(m.params);
      }
    };
    listeners.push(l);
  });
}

const requests = [];
const problems = [];
listeners.push((m) => {
  const p = m.params || {};
  switch (m.method) {
    case "Network.requestWillBeSent":
      if (p.request.url !== reportUrl) requests.push(p.request.url);
      break;
    case "Runtime.consoleAPICalled":
      if (["error", "warning", "assert"].includes(p.type)) {
        problems.push(`console.${p.type}: ${p.args.map((a) => a.value ?? a.description).join(" ")}`);
      }
      break;
    case "Runtime.exceptionThrown":
      problems.push(`exception: ${p.exceptionDetails.text} ${p.exceptionDetails.exception?.description ?? ""}`);
      break;
    case "Log.entryAdded":
      if (["error", "warning"].includes(p.entry.level)) {
        problems.push(`log ${p.entry.level} (${p.entry.source}): ${p.entry.text}`);
      }
      break;
  }
});

async function main() {
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
  const s = (method, params) => send(method, params, sessionId);
  await s("Page.enable");
  await s("Network.enable");
  await s("Runtime.enable");
  await s("Log.enable");
  await s("Emulation.setDeviceMetricsOverride", {
    width: 1280,
    height: 900,
    deviceScaleFactor: 1,
    mobile: false,
  });
  const loaded = waitFor("Page.loadEventFired");
  await s("Page.navigate", { url: reportUrl });
  await loaded;
  // Let anything the page would start late (timers, lazy images) show itself.
  await new Promise((r) => setTimeout(r, 500));

  const evaluate = async (expression) => {
    const { result, exceptionDetails } = await s("Runtime.evaluate", {
      expression,
      returnByValue: true,
    });
    if (exceptionDetails) throw new Error(`evaluate: ${JSON.stringify(exceptionDetails)}`);
    return result.value;
  };
  const page = await evaluate(`(() => {
    const text = (sel) => Array.from(document.querySelectorAll(sel), (e) => e.textContent.trim());
    const count = (k) => document.querySelector('[data-count="' + k + '"]')?.textContent.trim() ?? null;
    return {
      title: document.title,
      csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content ?? null,
      counts: { passed: count("passed"), failed: count("failed"), skipped: count("skipped") },
      failures: text(".failure"),
      requests: document.querySelectorAll(".request").length,
      timelineBars: document.querySelectorAll(".timeline rect.bar").length,
      injected: window.__xss === true || document.querySelectorAll("img").length > 0,
      scriptRan: document.documentElement.dataset.js === "on",
    };
  })()`);
  // SHOT_Y=N captures the screen N pixels down the page (to look at the rest of it),
  // otherwise the first screen.
  let shot = { format: "png" };
  if (process.env.SHOT_Y) {
    shot = {
      format: "png",
      captureBeyondViewport: true,
      clip: { x: 0, y: Number(process.env.SHOT_Y), width: 1280, height: 900, scale: 1 },
    };
  }
  await s("Page.captureScreenshot", shot).then(({ data }) =>
    writeFileSync(screenshot, Buffer.from(data, "base64")),
  );
  const filtered = await evaluate(`(() => {
    const b = document.querySelector('[data-filter-outcome="failed"]');
    if (!b) return null;
    b.click();
    return Array.from(document.querySelectorAll(".request"))
      .filter((e) => e.offsetParent !== null)
      .map((e) => e.dataset.outcome);
  })()`);
  // Back to every outcome, then one tag: only the requests carrying it stay.
  const tagged = await evaluate(`(() => {
    document.querySelector('[data-filter-outcome="all"]').click();
    const b = document.querySelector('[data-filter-tag]');
    if (!b) return null;
    b.click();
    const tag = b.dataset.filterTag;
    const visible = Array.from(document.querySelectorAll(".request")).filter((e) => e.offsetParent !== null);
    return { tag, visible: visible.length, allCarryIt: visible.every((e) => e.dataset.tags.split(" ").includes(tag)) };
  })()`);
  // A last look for problems the clicks may have caused.
  await new Promise((r) => setTimeout(r, 200));
  console.log(JSON.stringify({ requests, problems, page, filtered, tagged, screenshot }));
  clearTimeout(timer);
  await send("Browser.close").catch(() => {});
  browser.kill("SIGKILL");
  process.exit(0);
}

main().catch((e) => fail(e.stack || String(e)));
