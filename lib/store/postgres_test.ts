import assert from "node:assert/strict";
import { GalleryError } from "./gallery_store.ts";
import { openStore } from "./open_store.ts";
import { connectionSettings, kindOfState, refusal } from "./postgres.ts";
import AWKWARD_PASSWORDS from "./testdata/awkward_passwords.json" with { type: "json" };

const noEnv = () => undefined;

/** Whatever `fn` throws (an assertion fails if it throws nothing). */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  assert.fail("nothing was thrown");
}

/** Asserts that no text of `e` (message, stack, fields) holds `secret`, as given or percent-encoded. */
function assertHidden(e: unknown, secret: string): void {
  const texts = [String(e), e instanceof Error ? e.stack ?? "" : "", JSON.stringify(e)];
  for (const text of texts) {
    for (const s of [secret, encodeURIComponent(secret)]) assert.ok(!text.includes(s), `${text} holds ${s}`);
  }
}

Deno.test("connectionSettings() connects with a password holding / @ # ? % : or spaces, and names the database without it", () => {
  for (const password of AWKWARD_PASSWORDS) {
    for (const written of [password, encodeURIComponent(password)]) {
      const c = connectionSettings(`postgres://face2vec:${written}@127.0.0.1:5432/faces`, noEnv);
      assert.equal(c.password, password);
      assert.deepEqual([c.host, c.port, c.user, c.database], ["127.0.0.1", 5432, "face2vec", "faces"]);
      assert.equal(c.location, "postgres://face2vec@127.0.0.1:5432/faces");
    }
  }
  // The two URLs.
  const a = connectionSettings("postgres://face2vec:Zm9v/YmFy+cXV4@127.0.0.1:5432/faces", noEnv);
  assert.deepEqual([a.password, a.location], ["Zm9v/YmFy+cXV4", "postgres://face2vec@127.0.0.1:5432/faces"]);
  const b = connectionSettings("postgres://u:se@cret@host/db", noEnv);
  assert.deepEqual([b.password, b.location], ["se@cret", "postgres://u@host:5432/db"]);
  // A password file's wins over the URL's.
  assert.equal(connectionSettings("postgres://u:se@cret@host/db", noEnv, "from-file").password, "from-file");
});

Deno.test("connectionSettings(): a URL that cannot be read is GalleryError 'url' naming --gallery and the form, never the URL", () => {
  for (const password of AWKWARD_PASSWORDS) {
    for (
      const url of [
        `postgres://face2vec:${password}@db host/faces`,
        `postgres://face2vec:${password}@dbhost:70000/faces`,
        `postgres://face2vec:${password}@dbhost/%e0%80`,
        `postgres:face2vec:${password}@dbhost/faces`,
      ]
    ) {
      let error: unknown;
      try {
        connectionSettings(url, noEnv);
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof GalleryError && error.kind === "url", `${url}: ${error}`);
      assert.match(error.message, /^--gallery: /);
      assertHidden(error, password);
      assert.ok(!error.message.includes("dbhost"), error.message);
    }
  }
  assert.throws(
    () => connectionSettings("postgres://u:p@h:0/db", noEnv),
    (e) => e instanceof GalleryError && e.message === "--gallery: the URL's port is not a number from 1 to 65535",
  );
  assert.throws(
    () => connectionSettings("postgres://face2vec:Zm9v/YmFy+cXV4@127.0.0.1:5432/%e0%80", noEnv),
    (e) => e instanceof GalleryError && e.message === "--gallery: bad percent-encoding in the URL's database name",
  );
});

Deno.test("a SQLSTATE is typed: 55P03 (lock_timeout) and 57014 (statement_timeout) are 'busy', shutdowns 'unreachable'", () => {
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { severity: "ERROR", code });
  const db = { location: "postgres://face2vec@127.0.0.1:5432/faces", secret: "Zm9v/YmFy+cXV4" };
  const lock = refusal(pgError("55P03", "canceling statement due to lock timeout"), db);
  assert.equal(lock.kind, "busy");
  assert.equal(lock.message, `${db.location}: busy: canceling statement due to lock timeout; retry`);
  assert.equal(refusal(pgError("57014", "canceling statement due to statement timeout"), db).kind, "busy");
  assert.equal(
    refusal(pgError("57P01", "terminating connection due to administrator command"), db).kind,
    "unreachable",
  );
  assert.equal(refusal(pgError("08006", "connection failure"), db).kind, "unreachable");
  assert.equal(refusal(pgError("53300", "sorry, too many clients already"), db).kind, "unreachable");
  assert.equal(refusal(pgError("23505", "duplicate key"), db).kind, "invalid");
  // A socket's error has no SQLSTATE: "cannot connect".
  const refused = refusal(
    Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }),
    db,
  );
  assert.deepEqual([refused.kind, refused.reason], [
    "unreachable",
    "cannot connect (connect ECONNREFUSED 127.0.0.1:5432)",
  ]);
  assert.deepEqual(["55P03", "57014", "57P03", "40P01"].map(kindOfState), ["busy", "busy", "unreachable", "invalid"]);
  // Whatever the client's text holds, the password (as given or encoded) is not in the message.
  for (const password of AWKWARD_PASSWORDS) {
    const e = refusal(
      new Error(`failed at postgres://face2vec:${password}@h/db, again ${encodeURIComponent(password)}`),
      { location: db.location, secret: password },
    );
    assertHidden(e, password);
    assert.match(e.message, /^postgres:\/\/face2vec@127\.0\.0\.1:5432\/faces: cannot connect \(failed at/);
  }
});

Deno.test({
  name: "openStore() with a password holding / @ # ? % or spaces against a closed port: 'unreachable', no password",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    for (const password of AWKWARD_PASSWORDS) {
      const e = await thrown(() => openStore(`postgres://face2vec:${password}@127.0.0.1:${port}/faces`));
      assert.ok(e instanceof GalleryError && e.kind === "unreachable", String(e));
      assert.match(e.message, new RegExp(`^postgres://face2vec@127\\.0\\.0\\.1:${port}/faces: cannot connect`));
      assertHidden(e, password);
    }
  },
});
