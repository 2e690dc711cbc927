/**
 * The two gallery backends against each other: the file store (a model folder) and
 * PostgreSQL + pgvector (PGlite in this process, over the wire protocol). Same faces in,
 * same answers out; writers at the same time lose nothing; the schema is made once and
 * checked on every open.
 */
import assert from "node:assert/strict";
import { GalleryError, type GalleryStore as GalleryBackend } from "../lib/store/gallery_store.ts";
import { openStore } from "../lib/store/open_store.ts";
import type { GalleryEntry } from "../lib/gallery/entry.ts";
import { EMBEDDING_SIZE } from "../lib/embed/embed_faces.ts";
import { seededRandom } from "../lib/_random.ts";
import { startPglite } from "../scripts/_pglite.ts";
import { CLIENT_GRACE_MS } from "../lib/store/postgres.ts";
import { pgClusterTest, pgTest as realServerTest, startCluster } from "./_pg.ts";
import AWKWARD_PASSWORDS from "../lib/store/testdata/awkward_passwords.json" with { type: "json" };
import { runCli } from "./_cli.ts";
import { failingGallery } from "./_serve.ts";
import postgres from "postgres";

/** `people` people with `each` faces around a random centre each (spread 0.03 per value, as LFW's). */
function syntheticFaces(people: number, each: number, seed: number): { faces: GalleryEntry[]; probes: Float32Array[] } {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const faces: GalleryEntry[] = [];
  const probes: Float32Array[] = [];
  for (let p = 0; p < people; p++) {
    const centre = Float32Array.from({ length: EMBEDDING_SIZE }, () => gauss() * 0.09);
    const near = () => centre.map((c) => c + gauss() * 0.03);
    for (let k = 0; k < each; k++) faces.push({ label: `person ${p}`, path: `p${p}/${k}.jpg`, embedding: near() });
    probes.push(near());
  }
  return { faces, probes };
}

const pgTest = (name: string, fn: (url: string) => Promise<void>) =>
  Deno.test({ name, sanitizeResources: false, sanitizeOps: false }, async () => {
    const database = await startPglite();
    try {
      await fn(database.url);
    } finally {
      await database.stop();
    }
  });

pgTest("the pgvector gallery answers as the file store does: labels, distances, runner-up, unknown", async (url) => {
  const dir = await Deno.makeTempDir();
  const { faces, probes } = syntheticFaces(30, 6, 7);
  const file = await openStore(dir);
  const pg = await openStore(url);
  try {
    assert.equal(pg.kind, "postgres");
    assert.match(pg.location, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    // In three calls, one re-enrolling a photo with another embedding (it replaces its face).
    const changed = { ...faces[0]!, embedding: faces[1]!.embedding };
    for (const g of [file, pg]) {
      await g.enrol(faces.slice(0, 100));
      await g.enrol(faces.slice(100));
      const after = await g.enrol([changed]);
      assert.deepEqual(after, { faces: 180, people: 30 });
    }
    assert.deepEqual(await pg.people(), await file.people());
    assert.equal((await pg.people())[0]!.faces, 6);
    const strangers = syntheticFaces(10, 0, 99).probes;
    const queries = [...probes, ...strangers];
    const a = await file.match(queries, { exact: true });
    const b = await pg.match(queries, { exact: true });
    const c = await pg.match(queries);
    for (let i = 0; i < queries.length; i++) {
      assert.equal(b[i]!.candidate, a[i]!.candidate, `query ${i}`);
      assert.equal(b[i]!.label, a[i]!.label, `query ${i}`);
      // float32 centroids in the database, float64 in the file store.
      assert.ok(Math.abs(b[i]!.distance - a[i]!.distance) < 1e-5, `${b[i]!.distance} vs ${a[i]!.distance}`);
      assert.equal(b[i]!.runnerUp?.label, a[i]!.runnerUp?.label);
      assert.equal(c[i]!.candidate, b[i]!.candidate, "HNSW finds the exact answer on 30 people");
    }
    for (let i = 0; i < probes.length; i++) assert.equal(b[i]!.label, `person ${i}`);
    assert.ok(b.slice(probes.length).every((x) => x.label === null), "strangers are unknown at the default distance");
    assert.equal((await pg.match([probes[0]!], { maxDistance: 0 }))[0]!.label, null);
    assert.deepEqual(await pg.check(), { faces: 180 });

    assert.equal(await pg.remove("person 3"), 6);
    assert.equal(await file.remove("person 3"), 6);
    assert.equal(await pg.remove("person 3"), 0);
    assert.deepEqual(await pg.people(), await file.people());
    assert.notEqual((await pg.match([probes[3]!], { exact: true }))[0]!.candidate, "person 3");

    // A photo given twice in one call is one face, in both.
    for (const g of [file, pg]) {
      const twice = await g.enrol([{ ...faces[7]!, path: "again.jpg" }, { ...faces[8]!, path: "again.jpg" }]);
      assert.deepEqual(twice, { faces: 175, people: 29 });
    }
    await assert.rejects(
      pg.enrol([{ label: "x", path: "x.jpg", embedding: new Float32Array(5) }]),
      /x\.jpg's embedding: 5 values, not 128/,
    );
    await assert.rejects(
      pg.enrol([{ label: "x", path: "x.jpg", embedding: new Float32Array(128).fill(NaN) }]),
      /x\.jpg's embedding: value 0 is not finite/,
    );
  } finally {
    await file.close();
    await pg.close();
    await Deno.remove(dir, { recursive: true });
  }
});

pgTest("8 writers at once enrolling 50 faces each leave all 400, with every person's centroid whole", async (url) => {
  const { faces, probes } = syntheticFaces(10, 40, 3);
  const writers = await Promise.all(Array.from({ length: 8 }, () => openStore(url, { connections: 2 })));
  try {
    // Writer w enrols faces w, w+8, … one at a time: every person gets faces from every writer.
    await Promise.all(writers.map(async (g, w) => {
      for (let k = w; k < faces.length; k += 8) await g.enrol([faces[k]!]);
    }));
    const people = await writers[0]!.people();
    assert.equal(people.reduce((s, p) => s + p.faces, 0), 400);
    assert.ok(people.every((p) => p.faces === 40));
    const dir = await Deno.makeTempDir();
    const file = await openStore(dir);
    try {
      await file.enrol(faces);
      const a = await file.match(probes, { exact: true });
      const b = await writers[7]!.match(probes, { exact: true });
      // A centroid missing a face would be off by about 0.03/40 per value.
      a.forEach((x, i) => assert.ok(Math.abs(x.distance - b[i]!.distance) < 1e-5));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    await Promise.all(writers.map((g) => g.close()));
  }
});

pgTest(
  "enrolments and erasures of the same people at once leave every face row counted in its person's row",
  async (url) => {
    const { faces } = syntheticFaces(4, 20, 5);
    const [a, b] = await Promise.all([openStore(url, { connections: 2 }), openStore(url, { connections: 2 })]);
    try {
      await Promise.all([
        (async () => {
          for (let k = 0; k < faces.length; k += 2) await a.enrol([faces[k]!, faces[k + 1]!]);
        })(),
        (async () => {
          for (let k = 0; k < 20; k++) await b.remove(`person ${k % 4}`);
        })(),
      ]);
      const { default: postgres } = await import("postgres");
      const sql = postgres(url, { onnotice: () => {} });
      try {
        const [orphans] = await sql`SELECT count(*)::int AS n FROM face2vec_faces f
        WHERE NOT EXISTS (SELECT 1 FROM face2vec_people p WHERE p.label = f.label)`;
        const [counts] = await sql`SELECT (SELECT count(*)::int FROM face2vec_faces) AS rows,
        (SELECT coalesce(sum(faces), 0)::int FROM face2vec_people) AS counted`;
        assert.equal(orphans!.n, 0);
        assert.equal(counts!.rows, counts!.counted);
      } finally {
        await sql.end();
      }
    } finally {
      await a.close();
      await b.close();
    }
  },
);

pgTest("processes opening an empty database at once create its schema once; another schema is refused", async (url) => {
  const opened = await Promise.all(Array.from({ length: 4 }, () => openStore(url, { connections: 1 })));
  let admin: GalleryBackend | undefined;
  try {
    const { default: postgres } = await import("postgres");
    const sql = postgres(url, { onnotice: () => {} });
    try {
      const rows = await sql`SELECT version, dim FROM face2vec_schema`;
      assert.deepEqual(rows.map((r) => [r.version, r.dim]), [[1, 128]]);
      const indexes = await sql`SELECT indexdef FROM pg_indexes WHERE tablename = 'face2vec_people'`;
      assert.ok(indexes.some((r) => /USING hnsw \(centroid vector_l2_ops\)/.test(r.indexdef)));
      await sql`UPDATE face2vec_schema SET pipeline = jsonb_set(pipeline, '{detector,minSize}', '7')`;
      await assert.rejects(
        openStore(url),
        (e) => e instanceof GalleryError && e.kind === "mismatch" && /processed differently/.test(e.message),
      );
      await sql`UPDATE face2vec_schema SET version = 2`;
      await assert.rejects(openStore(url), /schema version 2, this Face2Vec reads version 1 \(made by a newer/);
      await sql`UPDATE face2vec_schema SET version = 1, dim = 64`;
      await assert.rejects(openStore(url), /face2vec_schema: dim is 64, not 128/);
    } finally {
      await sql.end();
    }
  } finally {
    await Promise.all(opened.map((g) => g.close()));
    await admin?.close();
  }
});

Deno.test("a database that cannot be reached, or a password file that cannot be read, is one line naming it", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close(); // nothing listens there now
  await assert.rejects(
    openStore(`postgres://face2vec@127.0.0.1:${port}/faces`),
    (e) =>
      e instanceof GalleryError && e.kind === "unreachable" &&
      e.message.startsWith(`postgres://face2vec@127.0.0.1:${port}/faces: cannot connect`) && !e.message.includes("\n"),
  );
  await assert.rejects(
    openStore(`postgres://127.0.0.1:${port}/faces`, { passwordFile: "/nonexistent/pw" }),
    /^GalleryError: \/nonexistent\/pw: cannot read the password/,
  );
});

const plainUrl = Deno.env.get("FACE2VEC_PG_PLAIN_URL");
if (!plainUrl) {
  console.log(
    "skipped: the no-pgvector error path needs a PostgreSQL without pgvector; .ci/run starts Debian's and sets FACE2VEC_PG_PLAIN_URL",
  );
}
Deno.test({
  name: "a server without pgvector gets one line saying what to install (Debian's PostgreSQL)",
  ignore: !plainUrl,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await assert.rejects(
      openStore(plainUrl!),
      (e) =>
        e instanceof GalleryError && e.kind === "no_pgvector" && !e.message.includes("\n") &&
        /the server has no pgvector extension; install it .*apt install postgresql-<major version>-pgvector/.test(
          e.message,
        ),
    );
  },
});

/** Whatever `fn` throws (an assertion fails if it throws nothing). */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  assert.fail("nothing was thrown");
}

const vector = (seed: number) =>
  Float32Array.from({ length: EMBEDDING_SIZE }, (_, i) => Math.sin(seed * 31 + i) * 0.08);

Deno.test({
  name:
    "every transaction of the pgvector gallery runs under lock_timeout and statement_timeout (timeoutMs; a call's lockTimeoutMs)",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const database = await startPglite();
    const gallery = await openStore(database.url, { timeoutMs: 4321, connections: 2 });
    const sql = postgres(database.url, { onnotice: () => {}, max: 1 });
    try {
      await gallery.enrol([{ label: "ann", path: "a.jpg", embedding: vector(1) }]);
      // What each statement sees, recorded from inside the gallery's own transactions: by
      // triggers for writes, and for reads by a view over the people table that logs.
      await sql.unsafe(`
        CREATE TABLE seen (what text, lock_timeout text, statement_timeout text);
        CREATE FUNCTION note(what text) RETURNS boolean LANGUAGE sql VOLATILE AS $$
          INSERT INTO seen VALUES (what, current_setting('lock_timeout'), current_setting('statement_timeout'));
          SELECT true $$;
        CREATE FUNCTION note_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN PERFORM note(TG_OP || ' ' || TG_TABLE_NAME); RETURN NULL; END $$;
        CREATE TRIGGER seen_faces AFTER INSERT OR DELETE ON face2vec_faces
          FOR EACH STATEMENT EXECUTE FUNCTION note_trigger();
      `);
      await gallery.enrol([{ label: "bob", path: "b.jpg", embedding: vector(2) }]);
      await gallery.enrol([{ label: "cy", path: "c.jpg", embedding: vector(3) }], { lockTimeoutMs: 1234 });
      assert.equal(await gallery.remove("cy", { lockTimeoutMs: 999 }), 1);
      // No wait at all (--lock-timeout 0): the lock is tried once (PostgreSQL's 0 would be "no limit").
      assert.equal(await gallery.remove("nobody", { lockTimeoutMs: 0 }), 0);
      await sql.unsafe(`
        ALTER TABLE face2vec_people RENAME TO face2vec_people_t;
        CREATE VIEW face2vec_people AS SELECT * FROM face2vec_people_t WHERE note('read people');
      `);
      assert.deepEqual((await gallery.people()).map((p) => p.label), ["ann", "bob"]);
      assert.equal((await gallery.match([vector(2)], { exact: true }))[0]!.label, "bob");
      const seen = await sql`SELECT what, lock_timeout, statement_timeout FROM seen`;
      // Limits are counted from each call: a few ms may have passed before they are set.
      const ms = (text: string) => {
        const [, n, unit] = text.match(/^(\d+)(ms|s|min)$/) ?? [];
        return Number(n) * (unit === "min" ? 60_000 : unit === "s" ? 1000 : 1);
      };
      const near = (text: string, value: number) => ms(text) <= value && ms(text) > value - 500;
      const writes = seen.filter((r) => /INSERT|DELETE/.test(r.what));
      assert.deepEqual(writes.map((r) => r.what), [
        "INSERT face2vec_faces",
        "INSERT face2vec_faces",
        "DELETE face2vec_faces",
        "DELETE face2vec_faces",
      ]);
      assert.ok(
        near(writes[0]!.lock_timeout, 4321) && near(writes[0]!.statement_timeout, 4321),
        JSON.stringify(writes[0]),
      );
      assert.ok(
        near(writes[1]!.lock_timeout, 1234) && near(writes[1]!.statement_timeout, 4321),
        JSON.stringify(writes[1]),
      );
      assert.ok(
        near(writes[2]!.lock_timeout, 999) && near(writes[2]!.statement_timeout, 4321),
        JSON.stringify(writes[2]),
      );
      assert.deepEqual([writes[3]!.lock_timeout, near(writes[3]!.statement_timeout, 4321)], ["1ms", true]);
      const reads = seen.filter((r) => r.what === "read people");
      assert.ok(reads.length >= 2, `${reads.length} reads seen`);
      for (const r of reads) {
        assert.ok(near(r.lock_timeout, 4321) && near(r.statement_timeout, 4321), JSON.stringify(r));
      }
      // Readiness runs under its own deadline (2 s by default), in a transaction of its own.
      await sql`DELETE FROM seen`;
      assert.deepEqual(await gallery.check(), { faces: 2 });
      const [ready] = await sql`SELECT lock_timeout, statement_timeout FROM seen`;
      assert.ok(ready && near(ready.statement_timeout, 2000) && near(ready.lock_timeout, 2000), JSON.stringify(ready));
      // SET LOCAL: nothing is left on the session afterwards.
      const [after] = await sql`SELECT current_setting('lock_timeout') AS l, current_setting('statement_timeout') AS s`;
      assert.deepEqual([after!.l, after!.s], ["0", "0"]);
    } finally {
      await sql.end();
      await gallery.close();
      await database.stop();
    }
  },
});

/**
 * A TCP relay in front of a database that can stop passing bytes on (as a server stopped by
 * SIGSTOP looks from the client: connected, silent) and start again; or cut the connections
 * open now for good, as a network that drops a server's packets (new ones pass).
 */
function stallableRelay(target: { hostname: string; port: number }) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let resume = Promise.withResolvers<void>();
  resume.resolve();
  let stalled = false;
  const closing = Promise.withResolvers<void>();
  const conns: Deno.Conn[] = [];
  const pairs: { cut: boolean }[] = [];
  const pump = async (from: Deno.Conn, to: Deno.Conn, pair: { cut: boolean }) => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        if (stalled) await resume.promise;
        if (pair.cut) {
          await closing.promise;
          break;
        }
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch {
      // closed
    } finally {
      try {
        to.close();
      } catch { /* closed already */ }
    }
  };
  const accepting = (async () => {
    for await (const client of listener) {
      const server = await Deno.connect(target);
      const pair = { cut: false };
      conns.push(client, server);
      pairs.push(pair);
      pump(client, server, pair);
      pump(server, client, pair);
    }
  })().catch(() => {});
  return {
    url: (database: string) => `postgres://postgres@127.0.0.1:${listener.addr.port}/${database}`,
    /** How many connections were made through it. */
    get connections() {
      return pairs.length;
    },
    stall() {
      stalled = true;
      resume = Promise.withResolvers<void>();
    },
    resume() {
      stalled = false;
      resume.resolve();
    },
    cut() {
      for (const pair of pairs) pair.cut = true;
    },
    async close() {
      listener.close();
      closing.resolve();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed already */ }
      }
      await accepting;
    },
  };
}

Deno.test({
  name: "a database that stops answering: readiness fails within its deadline, other calls a second past timeoutMs; " +
    "afterwards the pool answers again and nothing given up on was committed",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const database = await startPglite();
    const target = new URL(database.url);
    const relay = stallableRelay({ hostname: target.hostname, port: Number(target.port) });
    const timeoutMs = 600, readyTimeoutMs = 300;
    const gallery = await openStore(relay.url("postgres"), { timeoutMs, readyTimeoutMs, connections: 2 });
    try {
      await gallery.enrol([{ label: "ann", path: "a.jpg", embedding: vector(1) }]);
      assert.deepEqual(await gallery.check(), { faces: 1 });
      relay.stall();
      for (let i = 0; i < 2; i++) {
        const t0 = performance.now();
        const e = await thrown(() => gallery.check());
        const took = performance.now() - t0;
        assert.ok(e instanceof GalleryError && e.kind === "unreachable", String(e));
        assert.match(e.message, /the database did not answer within 0\.3 s$/);
        assert.ok(took >= readyTimeoutMs - 20 && took < readyTimeoutMs + 400, `readiness took ${took} ms`);
      }
      // More calls than connections, all answered at the client's deadline.
      const t0 = performance.now();
      const answers = await Promise.all([
        thrown(() => gallery.enrol([{ label: "bob", path: "b.jpg", embedding: vector(2) }])),
        thrown(() => gallery.enrol([{ label: "cy", path: "c.jpg", embedding: vector(3) }])),
        thrown(() => gallery.people()),
        thrown(() => gallery.match([vector(1)])),
      ]);
      const took = performance.now() - t0;
      for (const e of answers) assert.ok(e instanceof GalleryError && e.kind !== "invalid", String(e));
      assert.ok(answers.some((e) => e instanceof GalleryError && e.kind === "unreachable"));
      assert.ok(took < timeoutMs + CLIENT_GRACE_MS + 400, `the calls took ${took} ms`);
      relay.resume();
      // The connections held by the stalled calls come back; what was given up on rolled back.
      assert.deepEqual(await gallery.check(), { faces: 1 });
      assert.deepEqual(await gallery.people(), [{ label: "ann", faces: 1 }]);
      assert.deepEqual(await gallery.enrol([{ label: "dee", path: "d.jpg", embedding: vector(4) }]), {
        faces: 2,
        people: 2,
      });
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual((await gallery.people()).map((p) => p.label), ["ann", "dee"]);
    } finally {
      relay.resume();
      await gallery.close();
      await relay.close();
      await database.stop();
    }
  },
});

Deno.test({
  name: "serve, enrol, predict with a password holding / or @ in --gallery: no line printed holds it; exit 2",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const password = "Zm9v/YmFy+cXV4";
    const cases: [string[], RegExp][] = [
      // Nothing listens on port 1: the client's refusal, named by the URL without its password.
      [
        ["serve", "--gallery", `postgres://face2vec:${password}@127.0.0.1:1/faces`, "--port", "0", "--workers", "1"],
        /^postgres:\/\/face2vec@127\.0\.0\.1:1\/faces: cannot connect \(/,
      ],
      [
        ["enrol", "ann", "x.jpg", "--gallery", "postgres://u:se@cret@127.0.0.1:1/db"],
        /^postgres:\/\/u@127\.0\.0\.1:1\/db: cannot connect \(/,
      ],
      // URLs that cannot be read: the reason and the form, never the URL.
      [
        ["serve", "--gallery", `postgres://face2vec:${password}@127.0.0.1:1/fa%zz`, "--port", "0"],
        /^--gallery: bad percent-encoding in the URL's database name$/,
      ],
      [
        ["predict", "x.jpg", "--gallery", `postgres://face2vec:${password}@db host/faces`],
        /^--gallery: not a postgres:\/\/ URL: the host is not a name or an address \(postgres:\/\/\[user\[:password\]@\]host\[:port\]\/database\)$/,
      ],
      // Not postgres:// at all (commander used to quote the value).
      [
        ["serve", "--gallery", `postgresql:/face2vec:${password}@127.0.0.1/faces`],
        /^--gallery: give a postgres:\/\/ URL/,
      ],
    ];
    for (const [args, line] of cases) {
      const run = await runCli(args);
      const printed = [...run.stdout, ...run.stderr].join("\n");
      assert.equal(run.code, 2, `${args.join(" ")}: ${printed}`);
      assert.equal(run.stderr.length, 1, printed);
      assert.match(run.stderr[0]!, line);
      for (const secret of [password, encodeURIComponent(password), "se@cret", "cret@"]) {
        assert.ok(!printed.includes(secret), `${args.join(" ")} printed ${secret}: ${printed}`);
      }
    }
    // The line that says which permissions to give repeats the command, without the password.
    const { permissionHint } = await import("../lib/cli/_permissions.ts");
    const hint = permissionHint(["serve", "--gallery", `postgres://face2vec:${password}@127.0.0.1/faces`], "cli.ts");
    assert.ok(!hint.includes(password), hint);
    assert.match(hint, /--allow-net .* cli\.ts serve --gallery 'postgres:\/\/face2vec:\*\*\*\*@127\.0\.0\.1\/faces'$/);
  },
});

realServerTest(
  "a row lock held elsewhere: enrolments answer 'busy' within their limits, reads are served meanwhile, nothing given up on is kept",
  async (url) => {
    const timeoutMs = 1500;
    const gallery = await openStore(url, { timeoutMs, connections: 4 });
    const holder = postgres(url, { onnotice: () => {}, max: 1 });
    const face = (path: string, seed: number) => ({ label: "ann", path, embedding: vector(seed) });
    try {
      await gallery.enrol([face("a.jpg", 1)]);
      const locked = Promise.withResolvers<void>();
      const release = Promise.withResolvers<void>();
      const holding = holder.begin(async (tx) => {
        await tx`SELECT 1 FROM face2vec_people WHERE label = 'ann' FOR UPDATE`;
        locked.resolve();
        await release.promise;
      });
      await locked.promise;
      // More writers waiting than the pool has connections.
      const t0 = performance.now();
      const writers = Array.from(
        { length: 6 },
        (_, i) =>
          thrown(() => gallery.enrol([face(`w${i}.jpg`, 10 + i)])).then((e) => ({ e, ms: performance.now() - t0 })),
      );
      await new Promise((r) => setTimeout(r, 200));
      for (const read of [() => gallery.people(), () => gallery.match([vector(1)]), () => gallery.check()]) {
        const t = performance.now();
        await read();
        assert.ok(performance.now() - t < 500, `a read took ${performance.now() - t} ms while writers waited`);
      }
      for (const { e, ms } of await Promise.all(writers)) {
        assert.ok(e instanceof GalleryError && e.kind === "busy", String(e));
        assert.ok(ms < timeoutMs + CLIENT_GRACE_MS, `answered after ${ms} ms`);
      }
      // A call's own lock wait (the file store's lockTimeoutMs) is its lock_timeout here.
      const t1 = performance.now();
      const quick = await thrown(() => gallery.remove("ann", { lockTimeoutMs: 200 }));
      assert.ok(quick instanceof GalleryError && quick.kind === "busy", String(quick));
      assert.match(quick.message, /lock timeout/);
      assert.ok(performance.now() - t1 < 1000, `remove waited ${performance.now() - t1} ms`);
      // --lock-timeout 0: tried once, refused at once by the server (not waited for without limit).
      const t2 = performance.now();
      const none = await thrown(() => gallery.remove("ann", { lockTimeoutMs: 0 }));
      assert.ok(none instanceof GalleryError && /lock timeout/.test(none.message), String(none));
      assert.ok(performance.now() - t2 < 500, `remove waited ${performance.now() - t2} ms`);
      release.resolve();
      await holding;
      assert.deepEqual(await gallery.enrol([face("b.jpg", 2)]), { faces: 2, people: 1 });
      assert.deepEqual(await gallery.people(), [{ label: "ann", faces: 2 }]);
    } finally {
      await holder.end();
      await gallery.close();
    }
  },
);

pgClusterTest(
  "PostgreSQL's password check: a password with / @ # ? % : or spaces in the URL logs in; a wrong one is refused, unprinted",
  async (bin) => {
    const cluster = await startCluster(bin);
    const admin = postgres(cluster.url, { onnotice: () => {}, max: 1 });
    try {
      // One role per password, each owning a database with pgvector; its logins over TCP checked by SCRAM.
      const roles = AWKWARD_PASSWORDS.map((password, i) => ({ role: `pw${i}`, password }));
      for (const { role, password } of roles) {
        await admin.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD '${password.replaceAll("'", "''")}'`);
        await admin.unsafe(`CREATE DATABASE ${role} OWNER ${role}`);
        const db = postgres(cluster.url.replace(/\/postgres$/, `/${role}`), { onnotice: () => {}, max: 1 });
        await db`CREATE EXTENSION vector`;
        await db.end();
      }
      const hba = `${cluster.dir}/data/pg_hba.conf`;
      const rules = roles.map(({ role }) => `host ${role} ${role} 127.0.0.1/32 scram-sha-256`).join("\n");
      await Deno.writeTextFile(hba, `${rules}\n${await Deno.readTextFile(hba)}`);
      await admin`SELECT pg_reload_conf()`;
      const port = new URL(cluster.url).port;
      for (const { role, password } of roles) {
        for (const written of [password, encodeURIComponent(password)]) {
          const gallery = await openStore(`postgres://${role}:${written}@127.0.0.1:${port}/${role}`);
          try {
            assert.deepEqual(await gallery.check(), { faces: 0 }, `${role}: ${password}`);
          } finally {
            await gallery.close();
          }
        }
        const wrong = `${password}x`;
        const e = await thrown(() => openStore(`postgres://${role}:${wrong}@127.0.0.1:${port}/${role}`));
        assert.ok(e instanceof GalleryError && e.kind === "unreachable", String(e));
        assert.equal(
          e.message,
          `postgres://${role}@127.0.0.1:${port}/${role}: cannot connect (password authentication failed for user "${role}")`,
        );
        for (const text of [String(e), e.stack ?? ""]) {
          assert.ok(!text.includes(wrong) && !text.includes(encodeURIComponent(wrong)), text);
        }
      }
    } finally {
      await admin.end();
      await cluster.remove();
    }
  },
);

Deno.test({
  name:
    "serve: the database's 'busy' (a lock or statement timeout) is 503 busy with Retry-After: 1; 'unreachable' stays 503 gallery_unavailable",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { createService } = await import("../lib/serve/service.ts");
    const location = "postgres://face2vec@127.0.0.1:5432/faces";
    const cases: [GalleryError, number, string, string][] = [
      [new GalleryError("busy", location, "busy: canceling statement due to lock timeout; retry"), 503, "busy", "1"],
      [
        new GalleryError("unreachable", location, "the database did not answer within 31 s"),
        503,
        "gallery_unavailable",
        "5",
      ],
    ];
    for (const [error, status, code, retry] of cases) {
      const gallery = failingGallery(() => error, location);
      const service = createService({ gallery, workers: 1 });
      try {
        for (const [method, path] of [["GET", "/v1/people"], ["DELETE", "/v1/people/ann"]] as const) {
          const r = await service.handle(new Request(`http://127.0.0.1/${path.slice(1)}`, { method }));
          const body = await r.json();
          assert.deepEqual([r.status, body.error.code, r.headers.get("retry-after")], [status, code, retry], path);
        }
      } finally {
        await service.close();
      }
    }
  },
});

Deno.test({
  name: "connections cut off for good (no reset, no answer): once every connection is held past the deadline, " +
    "the gallery drops its pool and new connections answer",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const database = await startPglite();
    const target = new URL(database.url);
    const relay = stallableRelay({ hostname: target.hostname, port: Number(target.port) });
    const timeoutMs = 500;
    const gallery = await openStore(relay.url("postgres"), { timeoutMs, readyTimeoutMs: 300, connections: 2 });
    try {
      // Both connections open (two transactions at once), and readiness's own.
      await Promise.all([
        gallery.enrol([{ label: "ann", path: "a.jpg", embedding: vector(1) }]),
        gallery.match([vector(1)]).catch(() => []),
      ]);
      await gallery.check();
      const before = relay.connections;
      relay.cut();
      // Two reads take both connections and get no answer.
      const lost = await Promise.all([thrown(() => gallery.people()), thrown(() => gallery.people())]);
      for (const e of lost) assert.ok(e instanceof GalleryError && e.kind === "unreachable", String(e));
      assert.ok(await thrown(() => gallery.check()) instanceof GalleryError);
      // The next calls go through new connections.
      assert.deepEqual(await gallery.people(), [{ label: "ann", faces: 1 }]);
      assert.deepEqual(await gallery.check(), { faces: 1 });
      assert.deepEqual(await gallery.enrol([{ label: "bob", path: "b.jpg", embedding: vector(2) }]), {
        faces: 2,
        people: 2,
      });
      assert.ok(relay.connections > before, `${relay.connections} connections, ${before} before the cut`);
    } finally {
      await gallery.close();
      await relay.close();
      await database.stop();
    }
  },
});
