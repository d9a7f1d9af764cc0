// Copies the browser builds of our npm dependencies into wushe/static/vendor/.
// Runs at build time (make / CI); the output is git-ignored, so no library file is committed.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "wushe", "static", "vendor");
const files = [
  ["htmx.org", "dist/htmx.min.js", "htmx.min.js"],
  ["echarts", "dist/echarts.min.js", "echarts.min.js"],
];
mkdirSync(out, { recursive: true });
const manifest = {};
for (const [pkg, src, dest] of files) {
  const pkgJson = JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8"));
  copyFileSync(join(root, "node_modules", pkg, src), join(out, dest));
  manifest[dest] = { package: pkg, version: pkgJson.version, source: src };
}
writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`static: ${Object.keys(manifest).length} files -> ${out}`);
