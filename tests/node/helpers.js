'use strict';
// Locates the built bundle (edgegate bundle --out DIR; DIR/viewer-request/) and the shared data.
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');

function bundleDir() {
  const dir = process.env.EDGEGATE_BUNDLE_DIR;
  if (!dir) throw new Error('EDGEGATE_BUNDLE_DIR is not set: run `edgegate bundle --config tests/corpus/config.json --out DIR` and set it to DIR (see .ci/run)');
  const vr = path.resolve(dir, 'viewer-request');
  if (!fs.existsSync(path.join(vr, 'index.js'))) throw new Error(`${vr}/index.js not found`);
  return vr;
}

// The Wycheproof vectors vendored in the repository (provenance in that folder's README).
function wycheproofDir() {
  return path.join(__dirname, '..', '..', 'keys', 'tests', 'vectors', 'wycheproof');
}

// A copy of the built bundle in a new temporary folder named after `tag`, its config.json edited
// by `mutateConfig(cfg)` when given. Required, a copy has its own module state (gate, memo, JWKS
// cooldown). Returns the folder.
function copyBundle(tag, mutateConfig) {
  const src = bundleDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `edgegate-${tag}-`));
  for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  if (mutateConfig) {
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    mutateConfig(cfg);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  }
  return dir;
}

// A copy ([copyBundle]) required, its log lines captured in `logs` (each line's text, newline
// included): { handler, logs, dir }.
function freshBundle(tag, mutateConfig) {
  const dir = copyBundle(tag, mutateConfig);
  const handler = require(path.join(dir, 'index.js'));
  const logs = [];
  handler.logSink = (line) => logs.push(line);
  return { handler, logs, dir };
}

module.exports = { bundleDir, copyBundle, freshBundle, wycheproofDir, repoDir: path.join(__dirname, '..', '..') };
