// Plain CommonJS on purpose: it must run on the old Node it refuses. Without it
// Node 20 fails on the first .ts file with ERR_UNKNOWN_FILE_EXTENSION, which
// names neither the version nor the fix. Run as `npm ci`'s preinstall and
// preloaded (`node -r`) by every npm script.
"use strict";
const required = 24;
const major = Number(process.versions.node.split(".")[0]);
if (major < required) {
  process.stderr.write(
    `homelab needs Node.js ${required} or newer; this is Node.js ${process.versions.node} (${process.execPath}).\n` +
      `Fix: install Node.js ${required} and select it, e.g. \`nvm install && nvm use\` (reads .nvmrc),\n` +
      "or without nvm see README.md#node-24 (.ci/run fetches Node 24 as an npm package).\n",
  );
  process.exit(1);
}
