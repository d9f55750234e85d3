// Shared by the headless Chromium tests (tests/browser/*.test.mjs): where the repository, the
// edgegate binary, Chromium and playwright-core are (each missing one is an error with the
// commands that provide it), `edgegate dev` as a child process, and a suite whose setup failure
// fails its tests instead of cancelling them.

import { describe, test, before } from 'node:test';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const HINT =
  'from the repository root: tests/standins/standins.sh install && tests/standins/standins.sh start && ' +
  'source target/standins/env && cargo build -p edgegate-cli && node --test tests/browser/';

// stand-ins.md: Chromium as root (playwright adds --headless and --user-data-dir itself).
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function missing(what) {
  return new Error(`${what}\n    ${HINT}`);
}

export function playwright() {
  const dir = process.env.EDGEGATE_NODE_MODULES;
  if (!dir) throw missing('EDGEGATE_NODE_MODULES is not set (the stand-ins node_modules with playwright-core)');
  try {
    return createRequire(path.join(path.resolve(dir), 'x.js'))('playwright-core');
  } catch (e) {
    throw missing(`playwright-core is not installed in EDGEGATE_NODE_MODULES=${dir}: ${e.message}`);
  }
}

export function chromiumPath() {
  const p = process.env.EDGEGATE_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(p)) throw missing(`no Chromium at ${p} (Debian package chromium; standins.sh install adds it)`);
  return p;
}

export function edgegateBin() {
  const target = process.env.CARGO_TARGET_DIR || path.join(REPO, 'target');
  const p = path.resolve(REPO, process.env.EDGEGATE_BIN || path.join(target, 'debug', 'edgegate'));
  if (!existsSync(p)) throw missing(`no edgegate binary at ${p} (set EDGEGATE_BIN or build it)`);
  return p;
}


export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A suite whose `setup` failing (a missing stand-in, binary or variable) fails every one of its
 * tests with that message, rather than cancelling them.
 */
export function suite(name, body) {
  describe(name, { concurrency: false }, () => {
    const state = { error: null };
    const step = (title, fn) =>
      test(title, async (t) => {
        if (state.error) throw state.error;
        await fn(t);
      });
    body({
      step,
      setup: (fn) =>
        before(async () => {
          try {
            await fn();
          } catch (e) {
            state.error = e;
          }
        }),
    });
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// edgegate dev as a child process
// ---------------------------------------------------------------------------------------------

export class Dev {
  constructor(child) {
    this.child = child;
    this.lines = [];
    this.stderr = '';
    this.exited = null;
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      this.stderr += d;
    });
    this.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve((this.exited = { code, signal }))));
  }

  /** `edgegate dev --addr 127.0.0.1:<port> ...args`; resolves once it prints where it serves. */
  static async start(args, port = 0) {
    const child = spawn(edgegateBin(), ['dev', '--addr', `127.0.0.1:${port}`, ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const dev = new Dev(child);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const line = dev.lines.find((l) => l.startsWith('edgegate dev: serving'));
      const m = line && line.match(/ on (http:\/\/127\.0\.0\.1:\d+) /);
      if (m) {
        dev.base = m[1];
        return dev;
      }
      if (dev.exited) throw new Error(`edgegate dev ${args.join(' ')} exited (${JSON.stringify(dev.exited)}): ${dev.stderr.trim()}`);
      if (Date.now() > deadline) {
        await dev.stop();
        throw new Error(`edgegate dev did not start within 30 s: ${dev.stderr.trim()}`);
      }
      await sleep(50);
    }
  }

  async stop() {
    if (this.exited) return;
    this.child.kill('SIGINT');
    const done = await Promise.race([this.exit, sleep(5000).then(() => null)]);
    if (!done) {
      this.child.kill('SIGKILL');
      await this.exit;
    }
  }

  /** The per-request log lines (`METHOD /path status reason detail latency`). */
  requestLines() {
    return this.lines.filter((l) => /^[A-Z]+ \//.test(l));
  }
}
