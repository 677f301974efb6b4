// The relay's cost against baselines measured in the same run, on one dev node:
// - overhead: the same upstream called directly, through the relay endpoint, and through
//   `baton gateway` in front of it (which signs each ticket and verifies each receipt),
//   interleaved call by call; p50 and p99 of each and of the per-call differences;
// - throughput: calls per second at saturation through the relay endpoint (every ticket
//   verified, every receipt signed, every voucher kept) against nginx as a reverse proxy to the
//   same upstream, from the same load generator with the same concurrency (nginx from Debian's
//   packages, installed here if missing);
// - chain cost: the block weight of a session's open, claim and close, per 1,000 relayed
//   calls, against one balance transfer; and the same for 100,000 calls in a session of 8
//   operators (8 claims), from the same weights (routing's weight does not grow with the
//   operators drawn, and claims and closes are charged for the most operators).
// - where the time goes: the endpoint's work per call besides HTTP (decoding the ticket,
//   hashing, the sr25519 verification, the ed25519 signature), measured alone by
//   `relay-endpoint/examples/relay-costs.rs`, against the machine's time per relayed call.
// Prints ratios, not pass/fail: the numbers go to docs/performance.md.
//
//   node scripts/bench-relay.mjs [--pairs N] [--seconds S] [--concurrency C]
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { encodeTicket, findEvent, plain, relayRequestHash, send, ticketMessage } from '@baton/client';
import { freePorts, startDevNode } from '../tests/lib/node.mjs';
import { accounts, bondOperator, gatewayKey, registerApi, startUpstream } from '../tests/lib/gateway.mjs';
import { openSession } from '../tests/lib/relay.mjs';
import { btn, startGateway } from '../tests/lib/program.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const PAIRS = arg('--pairs', 1_000);
const SECONDS = arg('--seconds', 10);
// The throughput's seconds go in this many rounds of relay, nginx and direct in turn, so that
// whatever else the machine does during the run weighs on the three alike.
const ROUNDS = arg('--rounds', 5);
const CONCURRENCY = arg('--concurrency', 16);
// Tickets signed before the relay's throughput is measured: more than it can serve in
// `SECONDS` on this machine, or the run ends early and says so.
const TICKETS = arg('--tickets', 60_000);
const BODY = '{"price":7.25,"pair":"DOT/USD"}';

/** Installs nginx from Debian's packages unless it is there. */
function ensureNginx() {
  try {
    execFileSync('sh', ['-c', 'command -v nginx || test -x /usr/sbin/nginx']);
    return;
  } catch {
    const sudo = process.getuid() === 0 ? [] : ['sudo'];
    execFileSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'update', '-qq'], { stdio: 'inherit' });
    execFileSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', 'nginx'], {
      stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
}

/** nginx on a free port of 127.0.0.1, proxying to `upstreamUrl` with kept-alive connections. */
async function startNginx(upstreamUrl) {
  ensureNginx();
  const [port] = await freePorts(1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-nginx-'));
  const upstreamHost = new URL(upstreamUrl).host;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream api { server ${upstreamHost}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`);
  const child = spawn(fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx',
    ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'inherit' });
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

// One agent per phase: a phase starts on fresh connections, none left idle by the last.
let agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const freshAgent = () => {
  agent.destroy();
  agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
};

/** One GET with `headers` on a kept-alive connection; resolves with its milliseconds. */
function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const request = http.request(url, { agent, headers }, (response) => {
      response.on('data', () => {});
      response.on('end', () => {
        if (response.statusCode !== 200) reject(new Error(`${url}: ${response.statusCode}`));
        else resolve(Number(process.hrtime.bigint() - started) / 1e6);
      });
    });
    request.on('error', reject);
    request.end();
  });
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/**
 * Calls `send()` with `CONCURRENCY` in flight for `seconds`, or until it returns null (nothing
 * left to send); returns { done, seconds } as they were.
 */
async function saturate(send, seconds) {
  freshAgent();
  let done = 0;
  const until = Date.now() + seconds * 1_000;
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < until) {
      const sent = send();
      if (!sent) return;
      await sent;
      done++;
    }
  }));
  return { done, seconds: (Date.now() - started) / 1_000 };
}

const upstream = await startUpstream(() => ({ body: BODY }));
const node = await startDevNode();
const { api } = node;
const who = await accounts();
try {
  const gateway = await gatewayKey('//CharlieGate');
  const apiId = await registerApi(api, who.bob, { baseUrl: upstream.url });
  await bondOperator(api, {
    funder: who.alice, operator: who.charlie, gateway, gatewaySeed: '//CharlieGate', apiIds: [apiId],
    endpoint: node.relayUrl,
  });
  const quote = plain(await api.rpc.gateway.quote(apiId, 1));
  const cost = BigInt(quote.pricePerOperator) + BigInt(quote.protocolFee);
  // Enough allowance for every call the run can make at this machine's speed.
  const calls = 400_000;
  const { sessionId, session, events: openEvents } = await openSession(api, who.dave, {
    apiId, operators: 1, allowance: cost * BigInt(calls), blocks: api.consts.relay.maxSessionBlocks.toNumber(),
  });
  const operator = session.operators[0].operator;

  // Tickets are signed before the clock starts, so the load generator measures the node, not
  // the client's sr25519 signing.
  let sequence = 0;
  const signed = [];
  // Signing yields to the event loop every 500 tickets: a minute and more of signing in one
  // stretch left the node's WebSocket unanswered until it dropped the connection.
  const ticketsFor = async (n) => {
    for (let i = 0; i < n; i++, sequence++) {
      if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
      const ticket = {
        genesisHash: api.genesisHash.toHex(), sessionId, sequence, operator,
        calls: BigInt(sequence + 1), amount: cost * BigInt(sequence + 1),
      };
      const hash = relayRequestHash({ method: 'GET', path: '/price' });
      signed.push({
        'Baton-Ticket': u8aToHex(encodeTicket(ticket)),
        'Baton-Signature': u8aToHex(u8aConcat([1], who.dave.sign(ticketMessage(ticket, hash)))),
      });
    }
  };
  const relayUrl = `${node.relayUrl}/relay/${sessionId}/price`;
  const directUrl = `${upstream.url}/price`;

  console.log(`overhead: ${PAIRS} calls each, direct, relayed and through baton gateway, interleaved`);
  await ticketsFor(PAIRS + 50);
  // Eve's gateway, with a session of its own (opened by its first call, during the warm-up).
  const local = await startGateway({
    node: node.rpcUrl, suri: '//Eve', args: ['--operators', '1', '--allowance', btn(cost * 10_000n)],
  });
  const gatewayUrl = `${local.url}/${apiId}/price`;
  freshAgent();
  for (let i = 0; i < 50; i++) { await get(directUrl); await get(relayUrl, signed.shift()); await get(gatewayUrl); }
  const direct = [];
  const relayed = [];
  const throughGateway = [];
  const differences = [];
  const gatewayDifferences = [];
  for (let i = 0; i < PAIRS; i++) {
    const d = await get(directUrl);
    const r = await get(relayUrl, signed.shift());
    const g = await get(gatewayUrl);
    direct.push(d);
    relayed.push(r);
    throughGateway.push(g);
    differences.push(r - d);
    gatewayDifferences.push(g - d);
  }
  await local.stop();

  console.log(`throughput: ${CONCURRENCY} in flight for ${SECONDS} s each, in ${ROUNDS} interleaved rounds`);
  const signingStarted = Date.now();
  await ticketsFor(Math.min(calls - sequence, TICKETS));
  console.log(`  ${TICKETS} tickets signed in ${((Date.now() - signingStarted) / 1_000).toFixed(1)} s`);
  const nginx = await startNginx(upstream.url);
  const targets = {
    relay: () => signed.length > 0 && get(relayUrl, signed.shift()),
    nginx: () => get(`${nginx.url}/price`),
    direct: () => get(directUrl),
  };
  const totals = Object.fromEntries(Object.keys(targets).map((name) => [name, { done: 0, seconds: 0 }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, send] of Object.entries(targets)) {
      const { done, seconds } = await saturate(send, SECONDS / ROUNDS);
      totals[name].done += done;
      totals[name].seconds += seconds;
    }
  }
  nginx.stop();
  const [relayRate, nginxRate, directRate] = ['relay', 'nginx', 'direct'].map((name) => totals[name].done / totals[name].seconds);

  console.log('chain cost: close, claim, transfer');
  const served = sequence - signed.length;
  const opened = findEvent(openEvents, 'system', 'ExtrinsicSuccess').data.dispatchInfo.weight.refTime.toBigInt();
  const close = await send(api.tx.relay.closeSession(sessionId, { handovers: [], outcomes: [] }), who.dave);
  const closed = findEvent(close.events, 'system', 'ExtrinsicSuccess').data.dispatchInfo.weight.refTime.toBigInt();
  const claimWeight = api.tx.relay.claim(sessionId, {
    sequence: 0, requestHash: new Uint8Array(32), calls: 1, amount: 1, signature: { Sr25519: new Uint8Array(64) },
  });
  // The claim's weight as the chain charges it, read without sending it.
  const claimed = (await claimWeight.paymentInfo(who.dave)).weight.refTime.toBigInt();
  const transfer = await send(api.tx.balances.transferKeepAlive(who.eve.address, 10n ** 12n), who.alice);
  const transferred = findEvent(transfer.events, 'system', 'ExtrinsicSuccess').data.dispatchInfo.weight.refTime.toBigInt();

  console.log('where the time goes: the endpoint\'s work per call besides HTTP, measured alone');
  const parts = execFileSync('cargo', ['run', '--release', '--locked', '-q', '-p', 'baton-relay-endpoint', '--example', 'relay-costs'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: path.join(path.dirname(new URL(import.meta.url).pathname), '..'),
      // The shared target directory, as every script uses: the node's build has all it needs.
      env: { ...process.env, CARGO_TARGET_DIR: process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'baton-target') },
    })
    .trim().split('\n').map((line) => JSON.parse(line));
  // The machine's time per relayed call at saturation: both cores, whoever used them.
  const perCall = os.availableParallelism() * 1e6 / relayRate;

  const ms = (v) => `${v.toFixed(2)} ms`;
  const sessionWeight = opened + claimed + closed;
  const share = (micros) => `${(100 * micros / perCall).toFixed(1)} %`;
  const partsSum = parts.reduce((sum, p) => sum + p.micros, 0);
  console.log(`
relay overhead (${PAIRS} calls each, interleaved)
  direct   p50 ${ms(percentile(direct, 50))}  p99 ${ms(percentile(direct, 99))}
  relayed  p50 ${ms(percentile(relayed, 50))}  p99 ${ms(percentile(relayed, 99))}
  overhead p50 ${ms(percentile(differences, 50))}  p99 ${ms(percentile(differences, 99))}
  through baton gateway p50 ${ms(percentile(throughGateway, 50))}  p99 ${ms(percentile(throughGateway, 99))}
  gateway overhead p50 ${ms(percentile(gatewayDifferences, 50))}  p99 ${ms(percentile(gatewayDifferences, 99))} (the gateway's ticket, HTTP hop and receipt check on top of the relay's)
throughput (${CONCURRENCY} in flight, ${SECONDS} s each in ${ROUNDS} interleaved rounds, ${served} relayed calls in all)
  relay ${relayRate.toFixed(0)}/s   nginx ${nginxRate.toFixed(0)}/s   direct ${directRate.toFixed(0)}/s
  relay / nginx = ${(100 * relayRate / nginxRate).toFixed(1)} %
chain cost (ref time; claim and close are charged for ${api.consts.relay.maxOperators} operators whatever the session has)
  open ${opened}   claim ${claimed}   close ${closed}   transfer ${transferred}
  this session (one operator, ${served} calls): ${(Number(sessionWeight) * 1_000 / served / Number(transferred)).toFixed(4)} transfers per 1,000 calls
  100,000 calls in a session of 8 operators (open + 8 claims + close): ${(Number(opened + 8n * claimed + closed) * 1_000 / 100_000 / Number(transferred)).toFixed(4)} transfers per 1,000 calls
where the time goes (${os.availableParallelism()} cores / ${relayRate.toFixed(0)} relayed calls/s = ${perCall.toFixed(0)} µs of machine time per call)
${parts.map((p) => `  ${p.part.padEnd(56)} ${p.micros.toFixed(2).padStart(7)} µs  ${share(p.micros)}`).join('\n')}
  ${'all of the above'.padEnd(56)} ${partsSum.toFixed(2).padStart(7)} µs  ${share(partsSum)}
  the rest: HTTP in the node (the client's exchange and the upstream's), the voucher's write
  under the ledger's lock, and the load generator and the upstream on the same cores
`);
} finally {
  await node.stop();
  await upstream.close();
  agent.destroy();
}
