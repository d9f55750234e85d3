'use strict';
// Locates the built bundle (edgegate bundle --out DIR; DIR/viewer-request/) and the shared data.
const path = require('node:path');
const fs = require('node:fs');

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

module.exports = { bundleDir, wycheproofDir, repoDir: path.join(__dirname, '..', '..') };
