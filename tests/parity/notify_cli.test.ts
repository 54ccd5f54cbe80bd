/**
 * §17.5 N1 through the CLI subprocess (original-archiver.md §17.5): two failed imports give one email with the
 * Python subject and body, caught by a plain SMTP server. N2 (SMTP unreachable) is tests/pipeline/e2e_modes.test.ts;
 * N3 (Slack text) is tests/notify/slack.test.ts.
 */
import { hostname } from "node:os";
import { assertEquals } from "../state/_assert.ts";
import { tempDir } from "../_helpers/peers.ts";
import { addRun, cli, emailReporting, makeSite } from "../pipeline/_e2e.ts";
import { smtpPeer } from "../_helpers/smtp.ts";

Deno.test("N1 (P): runs 5 and 3 fail → one email, Python subject, body lists 3 then 5", async () => {
  await using dir = await tempDir();
  await using smtp = await smtpPeer({ starttls: false });
  const site = await makeSite(dir.path, [4], {}, emailReporting(smtp.port));
  for (const run of [5, 3]) await addRun(site, run, "11005", "11001"); // invalid FHiCL: fails at once
  const result = await cli(site, "--import-only");
  assertEquals(result.code, 1, result.out);
  assertEquals(smtp.mails.length, 1, JSON.stringify(smtp.mails));
  const [mail] = smtp.mails;
  const host = hostname();
  const subject = new RegExp(
    `^Run Record Archiver Import Errors on ${host} at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`,
  );
  assertEquals(subject.test(mail.headers.subject), true, mail.headers.subject);
  assertEquals(mail.body.startsWith("The following runs failed during the import stage:\n\n3\n5\n"), true, mail.body);
  assertEquals(mail.headers.to, "ops@example.com");
  // A second invocation with the same failures does not mail them again (§16.3: "re-notified on every run").
  const again = await cli(site, "--import-only");
  assertEquals(again.code, 1, again.out);
  assertEquals(smtp.mails.length, 1);
});
