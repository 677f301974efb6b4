// The `baton` program as its users run it: `baton gateway` in front of a node, and a loopback
// TCP proxy that tests put between it and an operator's relay endpoint to make that operator
// late or dead on demand.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { batonProgram, freePorts } from './node.mjs';
import { httpRequest } from './relay.mjs';

/**
 * Starts `baton gateway --node <node>` as the account of `suri` (given in BATON_SURI, as the
 * docs say), on `port` (default: a free one), with `args` added; resolves once it listens.
 * Returns { url, output (its lines so far), seenAt (when each line came, in ms), metric(name,
 * labels), call(path, options), stop() (SIGTERM, then its exit code) }.
 */
export async function startGateway({ node, suri, port, args = [] }) {
  port = port ?? (await freePorts(1))[0];
  const child = spawn(batonProgram(), ['gateway', '--node', node, '--listen', `127.0.0.1:${port}`, ...args], {
    env: { ...process.env, BATON_SURI: suri },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = [];
  const seenAt = [];
  const exited = once(child, 'exit');
  const keep = (chunk) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      output.push(line);
      seenAt.push(Date.now());
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const deadline = Date.now() + 30_000;
  while (!output.some((line) => line.includes('listening on'))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`baton gateway did not start:\n${output.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    output,
    seenAt,
    /** `GET|POST … <url><path>`: { status, headers, bodyBytes, body }. */
    call: (path, options = {}) => httpRequest(`${url}${path}`, options),
    /** The value of metric `name` with exactly these `labels` ({} for none), 0 if absent. */
    async metric(name, labels = {}) {
      const { body } = await httpRequest(`${url}/metrics`);
      const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
      const series = wanted ? `${name}{${wanted}}` : name;
      const line = body.split('\n').find((l) => l.startsWith(`${series} `));
      return line ? Number(line.split(' ')[1]) : 0;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      const [code] = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** `planck` (a BigInt in the smallest unit, 12 decimals) as the BTN text `baton` takes. */
export const btn = (planck) => `${planck / 10n ** 12n}.${(planck % 10n ** 12n).toString().padStart(12, '0')}`;

/**
 * Runs `baton <args>` with `env` added, without blocking this process (its servers keep
 * answering): resolves with { status, stdout, stderr }.
 */
export const runBaton = (args, env = {}) => runCommand(batonProgram(), args, env);

/** Runs `file` with `args` and `env` added, without blocking: { status, stdout, stderr }. */
export function runCommand(file, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * Runs `baton verify` against the node at `node` on `answer`'s receipt (its Baton-Receipt and
 * Baton-Receipt-Signature headers, saved as a user would) and body: { status, stdout, stderr }.
 * Synchronous: the caller's own servers wait meanwhile.
 */
export function batonVerify(node, answer) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-verify-'));
  try {
    const receipt = path.join(dir, 'receipt.json');
    const body = path.join(dir, 'body');
    fs.writeFileSync(receipt, JSON.stringify({
      receipt: answer.headers['baton-receipt'], signature: answer.headers['baton-receipt-signature'],
    }));
    fs.writeFileSync(body, answer.bodyBytes);
    return spawnSync(batonProgram(), ['verify', receipt, '--body', body, '--node', node], { encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A TCP proxy on 127.0.0.1 to `target` (http://host:port). `mode` is 'pass' (bytes flow),
 * 'hang' (what clients send is dropped, so they wait for an answer that never comes, also on
 * connections already open) or 'dead' (every connection is cut and new ones are refused).
 */
export async function startProxy(target) {
  const { hostname, port } = new URL(target);
  const sockets = new Set();
  let mode = 'pass';
  let server;
  const listen = async (at) => {
    server = net.createServer((client) => {
      const upstream = net.connect(Number(port), hostname);
      sockets.add(client).add(upstream);
      client.on('data', (data) => { if (mode === 'pass') upstream.write(data); });
      upstream.on('data', (data) => client.write(data));
      const end = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    server.listen(at, '127.0.0.1');
    await once(server, 'listening');
    return server.address().port;
  };
  const at = await listen(0);
  return {
    url: `http://127.0.0.1:${at}`,
    get mode() { return mode; },
    async set(next) {
      if (next === 'dead' && mode !== 'dead') {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
      } else if (next !== 'dead' && mode === 'dead') {
        await listen(at);
      }
      mode = next;
    },
    close: () => (mode === 'dead' ? Promise.resolve() : new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(resolve);
    })),
  };
}
