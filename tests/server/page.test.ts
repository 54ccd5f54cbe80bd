/**
 * The status page in headless Chromium (playwright-core, no browser download): load the summary, filter the run
 * table, open a run, open one of its files. Screenshots go to test-output/screenshots/.
 */
import assert from "node:assert/strict";
import { chromium, type Page } from "playwright-core";
import { hasExecutable, requirePeer } from "../_helpers/peers.ts";
import { REPO_ROOT } from "../../core/paths.ts";
import { range, writeState } from "../status/_fakes.ts";
import { openWorld, standardWorld } from "./_world.ts";

const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
const SHOTS = `${REPO_ROOT}/test-output/screenshots`;
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** Poll a condition (the page's CSP forbids playwright's string evaluation, which is as it should be). */
async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${check}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function rows(page: Page): Promise<number> {
  return page.locator("#run-table tbody tr").count();
}

Deno.test("status page in Chromium: summary, filter, run page, file view", async () => {
  if (
    !requirePeer(
      "chromium",
      hasExecutable(CHROMIUM),
      `install chromium (apt-get install chromium) or set CHROMIUM_PATH`,
    )
  ) {
    return;
  }
  await Deno.mkdir(SHOTS, { recursive: true });
  const fakeWorld = standardWorld();
  fakeWorld.differ = [1041];
  await using world = await openWorld({ world: fakeWorld });
  world.service.start();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, world.app.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("console", (message) => message.type() === "error" && errors.push(message.text()));

    // 1. Summary: sources, counts per state, chart, failures with the retry command.
    await page.goto(`${base}/`);
    assert.equal(await page.title(), "Run Record Archiver — status");
    assert.equal(await page.textContent(".count.state-archived .n"), "100");
    assert.equal(await page.textContent(".count.state-failed .n"), "3");
    assert.equal(await page.locator(".source .badge.ok").count(), 3);
    assert.ok(await page.locator(".chart svg rect").count() > 0, "the throughput chart has bars");
    const retry = await page.locator(".failures code.cmd").allTextContents();
    assert.deepEqual(retry, [
      "deno task archive /etc/archiver/config.yaml --retry-failed-import",
      "deno task archive /etc/archiver/config.yaml --retry-failed-migrate",
    ]);
    assert.match(await page.textContent(".failures") ?? "", /expected 'Key: value' <b>bold<\/b>/);
    await page.screenshot({ path: `${SHOTS}/summary.png`, fullPage: true });

    // It refreshes itself: the archiver migrates 1100-1104, the counts change without a reload.
    await writeState(world.dir, "migrate", {
      done: range(1000, 1104),
      lastContiguousRun: 1104,
      failures: [{ run: 1107, reason: "UconDB returned 503 Service Unavailable", attempts: 4 }],
    });
    await until(async () => (await page.textContent(".count.state-archived .n")) === "105", 12_000);
    assert.equal(await page.textContent(".count.state-imported .n"), "0");

    // 2. Filter: choose "Failed", then search a reason text; the table updates without a page load.
    await page.selectOption("#run-filter select[name=state]", "failed");
    await until(async () => await rows(page) === 3);
    assert.match(page.url(), /state=failed/);
    await page.fill("#run-filter input[name=q]", "utf-8");
    await until(async () => await rows(page) === 1);
    assert.equal(await page.textContent("#run-table tbody tr td a"), "1106");
    await page.screenshot({ path: `${SHOTS}/filtered.png`, fullPage: true });

    // Search by run range over all states, and page through.
    await page.selectOption("#run-filter select[name=state]", "all");
    await page.fill("#run-filter input[name=q]", "");
    await until(async () => (await page.textContent("#runs-range"))?.endsWith("of 120") ?? false);
    await page.click(".pager a[rel=next]");
    await until(async () => (await page.textContent("#runs-range"))?.startsWith("51–100") ?? false);

    // 3. Open a run from the table.
    await page.fill("#run-filter input[name=q]", "1042");
    await until(async () => await rows(page) === 1);
    await Promise.all([page.waitForURL(`${base}/runs/1042`), page.click("#run-table tbody tr td a")]);
    assert.match(await page.textContent("h1") ?? "", /Run 1042\s+Archived/);
    assert.equal(await page.locator("#blob-files a").count(), 3);
    assert.match(await page.textContent("#file") ?? "", /Choose a file/);
    await page.screenshot({ path: `${SHOTS}/run.png`, fullPage: true });

    // 4. Open one of its files.
    await Promise.all([page.waitForURL(/file=boot\.fcl/), page.click("#blob-files a:has-text('boot.fcl')")]);
    assert.equal(await page.textContent("#file pre"), "daq: {\n  run_number: 1042\n  partition: 1\n}\n");
    await page.screenshot({ path: `${SHOTS}/file.png`, fullPage: true });

    // Compare a run whose UconDB blob differs from artdaqDB: the differing lines are shown.
    await page.goto(`${base}/runs/1041`);
    await Promise.all([page.waitForURL(`${base}/runs/1041/compare`), page.click("a.compare-link")]);
    assert.match(await page.textContent("h1") ?? "", /artdaqDB and UconDB differ/);
    assert.equal(await page.textContent("pre.diff .add"), "+daq: { changed: true }");
    await page.screenshot({ path: `${SHOTS}/compare.png`, fullPage: true });

    // A failed run shows its reason and the command that retries it.
    await page.goto(`${base}/runs/1107`);
    assert.match(await page.textContent(".history") ?? "", /503 Service Unavailable/);
    assert.equal(
      await page.textContent(".retry code.cmd"),
      "deno task archive /etc/archiver/config.yaml --migrate-only --runs 1107",
    );
    await page.screenshot({ path: `${SHOTS}/failed-run.png`, fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.shutdown();
  }
});
