// Builds the dashboard into dist/ (committed, embedded in the server binary),
// or with --tests the end-to-end test and the screenshot script into
// .build/tests/.
//
// dist/ is a pure function of the sources and the locked dependencies:
// esbuild names the bundle by a hash of its content, and index.html is
// written from src/index.html with those names, so `npm ci && npm run build`
// reproduces it byte for byte.

import { copyFile, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
process.chdir(root);

if (process.argv.includes("--tests")) {
  await buildTests();
} else {
  await buildDashboard();
}

async function buildDashboard() {
  const out = "dist";
  await rm(out, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: { app: "src/main.ts" },
    bundle: true,
    format: "esm",
    target: ["es2022", "chrome110", "firefox115", "safari16"],
    minify: true,
    sourcemap: false,
    charset: "utf8",
    legalComments: "eof",
    entryNames: "assets/[name]-[hash]",
    assetNames: "assets/[name]-[hash]",
    outdir: out,
    metafile: true,
    logLevel: "warning",
  });
  const names = {};
  for (const file of Object.keys(result.metafile.outputs)) {
    const relative = path.relative(out, file).split(path.sep).join("/");
    const kind = /^assets\/app-[^.]+\.(js|css)$/.exec(relative)?.[1];
    if (kind) names[`app.${kind}`] = relative;
  }
  for (const key of ["app.js", "app.css"]) {
    if (!names[key]) throw new Error(`esbuild wrote no ${key}`);
  }
  const template = await readFile("src/index.html", "utf8");
  const html = template.replace(/\{\{(app\.(?:js|css))\}\}/g, (_, key) => names[key]);
  await writeFile(path.join(out, "index.html"), html);
  for (const file of await readdir("src/public")) {
    await copyFile(path.join("src/public", file), path.join(out, file));
  }
  const files = (await readdir(out, { recursive: true })).sort();
  console.log(`dist/: ${files.join(", ")}`);
}

async function buildTests() {
  const out = ".build/tests";
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const entries = (await readdir("tests")).filter((f) => f.endsWith(".test.ts") || f === "screenshots.ts");
  await esbuild.build({
    entryPoints: entries.map((f) => path.join("tests", f)),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outExtension: { ".js": ".mjs" },
    outdir: out,
    sourcemap: "inline",
    logLevel: "warning",
  });
}
