import assert from "node:assert/strict";
import { DatabaseUrlError, parseDatabaseUrl, withoutPassword } from "./database_url.ts";

/** Passwords holding every character a URL reserves, as generated secrets do ("/" in base64). */
import AWKWARD_PASSWORDS from "./testdata/awkward_passwords.json" with { type: "json" };

Deno.test("parseDatabaseUrl() reads a password with / @ # ? % : and spaces whole, written raw or percent-encoded", () => {
  for (const password of AWKWARD_PASSWORDS) {
    for (const written of [password, encodeURIComponent(password)]) {
      const url = `postgres://face2vec:${written}@db.example.org:6543/faces?sslmode=require`;
      const u = parseDatabaseUrl(url);
      assert.equal(u.password, password, url);
      assert.equal(u.user, "face2vec", url);
      assert.equal(u.host, "db.example.org", url);
      assert.equal(u.port, 6543, url);
      assert.equal(u.database, "faces", url);
      assert.equal(u.sslmode, "require", url);
    }
    // postgresql://, an IPv6 host, no port, no database.
    const v6 = parseDatabaseUrl(`postgresql://face2vec:${password}@[::1]`);
    assert.deepEqual(v6, {
      user: "face2vec",
      password,
      host: "::1",
      port: undefined,
      database: undefined,
      sslmode: undefined,
    });
  }
});

Deno.test("parseDatabaseUrl(): the issue's examples, and URLs without user, password or host", () => {
  const a = parseDatabaseUrl("postgres://face2vec:Zm9v/YmFy+cXV4@127.0.0.1:5432/faces");
  assert.deepEqual([a.user, a.password, a.host, a.port, a.database], [
    "face2vec",
    "Zm9v/YmFy+cXV4",
    "127.0.0.1",
    5432,
    "faces",
  ]);
  const b = parseDatabaseUrl("postgres://u:se@cret@host/db");
  assert.deepEqual([b.user, b.password, b.host, b.port, b.database], ["u", "se@cret", "host", undefined, "db"]);
  assert.deepEqual(parseDatabaseUrl("postgres://db.internal/faces"), {
    user: undefined,
    password: undefined,
    host: "db.internal",
    port: undefined,
    database: "faces",
    sslmode: undefined,
  });
  const c = parseDatabaseUrl("postgres://face2vec@/faces");
  assert.deepEqual([c.user, c.password, c.host], ["face2vec", undefined, undefined]);
  // An empty password is a password given as empty.
  assert.equal(parseDatabaseUrl("postgres://u:@h/db").password, "");
  // Percent-escapes in the user and database; "%40" is how an "@" goes in the database name.
  const d = parseDatabaseUrl("POSTGRES://J%C3%BCrgen@h/a%40b#ignored");
  assert.deepEqual([d.user, d.database], ["Jürgen", "a@b"]);
});

Deno.test("a URL that cannot be read is refused with a reason that quotes no part of it", () => {
  for (const password of AWKWARD_PASSWORDS) {
    const bad = [
      `mysql://face2vec:${password}@dbhost7/db`,
      `postgres:/face2vec:${password}@dbhost7/db`,
      `postgres://face2vec:${password}@db host7/db`,
      `postgres://face2vec:${password}@dbhost7:99999/db`,
      `postgres://face2vec:${password}@dbhost7:54x/db`,
      `postgres://face2vec:${password}@[::1/db`,
      `postgres://face2vec:${password}@dbhost7/%zz`,
      `postgres://face2vec:${password}@h1,h2/db`,
    ];
    for (const url of bad) {
      let error: unknown;
      try {
        parseDatabaseUrl(url);
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof DatabaseUrlError, `${url} was read`);
      for (const secret of [password, encodeURIComponent(password), "face2vec", "dbhost7"]) {
        assert.ok(!error.message.includes(secret), `${JSON.stringify(error.message)} holds ${secret}`);
      }
      assert.match(error.message, /postgres:\/\/|port|percent-encoding/);
    }
  }
  assert.throws(() => parseDatabaseUrl("mysql://h/db"), /^DatabaseUrlError: not a postgres:\/\/ URL \(postgres:\/\//);
  assert.throws(() => parseDatabaseUrl("postgres://h:0/db"), /port is not a number from 1 to 65535/);
});

Deno.test("withoutPassword() hides the password of a URL argument, whatever it holds, and nothing else", () => {
  for (const password of AWKWARD_PASSWORDS) {
    for (const arg of [`postgres://face2vec:${password}@h:5432/db`, `--gallery=postgres://face2vec:${password}@h/db`]) {
      const shown = withoutPassword(arg);
      assert.ok(!shown.includes(password), shown);
      assert.match(shown, /postgres:\/\/face2vec:\*\*\*\*@h(:5432)?\/db$/);
    }
  }
  assert.equal(withoutPassword("postgres://face2vec@h/db"), "postgres://face2vec@h/db");
  assert.equal(withoutPassword("photo.jpg"), "photo.jpg");
  assert.equal(withoutPassword("mysql://u:pw@h/db"), "mysql://u:****@h/db");
});
