/** The client against faulty peers: 5xx storms, a server slower than the timeout, connection resets, 4xx. */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { SinkError, TransientError } from "../../core/errors.ts";
import { KeyExistsError, UconDBClient } from "../../plugins/ucondb/client.ts";
import { fakeServer, resettingServer } from "./_helpers.ts";
import { freePort } from "../_helpers/peers.ts";
import { RecordingLogger } from "../_helpers/recorders.ts";

const te = new TextEncoder();
const client = (url: string, extra: Partial<ConstructorParameters<typeof UconDBClient>[0]> = {}) =>
  new UconDBClient({
    serverUrl: url,
    folder: "run_records",
    user: "writer",
    password: "secret-pw",
    timeoutSeconds: 2,
    retries: 3,
    retryBaseMs: 10,
    retryMaxMs: 40,
    ...extra,
  });

Deno.test("5xx storm: retried with backoff, succeeds when the storm ends", async () => {
  await using server = fakeServer((_request, count) =>
    count <= 3 ? new Response("busy", { status: 503 }) : new Response("3.9.7")
  );
  const logger = new RecordingLogger();
  const ucon = client(server.url, { logger });
  equal(await ucon.version(), "3.9.7");
  equal(server.requests(), 4);
  equal(logger.lines.filter((line) => line.level === "warn").length, 3);
  match(logger.text(), /HTTP 503: busy; retrying in \d+ ms/);
  ucon.close();
});

Deno.test("5xx storm that does not end: TransientError after retries+1 attempts", async () => {
  await using server = fakeServer(() => new Response("<h3>database is down</h3>", { status: 500 }));
  const ucon = client(server.url);
  await rejects(ucon.listVersions("configuration"), (error: unknown) => {
    ok(error instanceof TransientError);
    match(error.message, /failed after 4 attempt\(s\): HTTP 500: database is down/);
    return true;
  });
  equal(server.requests(), 4);
  ucon.close();
});

Deno.test("backoff grows exponentially with jitter and is capped", async () => {
  const times: number[] = [];
  await using server = fakeServer(() => {
    times.push(performance.now());
    return new Response("busy", { status: 502 });
  });
  const ucon = client(server.url, { retries: 4, retryBaseMs: 100, retryMaxMs: 400 });
  await rejects(ucon.version(), TransientError);
  const gaps = times.slice(1).map((time, i) => time - times[i]);
  // Expected windows [d/2, d] for d = 100, 200, 400, 400 (capped); generous upper slack for a loaded machine.
  const windows = [[50, 100], [100, 200], [200, 400], [200, 400]];
  equal(gaps.length, 4);
  gaps.forEach((gap, i) => ok(gap >= windows[i][0] - 2 && gap <= windows[i][1] + 250, `gap ${i}: ${gap} ms`));
  ucon.close();
});

Deno.test("'already exists' and other deterministic 500s are never retried", async () => {
  await using server = fakeServer((request) => {
    if (!request.headers.get("authorization")) {
      return new Response("Authorization required", {
        status: 401,
        headers: {
          "www-authenticate": `Digest realm="public.run_records", nonce="b'MTc='", algorithm=MD5, qop="auth"`,
        },
      });
    }
    return new Response(
      "<html><body><h2>Application error</h2><h3>Version of object configuration with key 5 already exists</h3>",
      { status: 500 },
    );
  });
  const ucon = client(server.url);
  await rejects(ucon.put("configuration", te.encode("x"), { key: "5" }), KeyExistsError);
  equal(server.requests(), 2, "one challenge round trip, no retries");
  ucon.close();
});

Deno.test("4xx is not retried", async () => {
  await using server = fakeServer(() =>
    new Response("<html><body>Invalid value for key</body></html>", { status: 400 })
  );
  const ucon = client(server.url);
  await rejects(ucon.getByKey("configuration", "1"), (error: unknown) => {
    ok(error instanceof SinkError && !(error instanceof TransientError));
    match(error.message, /HTTP 400: Invalid value for key/);
    return true;
  });
  equal(server.requests(), 1);
  ucon.close();
});

Deno.test("a server slower than the timeout: each attempt is cut at timeout_seconds", async () => {
  const pending: Array<() => void> = [];
  await using server = fakeServer(() =>
    new Promise<Response>((resolve) => {
      const timer = setTimeout(() => resolve(new Response("late")), 5000);
      pending.push(() => {
        clearTimeout(timer);
        resolve(new Response("late"));
      });
    })
  );
  const ucon = client(server.url, { timeoutSeconds: 0.2, retries: 1 });
  const started = performance.now();
  await rejects(ucon.version(), (error: unknown) => {
    ok(error instanceof TransientError);
    match(error.message, /failed after 2 attempt\(s\): no complete answer within 0.2 s/);
    return true;
  });
  const elapsed = performance.now() - started;
  ok(elapsed >= 400 && elapsed < 3000, `two 0.2 s attempts plus backoff, took ${elapsed} ms`);
  for (const release of pending) release();
  ucon.close();
});

Deno.test("connection reset: retried, then TransientError; recovers when the peer answers again", async () => {
  {
    await using peer = resettingServer(Infinity);
    const ucon = client(peer.url, { retries: 2 });
    await rejects(ucon.version(), (error: unknown) => {
      ok(error instanceof TransientError);
      match(error.message, /failed after 3 attempt\(s\)/);
      return true;
    });
    equal(peer.connections(), 3);
    ucon.close();
  }
  {
    const answer = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n3.9.7";
    await using peer = resettingServer(2, answer);
    const ucon = client(peer.url, { retries: 3 });
    equal(await ucon.version(), "3.9.7");
    equal(peer.connections(), 3);
    ucon.close();
  }
});

Deno.test("connection refused is a network error (retried, then TransientError)", async () => {
  const ucon = client(`http://127.0.0.1:${freePort()}`, { retries: 1 });
  await rejects(ucon.version(), TransientError);
  ucon.close();
});

Deno.test("put sends a Content-Length body (never chunked), answers the digest challenge, then pre-authenticates", async () => {
  const seen: Array<{ auth: string | null; length: string | null; chunked: boolean; size: number }> = [];
  await using server = fakeServer(async (request) => {
    const body = new Uint8Array(await request.arrayBuffer());
    seen.push({
      auth: request.headers.get("authorization"),
      length: request.headers.get("content-length"),
      chunked: /chunked/i.test(request.headers.get("transfer-encoding") ?? ""),
      size: body.length,
    });
    if (!request.headers.get("authorization")) {
      return new Response("Authorization required", {
        status: 401,
        headers: {
          "www-authenticate":
            `Digest realm="public.run_records", nonce="b'MTc5NTk2MDc4OQ=='", algorithm=MD5, qop="auth"`,
        },
      });
    }
    const meta = { object: "o", folder: "public.run_records", tv: 0, tr: 1, tags: ["1"], adler32: 1, data_size: 3 };
    return new Response(JSON.stringify({ ...meta, data_key: "1", id: seen.length, key: "1" }), {
      headers: { "content-type": "text/json" },
    });
  });
  const ucon = client(server.url);
  await ucon.put("o", te.encode("abc"), { key: "1", tags: ["1"] });
  await ucon.put("o", te.encode("abc"), { key: "2", tags: ["2"] });
  deepEqual(seen.map((s) => [s.length, s.chunked, s.size]), [["3", false, 3], ["3", false, 3], ["3", false, 3]]);
  equal(seen[0].auth, null);
  match(
    seen[1].auth!,
    /^Digest username="writer", realm="public.run_records", nonce="b'MTc5NTk2MDc4OQ=='", uri="\/data\/run_records\/o\?key=1&override=no&tag=1&full_meta=yes"/,
  );
  match(seen[1].auth!, /nc=00000001/);
  match(seen[2].auth!, /nc=00000002/);
  ok(!seen.some((s) => s.auth?.includes("secret-pw")), "the password never travels");
  ucon.close();
});

/** A `/versions` answer of `count` records, streamed in pieces of `piece` bytes; `cutAfter` pieces then a reset. */
function versionsAnswer(count: number, piece: number, cutAfter = Infinity): Response {
  const records = Array.from(
    { length: count },
    (_, i) => ({ object: "configuration", key: String(i), tags: [`t,]${i}`] }),
  );
  const text = te.encode(JSON.stringify(records));
  let at = 0;
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ >= cutAfter) return controller.error(new Error("cut"));
      controller.enqueue(text.slice(at, at += piece));
      if (at >= text.length) controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "text/json; charset=UTF-8" } });
}

for (const transport of ["fetch", "node:http"] as const) {
  const insecureSkipVerify = transport === "node:http";

  Deno.test(`${transport}: a listing is read as it arrives; one cut off mid-answer is read again from the start`, async () => {
    await using server = fakeServer((_request, count) => versionsAnswer(5000, 4096, count === 1 ? 20 : Infinity));
    const ucon = client(server.url, { insecureSkipVerify });
    const keys = await ucon.listVersions("configuration", (meta) => meta.key);
    deepEqual(keys, Array.from({ length: 5000 }, (_, i) => String(i)), "every version once, in order");
    equal(server.requests(), 2);
    ucon.close();
  });

  Deno.test(`${transport}: a listing that is not one JSON array is a SinkError at once (no retries)`, async () => {
    for (
      const answer of ['{"object": "configuration"}', '[{"key": "1"}, {"key": ', '[{"key": "1"}] trailing', "[1, 2]"]
    ) {
      await using server = fakeServer(() => new Response(answer, { status: 200 }));
      const ucon = client(server.url, { insecureSkipVerify });
      await rejects(ucon.listVersions("configuration"), (error: unknown) => {
        ok(error instanceof SinkError && !(error instanceof TransientError), String(error));
        match(error.message, /GET \/versions .*(not a JSON array|not an object)/);
        return true;
      });
      equal(server.requests(), 1, answer);
      ucon.close();
    }
  });
}
