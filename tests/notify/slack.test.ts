/**
 * The Slack notifier against a local HTTP endpoint that checks the `chat.postMessage` request: token only in the
 * Authorization header, channel, fallback text with mentions (§17.5 N3), blocks; and `ok: false`, HTTP errors and
 * timeouts reported as errors that `notifyAll` logs and swallows.
 */
import assert from "node:assert/strict";
import { slack, SlackError } from "../../plugins/slack/mod.ts";
import { composeFailureNotification, hostName, notifyAll } from "../../core/notify.ts";
import { ConfigurationError } from "../../core/errors.ts";
import type { FailureItem } from "../../core/roles.ts";
import { RecordingLogger } from "../_helpers/recorders.ts";

const TOKEN = "xoxb-test-1234567890-abcdef";

interface Captured {
  method: string;
  path: string;
  query: string;
  authorization: string | null;
  contentType: string | null;
  raw: string;
  body: {
    channel: string;
    text: string;
    blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[];
  };
}

/** A local Slack API stand-in; `answer` decides the response. */
function slackApi(answer: (request: Captured) => Response | Promise<Response>) {
  const requests: Captured[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url);
    const raw = await request.text();
    const captured: Captured = {
      method: request.method,
      path: url.pathname,
      query: url.search,
      authorization: request.headers.get("authorization"),
      contentType: request.headers.get("content-type"),
      raw,
      body: JSON.parse(raw),
    };
    requests.push(captured);
    return await answer(captured);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/api`,
    requests,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

function failures(count: number): FailureItem[] {
  return Array.from({ length: count }, (_, i) => ({
    run: 1000 + (count - i) * 3,
    stage: "migration",
    reason: `UconDB answered 503 <Service Unavailable> & retry ${i}`,
    attempts: 3,
  }));
}

Deno.test("slack: chat.postMessage with the bearer token only in the header, the Python text, mentions and blocks", async () => {
  await using api = slackApi(() => Response.json({ ok: true, channel: "C1", ts: "1.2" }));
  const logger = new RecordingLogger();
  const notifier = slack(
    { enabled: true, bot_token: TOKEN, channel: "#daq-alerts", mention_users: "U1, U2,", api_url: api.url },
    { logger },
  );
  const notification = composeFailureNotification({
    stage: "migrate",
    failures: failures(12),
    retryCommand: "deno task archive config.yaml --retry-failed-migrate",
  });
  await notifier.notify(notification);

  assert.equal(api.requests.length, 1);
  const request = api.requests[0];
  assert.equal(request.method, "POST");
  assert.equal(request.path, "/api/chat.postMessage");
  assert.equal(request.query, "");
  assert.equal(request.authorization, `Bearer ${TOKEN}`);
  assert.match(request.contentType ?? "", /^application\/json/);
  assert.ok(!request.raw.includes(TOKEN), "the token is never in the body");
  assert.equal(request.body.channel, "#daq-alerts");
  assert.equal(
    request.body.text,
    `Run Record Archiver Migration Failures: 12 runs failed on ${hostName()} <@U1> <@U2>`,
  );

  const [header, facts, runList, reasons, retry] = request.body.blocks;
  assert.equal(header.text?.text, "⚠️ Run Record Archiver Migration Failures");
  assert.deepEqual(facts.fields?.map((f) => f.text.split("\n")[0]), [
    "*Host:*",
    "*Time:*",
    "*Stage:*",
    "*Failed Runs:*",
  ]);
  assert.equal(facts.fields?.[2].text, "*Stage:*\nMigration");
  assert.equal(facts.fields?.[3].text, "*Failed Runs:*\n12");
  assert.match(facts.fields?.[1].text ?? "", /^\*Time:\*\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  const sorted = failures(12).map((f) => f.run).sort((a, b) => a - b);
  assert.equal(runList.text?.text, `*Run Numbers:*\n${sorted.slice(0, 10).join(", ")}, ... (2 more)`);
  assert.match(
    reasons.text?.text ?? "",
    /• 1003 \(migration, 3 attempts\): UconDB answered 503 &lt;Service Unavailable&gt; &amp; retry 11/,
  );
  assert.equal(retry.text?.text, "*Retry with:*\n```deno task archive config.yaml --retry-failed-migrate```");
  assert.deepEqual(logger.at("info"), ["Slack notification sent successfully to channel #daq-alerts"]);
});

Deno.test("slack: `ok: false` is an error naming Slack's reason; notifyAll logs it and carries on", async () => {
  await using api = slackApi(() => Response.json({ ok: false, error: "channel_not_found" }));
  const notifier = slack({ enabled: true, bot_token: TOKEN, channel: "#nope", api_url: api.url });
  const notification = composeFailureNotification({ stage: "import", failures: failures(1), retryCommand: "x" });
  await assert.rejects(notifier.notify(notification), (error: unknown) => {
    assert.ok(error instanceof SlackError);
    assert.match(error.message, /chat\.postMessage to #nope failed \(HTTP 200\): channel_not_found/);
    assert.ok(!error.message.includes(TOKEN));
    return true;
  });
  const logger = new RecordingLogger();
  const result = await notifyAll([notifier], notification, logger);
  assert.deepEqual(result, { sent: [], failed: ["slack"] });
  assert.match(logger.at("error")[0], /via slack: .*channel_not_found/);
});

Deno.test("slack: HTTP errors, rate limits and non-JSON answers are errors", async () => {
  const answers = [
    new Response("upstream broke", { status: 502 }),
    new Response(JSON.stringify({ ok: false, error: "ratelimited" }), {
      status: 429,
      headers: { "retry-after": "30" },
    }),
  ];
  await using api = slackApi(() => answers.shift()!);
  const notifier = slack({ enabled: true, bot_token: TOKEN, channel: "#c", api_url: api.url });
  const notification = composeFailureNotification({ stage: "import", failures: failures(1), retryCommand: "x" });
  await assert.rejects(notifier.notify(notification), /HTTP 502\): non-JSON answer/);
  await assert.rejects(notifier.notify(notification), /HTTP 429\): rate limited, retry after 30 s/);
});

Deno.test("slack: an endpoint that never answers is abandoned after timeout_seconds", async () => {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  await using api = slackApi(async () => {
    await held;
    return Response.json({ ok: true });
  });
  const notifier = slack({ enabled: true, bot_token: TOKEN, channel: "#c", api_url: api.url, timeout_seconds: 0.3 });
  const notification = composeFailureNotification({ stage: "import", failures: failures(1), retryCommand: "x" });
  const started = performance.now();
  await assert.rejects(notifier.notify(notification), /no answer within 0\.3 s/);
  assert.ok(performance.now() - started < 2000);
  release();
});

Deno.test("slack: enabled without token or channel is a configuration error (Python message)", () => {
  assert.throws(
    () => slack({ enabled: true, channel: "#c" }),
    (error: unknown) =>
      error instanceof ConfigurationError &&
      error.message === "Slack config: 'bot_token' and 'channel' are required when enabled is true.",
  );
});
