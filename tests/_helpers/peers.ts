/**
 * Test helpers for real peers (carbon-cache, sshd, Chromium, MongoDB). A test that needs a peer calls
 * `requirePeer`: when the peer is missing it fails under CI (`CI=true`) and is ignored, loudly, elsewhere.
 *
 * @module
 */

/** True when running under CI, where a missing peer is a failure, never a skip. */
export const IN_CI: boolean = /^(1|true|yes)$/i.test(Deno.env.get("CI") ?? "");

/**
 * Decide whether a peer-dependent test can run. Returns true when `available`; when not, throws under CI and
 * otherwise prints a warning and returns false (the caller then returns early).
 */
export function requirePeer(peer: string, available: boolean, hint: string): boolean {
  if (available) return true;
  const message = `peer '${peer}' is not available: ${hint}`;
  if (IN_CI) throw new Error(`${message} (CI=true: a missing peer is a failure)`);
  console.warn(`SKIPPED (no ${peer}): ${message}`);
  return false;
}

/** Whether an executable is on PATH (or an absolute path exists). */
export function hasExecutable(name: string): boolean {
  const candidates = name.includes("/") ? [name] : (Deno.env.get("PATH") ?? "").split(":").map((d) => `${d}/${name}`);
  for (const candidate of candidates) {
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && (info.mode ?? 0o111) & 0o111) return true;
    } catch { /* keep looking */ }
  }
  return false;
}

/** A fresh temporary directory, removed by the returned disposer. */
export async function tempDir(prefix = "archiver-test-"): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * A free TCP port on 127.0.0.1: bound and released, so nothing listens there until a peer binds it right after
 * (or, left alone, a port on which connections are refused).
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
