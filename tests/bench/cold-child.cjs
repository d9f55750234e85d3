'use strict';
// One cold start, in a fresh `node` process spawned by bench.mjs. Writes one JSON line to fd 3.
//
//   node cold-child.cjs handler     <module> <event.json>   import + init, then the first event
//   node cold-child.cjs egsteps     <module> <event.json>   edgegate's init, step by step
//   node cold-child.cjs wasmcompile <module> <event.json>   read + new WebAssembly.Module only
//
// The event file is read before the clock starts. Logging is as deployed: each handler logs what
// it logs by default (edgegate one JSON line per decision) to stdout, which bench.mjs redirects to
// a file (build/cold-log.jsonl), as the Lambda runtime captures a function's stdout.
const fs = require('node:fs');
const path = require('node:path');

const [mode, mod, eventFile] = process.argv.slice(2);
const event = JSON.parse(fs.readFileSync(eventFile, 'utf8'));
const bootUs = performance.now() * 1000; // process start -> this line (Node's own bootstrap)
const ns = () => process.hrtime.bigint();
const us = (a, b) => Number(b - a) / 1000;
const verdict = (r) => (r && typeof r.uri === 'string' && !('status' in r) ? 'allow' : `deny:${r && r.status}`);

async function main() {
  if (mode === 'handler') {
    const t0 = ns();
    const h = require(mod);
    const t1 = ns();
    const res = await h.handler(event);
    const t2 = ns();
    return { init: us(t0, t1), first: us(t1, t2), total: us(t0, t2), boot: bootUs, verdict: verdict(res) };
  }
  const dir = path.dirname(mod);
  if (mode === 'egsteps') {
    const t0 = ns();
    globalThis.edgegateHost = require(path.join(dir, 'host.js'));
    const t1 = ns();
    const glue = require(path.join(dir, 'edgegate_edge.js')); // read + compile + instantiate
    const t2 = ns();
    if (typeof glue.Gate.prototype.decide === 'function') {
      // Narrow-boundary bundles: index.js reuses the glue loaded above, so requiring it now costs
      // reading config.json/jwks.json and `new Gate` (config validation + JWKS parse).
      const h = require(mod);
      const t3 = ns();
      const res = await h.handler(event);
      const t4 = ns();
      return {
        host: us(t0, t1), glue: us(t1, t2), gate: us(t2, t3), first: us(t3, t4), total: us(t0, t4),
        verdict: verdict(res),
      };
    }
    const config = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
    const jwks = fs.readFileSync(path.join(dir, 'jwks.json'), 'utf8');
    const gate = new glue.Gate(config, jwks); // config validation + JWKS parse
    const t3 = ns();
    const out = JSON.parse(gate.handle(JSON.stringify(event), Date.now() / 1000));
    const t4 = ns();
    return {
      host: us(t0, t1), glue: us(t1, t2), gate: us(t2, t3), first: us(t3, t4), total: us(t0, t4),
      verdict: out.kind === 'request' ? 'allow' : `deny:${out.response.status}`,
    };
  }
  if (mode === 'wasmcompile') {
    const t0 = ns();
    const bytes = fs.readFileSync(path.join(dir, 'edgegate_edge_bg.wasm'));
    const t1 = ns();
    new WebAssembly.Module(bytes);
    const t2 = ns();
    return { read: us(t0, t1), compile: us(t1, t2), total: us(t0, t2), bytes: bytes.length };
  }
  throw new Error(`unknown mode ${mode}`);
}

main().then(
  (r) => fs.writeSync(3, JSON.stringify(r) + '\n'),
  (err) => {
    process.stderr.write(String(err && err.stack) + '\n');
    process.exit(1);
  },
);
