// Throughput and latency of Baton's main job against a baseline on the same dev chain, in one
// run: balance transfers per second near the block limit, then complete request lifecycles per
// second (submit → offchain call → signed report → settled), and the submit → response-available
// latency. Prints ratios, not pass/fail: the numbers go to docs/performance.md.
//
//   node scripts/bench-throughput.mjs [--transfers N] [--requests N] [--operators N]
import { startDevNode, sleep } from '../tests/lib/node.mjs';
import { accounts, bondOperator, gatewayKey, registerApi, rpc, startUpstream } from '../tests/lib/gateway.mjs';
import { sendAndFinalize } from '../tests/lib/node.mjs';
import os from 'node:os';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TRANSFERS = arg('--transfers', 3_000);
const REQUESTS = arg('--requests', 600);
const OPERATORS = arg('--operators', 4);
const LATENCY_SAMPLES = arg('--latency-samples', 20);

const upstream = await startUpstream(() => ({ body: '{"price":7.25}' }));
const node = await startDevNode();
const { api } = node;
const who = await accounts();
// Ferdie is kept for the latency requests.
const senders = Object.values(who).filter((account) => account !== who.ferdie);

/** Watches blocks: when each was seen, its number, and the events it holds. */
const blocks = [];
let watching = true;
const unsubscribe = await api.rpc.chain.subscribeNewHeads(async (header) => {
  if (!watching) return;
  const seenAt = Date.now();
  const events = await api.query.system.events.at(header.hash).catch(() => null);
  if (events) blocks.push({ number: header.number.toNumber(), hash: header.hash, seenAt, events });
});
const count = (block, section, method) =>
  block.events.filter(({ event }) => event.section === section && event.method === method).length;

/** Signs `n` transactions from each sender with consecutive nonces. */
async function presign(perSender, makeTx) {
  const signed = [];
  for (const sender of senders) {
    let nonce = (await api.rpc.system.accountNextIndex(sender.address)).toNumber();
    for (let i = 0; i < perSender; i++) {
      signed.push(await makeTx(sender, i).signAsync(sender, { nonce: nonce++, era: 0 }));
    }
  }
  return signed;
}

/** Sends every transaction, then waits until `done(blocks)` holds. */
async function run(signed, done, timeoutMs = 600_000) {
  const start = Date.now();
  await Promise.all(signed.map((tx) => api.rpc.author.submitExtrinsic(tx)));
  while (!done() && Date.now() - start < timeoutMs) await sleep(250);
  if (!done()) {
    const counts = blocks.slice(-20).map((b) => `#${b.number}:${b.events.length}`).join(' ');
    throw new Error(`benchmark did not finish in time; last blocks (events): ${counts}`);
  }
}

/** Per second of block time over the blocks that hold at least one counted event. */
function rate(from, section, method) {
  const busy = blocks.filter((b) => b.number >= from && count(b, section, method) > 0);
  const total = busy.reduce((sum, b) => sum + count(b, section, method), 0);
  const span = busy.at(-1).number - busy[0].number + 1;
  const perBlock = Math.max(...busy.map((b) => count(b, section, method)));
  return { total, blocks: span, perSecond: total / (span * 3), maxPerBlock: perBlock };
}

/**
 * Block weight (ref time, ps) per unit of the successful extrinsics in the blocks from `from`
 * on, where `units(call)` says how many units a call carries (0: not counted) — a transfer, a
 * submission, or the reports of a `reportResults`, which share its weight. Each is what it was
 * charged after dispatch, as `ExtrinsicSuccess` reports it, base extrinsic weight included.
 * Also returns how many units went in how many transactions.
 */
async function weighed(from, units) {
  let total = 0n;
  let counted = 0;
  let transactions = 0;
  for (const block of blocks.filter((b) => b.number >= from)) {
    const { block: { extrinsics } } = await api.rpc.chain.getBlock(block.hash);
    for (const { event, phase } of block.events) {
      if (!phase.isApplyExtrinsic || event.section !== 'system' || event.method !== 'ExtrinsicSuccess') continue;
      const n = units(extrinsics[phase.asApplyExtrinsic.toNumber()].method);
      if (n === 0) continue;
      total += event.data.dispatchInfo.weight.refTime.toBigInt();
      counted += n;
      transactions += 1;
    }
  }
  return { perUnit: counted === 0 ? 0 : Number(total / BigInt(counted)), units: counted, transactions };
}
/** One unit per call of `section.method`. */
const each = (section, method) => (call) => (call.section === section && call.method === method ? 1 : 0);
/** A worker with several reports in a block sends them in one `reportResults`. */
const reportsIn = (call) => {
  if (call.section !== 'gateway') return 0;
  if (call.method === 'reportResult') return 1;
  return call.method === 'reportResults' ? call.args[0].length : 0;
};

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

// Whatever happens, the node and the upstream stop with the script.
const stop = async () => { await node.stop(); await upstream.close(); };
process.on('uncaughtException', async (error) => { console.error(error); await stop(); process.exit(1); });
process.on('unhandledRejection', async (error) => { console.error(error); await stop(); process.exit(1); });
const progress = (text) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`);

// Setup: an API on the local upstream and operators with room for every request.
progress('setup: API and operators');
const apiId = await registerApi(api, who.alice, { baseUrl: upstream.url });
for (let i = 0; i < OPERATORS; i++) {
  const seed = `//BenchGate${i}`;
  const operator = who.alice.derive(`//bench/operator/${i}`);
  await bondOperator(api, {
    funder: who.alice, operator, gateway: await gatewayKey(seed), gatewaySeed: seed,
    apiIds: [apiId], capacity: 100_000, stakeMultiple: 50n,
  });
}

// Baseline: transfers.
progress(`baseline: ${TRANSFERS} transfers`);
const perSender = Math.ceil(TRANSFERS / senders.length);
const dest = who.alice.derive('//bench/sink').address;
const transfers = await presign(perSender, () => api.tx.balances.transferKeepAlive(dest, 10n ** 10n));
let from = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
const countAll = (section, method) =>
  blocks.filter((b) => b.number >= from).reduce((sum, b) => sum + count(b, section, method), 0);
await run(transfers, () => countAll('balances', 'Transfer') >= transfers.length);
const transferRate = rate(from, 'balances', 'Transfer');
const transferWeight = (await weighed(from, each('balances', 'transferKeepAlive'))).perUnit;

// Requests: each a full lifecycle, redundancy 1.
progress(`${REQUESTS} request lifecycles`);
const deadlineBase = (await api.rpc.chain.getHeader()).number.toNumber();
const quote = await rpc(api, 'gateway_quote', [apiId, 1]);
const requests = await presign(Math.ceil(REQUESTS / senders.length), () => api.tx.gateway.submitRequest(
  apiId, 'Get', '/price', [], '', 1, BigInt(quote.total), deadlineBase + 8,
));
from = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
const settled = () => countAll('gateway', 'RequestCompleted') + countAll('gateway', 'RequestRefunded');
await run(requests, () => settled() >= requests.length);
const lifecycleRate = rate(from, 'gateway', 'RequestCompleted');
const refunded = countAll('gateway', 'RequestRefunded');
// Why any request was refunded: its reports (none means no report landed by the deadline).
for (const block of blocks.filter((b) => b.number >= from)) {
  for (const { event } of block.events.filter(({ event }) => event.method === 'RequestRefunded')) {
    const request = await rpc(api, 'gateway_request', [event.data.requestId.toNumber()]);
    progress(`refunded ${event.data.requestId}: reports ${JSON.stringify(request.reports.map((r) => r.status))}`);
  }
}
// Redundancy 1: a lifecycle is one submission and one report.
const submitWeight = (await weighed(from, each('gateway', 'submitRequest'))).perUnit;
const reportWeight = await weighed(from, reportsIn);
const lifecycleWeight = submitWeight + reportWeight.perUnit;

// Latency, unloaded: one request at a time, from sending it to `gateway_response` serving it.
progress(`latency: ${LATENCY_SAMPLES} requests one at a time`);
const latencies = [];
for (let i = 0; i < LATENCY_SAMPLES; i++) {
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const sentAt = Date.now();
  const { id, block } = await new Promise((resolve, reject) => {
    api.tx.gateway.submitRequest(apiId, 'Get', '/price', [], '', 1, BigInt(quote.total), best + 8)
      .signAndSend(who.ferdie, ({ status, events, dispatchError }) => {
        if (dispatchError) reject(new Error(dispatchError.toString()));
        const submitted = events.find(({ event }) => event.method === 'RequestSubmitted');
        if (status.isInBlock && submitted) {
          api.rpc.chain.getHeader(status.asInBlock).then((h) => resolve({
            id: submitted.event.data.requestId.toNumber(), block: h.number.toNumber(),
          }));
        }
      }).catch(reject);
  });
  let request = await rpc(api, 'gateway_request', [id]);
  while (request.status === 'pending' || (request.status === 'completed' && !(await rpc(api, 'gateway_response', [id])))) {
    await sleep(20);
    request = await rpc(api, 'gateway_request', [id]);
  }
  if (request.status !== 'completed') {
    progress(`request ${id} ${request.status}: ${JSON.stringify(request.reports)}`);
    continue;
  }
  latencies.push({ ms: Date.now() - sentAt, blocks: request.settledAt - block, upstreamMs: request.reports[0].latencyMs });
}
const ratio = lifecycleRate.perSecond / transferRate.perSecond;
const normalBlock = api.consts.system.blockWeights.perClass.normal.maxTotal.unwrap().refTime.toNumber();

watching = false;
unsubscribe();
await stop();

const fmt = (n) => n.toFixed(1);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0].model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`);
console.log(`transfers:  ${transferRate.total} in ${transferRate.blocks} blocks = ${fmt(transferRate.perSecond)}/s (max ${transferRate.maxPerBlock}/block)`);
console.log(`lifecycles: ${lifecycleRate.total} in ${lifecycleRate.blocks} blocks = ${fmt(lifecycleRate.perSecond)}/s (max ${lifecycleRate.maxPerBlock}/block), ${refunded} refunded`);
console.log(`ratio lifecycles / transfers: ${(ratio * 100).toFixed(1)} %`);
const us = (ps) => (ps / 1e6).toFixed(0);
console.log(`reports: ${reportWeight.units} in ${reportWeight.transactions} transactions`);
console.log(`block weight: transfer ${us(transferWeight)} µs, lifecycle ${us(lifecycleWeight)} µs (submit ${us(submitWeight)} + report ${us(reportWeight.perUnit)}); at the block-weight limit ${Math.floor(normalBlock / transferWeight)} transfers or ${Math.floor(normalBlock / lifecycleWeight)} lifecycles per block = ${((transferWeight / lifecycleWeight) * 100).toFixed(1)} %`);
const pick = (key, p) => percentile(latencies.map((l) => l[key]), p);
console.log(`latency submit → response available (${LATENCY_SAMPLES} requests one at a time):`);
console.log(`  blocks after the submission's block: p50 ${pick('blocks', 50)}, p99 ${pick('blocks', 99)}`);
console.log(`  ms from sending: p50 ${pick('ms', 50)}, p99 ${pick('ms', 99)} (upstream p50 ${pick('upstreamMs', 50)} ms; block time 3000 ms)`);
process.exit(0);
