// Bundles src/main.js into ../static/app/ with esbuild. The output is committed so the
// app runs without Node; CI rebuilds and checks the result is byte-identical.
import * as esbuild from "esbuild";

await esbuild.build({
  entryPoints: ["src/main.js"],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020"],
  outfile: "../static/app/app.js",
  legalComments: "eof",
  logLevel: "info",
});
