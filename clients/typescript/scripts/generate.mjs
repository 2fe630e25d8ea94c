// Runs `openapi-typescript ../../openapi/sachet.json -o src/schema.d.ts` and
// fails when the generator says anything beyond its banner and its success
// line: a warning about the document is a fault in the server's endpoint
// definitions, to be fixed there, never silenced here.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const cli = join(dirname(require.resolve("openapi-typescript/package.json")), "bin", "cli.js");
const args = ["../../openapi/sachet.json", "-o", "src/schema.d.ts"];

console.log(`openapi-typescript ${args.join(" ")}`);
const run = spawnSync(process.execPath, [cli, ...args], {
  cwd: packageDir,
  encoding: "utf8",
  env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
});
process.stdout.write(run.stdout);
process.stderr.write(run.stderr);

const expected = [/^✨ openapi-typescript \S+$/, /^🚀 \.\.\/\.\.\/openapi\/sachet\.json → src\/schema\.d\.ts \[[\d.]+m?s\]$/];
const unexpected = `${run.stdout}\n${run.stderr}`
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line !== "" && !expected.some((pattern) => pattern.test(line)));

if (run.error || run.status !== 0) {
  console.error(`generate: openapi-typescript failed (exit ${run.status}, ${run.error ?? "no spawn error"})`);
  process.exit(1);
}
if (unexpected.length > 0) {
  console.error("generate: openapi-typescript reported problems with the document:");
  for (const line of unexpected) console.error(`  ${line}`);
  process.exit(1);
}
