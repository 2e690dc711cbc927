import assert from "node:assert/strict";
import { cliReference } from "../lib/cli/reference.ts";
import { runCli } from "./_cli.ts";

const committed = await Deno.readTextFile(new URL("../docs/cli.md", import.meta.url));
const commands = ["detect", "preprocess", "train", "evaluate", "predict", "compare", "enrol", "cluster", "serve"];

Deno.test("docs/cli.md is exactly what the command definitions generate (run `deno task readme` after a change)", () => {
  assert.equal(committed, cliReference());
});

for (const command of commands) {
  Deno.test(`docs/cli.md shows \`${command} --help\` exactly as the command prints it`, async () => {
    const run = await runCli([command, "--help"]);
    assert.equal(run.code, 0);
    const printed = run.stdout.join("\n");
    const section = committed.split(`## \`${command}\`\n\n\`\`\`text\n`)[1]?.split("\n```")[0];
    assert.equal(section, printed);
    // The help names every option the command accepts, and the reference shows them all.
    for (const flag of printed.matchAll(/^ {2}(--[a-z-]+)/gm)) assert.ok(section!.includes(flag[1]!), flag[1]);
  });
}

Deno.test("docs/cli.md covers every command the program has", async () => {
  const run = await runCli(["--help"]);
  const listed = [...run.stdout.join("\n").matchAll(/^ {2}([a-z]+) \[options\]/gm)].map((m) => m[1]);
  assert.deepEqual(listed, commands);
});
