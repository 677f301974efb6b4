// Starts a real baton-node for a test and connects polkadot.js to it, as a dApp would.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { batonRpc } from '@baton/client';

/**
 * A file of the workspace's release build: `$<variable>`, else `name` under `release/` in the
 * shared target directory.
 */
function releaseBuild(name, variable) {
  const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'baton-target');
  const file = process.env[variable] || path.join(target, 'release', name);
  if (!fs.existsSync(file)) {
    throw new Error(`${name} not found at ${file}: build it with scripts/build.sh`);
  }
  return file;
}

/** The node binary: $BATON_NODE, else the release build in the shared target directory. */
export const nodeBinary = () => releaseBuild('baton-node', 'BATON_NODE');

/** The `baton` program: $BATON_PROGRAM, else the release build in the shared target directory. */
export const batonProgram = () => releaseBuild('baton', 'BATON_PROGRAM');

/**
 * The upgrade rehearsal's runtime (spec_version 101, with a storage migration of the gateway
 * pallet), which runtime/build.rs builds beside the node's: $BATON_UPGRADE_WASM, else its build
 * in the shared target directory.
 */
export const upgradeWasm = () => releaseBuild(
  'wbuild/baton-runtime/upgrade_rehearsal.compact.compressed.wasm', 'BATON_UPGRADE_WASM');

/**
 * Where test upstreams listen: a loopback address of its own, which every node the tests start
 * allows with `--gateway-allow-hosts`. The node's RPC stays on 127.0.0.1, which its egress
 * policy refuses, so a test can show that an API pointed at the node itself is refused.
 */
export const UPSTREAM_HOST = '127.0.0.2';

/**
 * `count` distinct TCP ports that are free on 127.0.0.1 right now. All are held open until the
 * last is found: a port closed before the next is asked for can be handed out again, and a node
 * given the same port for RPC and Prometheus moves its RPC to a random port (CI once connected
 * to Prometheus instead and got a 404).
 */
export async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const server = net.createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      servers.push(server);
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => {
      server.close();
      return once(server, 'close');
    }));
  }
}

/**
 * Starts `baton-node --dev --tmp` (or on `basePath`; or, with `chain`, a validator of that spec
 * file with the keys already in its keystore), on free ports unless `rpcPort` or
 * `relayPort` is given. Returns { api, rpcUrl, relayUrl, prometheusUrl, stop, kill, logs }. The
 * relay endpoint always gets a port of its own: `--dev` would put every node on 9955. The
 * node's output is kept in memory and printed if the node fails to come up; `echo` also streams
 * it to stderr.
 */
export async function startDevNode({ args: extraArgs = [], rpcPort, relayPort, echo = false, basePath, chain } = {}) {
  // Two more than needed, in case given ports are among them.
  const given = [Number(rpcPort), Number(relayPort)];
  const ports = (await freePorts(6)).filter((port) => !given.includes(port));
  const [p2pPort, prometheusPort] = ports;
  rpcPort = rpcPort ?? ports[2];
  relayPort = relayPort ?? ports[3];
  const args = [
    // A chain spec file instead of `--dev`: the node validates with the keys in its keystore.
    ...(chain ? ['--chain', chain, '--validator'] : ['--dev']),
    ...(basePath ? ['--base-path', basePath] : ['--tmp']),
    '--rpc-port', String(rpcPort),
    '--port', String(p2pPort),
    '--prometheus-port', String(prometheusPort),
    '--relay-port', String(relayPort),
    '--no-mdns',
    '--gateway-allow-hosts', UPSTREAM_HOST,
    ...extraArgs,
  ];
  const child = spawn(nodeBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = [];
  const keep = (chunk) => {
    if (echo) process.stderr.write(chunk);
    logs.push(chunk.toString());
    if (logs.length > 2000) logs.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = once(child, 'exit');
  const running = () => child.exitCode === null && child.signalCode === null;

  const rpcUrl = `ws://127.0.0.1:${rpcPort}`;
  const stop = async () => {
    if (running()) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };

  let api;
  try {
    api = await connect(rpcUrl, child, () => logs.join(''));
  } catch (error) {
    await stop();
    throw new Error(`${error.message}\n--- node output ---\n${logs.join('')}`);
  }
  let connected = true;
  const disconnect = async () => {
    if (connected) {
      connected = false;
      await api.disconnect().catch(() => {});
    }
  };
  return {
    api,
    rpcUrl,
    relayUrl: `http://127.0.0.1:${relayPort}`,
    prometheusUrl: `http://127.0.0.1:${prometheusPort}/metrics`,
    logs,
    async stop() {
      await disconnect();
      await stop();
    },
    /**
     * Kills the node with SIGKILL, as a crash or an OOM kill would: no shutdown, nothing
     * flushed that was not already. Resolves once it has exited; its base path can then be
     * started again.
     */
    async kill() {
      if (running()) {
        child.kill('SIGKILL');
        await exited;
      }
      await disconnect();
    },
  };
}

/**
 * Connects to the node's RPC once the node says where it listens; fails if the node exits first
 * or listens elsewhere (it moves to a random port when the one asked for is taken, and a test
 * would then talk to whatever holds that port).
 */
async function connect(rpcUrl, child, output, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`baton-node exited with code ${child.exitCode}`);
    const listening = output().match(/Running JSON-RPC server: addr=127\.0\.0\.1:(\d+)/);
    if (listening) {
      const wanted = new URL(rpcUrl).port;
      if (listening[1] !== wanted) {
        throw new Error(`baton-node's RPC listens on port ${listening[1]}, not ${wanted}: the port was taken`);
      }
      return connectTo(rpcUrl);
    }
    await sleep(250);
  }
  throw new Error(`baton-node RPC did not open at ${rpcUrl} within ${timeoutMs} ms`);
}

/** An ApiPromise on a running node's RPC at `url`, with the gateway methods decorated. */
export async function connectTo(url) {
  const provider = new WsProvider(url, false);
  await provider.connect();
  const api = await ApiPromise.create({ provider, rpc: batonRpc, noInitWarn: true, throwOnConnect: true });
  providers.set(api, provider);
  return api;
}

/** The provider of each connection connectTo made. */
const providers = new WeakMap();

/**
 * A JSON-RPC call with its params sent as they are. For `author_insertKey` with a hex secret
 * seed: polkadot.js's typed `api.rpc.author.insertKey` takes the suri as `Text`, which turns a
 * hex string into the bytes it spells, and the keystore then holds a suri that derives no key.
 */
export function rawRpc(api, method, params) {
  return providers.get(api).send(method, params);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the first finalized header whose number is at least `n`. */
export async function waitForFinalized(api, n, timeoutMs = 90_000) {
  return new Promise((resolve, reject) => {
    let unsubscribe;
    const timer = setTimeout(() => {
      if (unsubscribe) unsubscribe();
      reject(new Error(`block #${n} not finalized within ${timeoutMs} ms`));
    }, timeoutMs);
    api.rpc.chain.subscribeFinalizedHeads((header) => {
      if (header.number.toNumber() >= n) {
        clearTimeout(timer);
        unsubscribe();
        resolve(header);
      }
    }).then((u) => { unsubscribe = u; });
  });
}

/**
 * Calls `onBlock(header)` for every best block from the current one on, in order and none
 * skipped, one call at a time; a block whose `onBlock` fails goes to `onError` and is tried
 * again at the next new head. Headers decode the same under every runtime, so this keeps going
 * through a runtime upgrade, where polkadot.js's `api.at(hash)` of the blocks around it may
 * decode with the wrong runtime's types. Resolves with a function that stops following.
 */
export async function followBlocks(api, onBlock, onError = (error) => console.error(error)) {
  let next;
  let stopped = false;
  let queue = Promise.resolve();
  const unsubscribe = await api.rpc.chain.subscribeNewHeads((header) => {
    queue = queue.then(async () => {
      const last = header.number.toNumber();
      next ??= last;
      for (; next <= last && !stopped; next += 1) {
        await onBlock(next === last ? header : await api.rpc.chain.getHeader(await api.rpc.chain.getBlockHash(next)));
      }
    }).catch((error) => {
      if (!stopped) onError(error);
    });
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}
