// Throughput and latency of Baton's main job against a baseline on the same dev chain, in one
// run: balance transfers per second near the block limit, then complete request lifecycles per
// second (submit → offchain call → signed report → settled), and the submit → response-available
// latency. Prints ratios, not pass/fail: the numbers go to docs/performance.md.
//
// Lifecycles are measured twice: one `submit_request` transaction per request, and requests
// sent as a dApp with many calls sends them, `--batch` to a `submit_requests` transaction.
// Each worker executes at most `MaxExecutionsPerBlock` (128) requests a block, so the default
// eight operators keep up with the most lifecycles block weight allows.
//
//   node scripts/bench-throughput.mjs [--transfers N] [--requests N] [--batched-requests N]
//                                     [--batch N] [--operators N] [--deadline BLOCKS]
import { chainError, plain } from '@baton/client';
import { startDevNode, sleep } from '../tests/lib/node.mjs';
import { accounts, bondOperator, gatewayKey, registerApi, startUpstream } from '../tests/lib/gateway.mjs';
import os from 'node:os';
import { u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TRANSFERS = arg('--transfers', 3_000);
const REQUESTS = arg('--requests', 600);
// As many batched lifecycles as transfers, so both fill blocks for a while at their limit.
const BATCHED_REQUESTS = arg('--batched-requests', TRANSFERS);
const BATCH = arg('--batch', 40);
const OPERATORS = arg('--operators', 8);
const DEADLINE = arg('--deadline', 8);
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

/** Sends every transaction, then waits until `finished()` reaches `total`, telling how far it got. */
async function run(signed, finished, total, timeoutMs = 900_000) {
  // Sent just after a block, so that the pool has them all when the next one is built.
  const seen = blocks.length;
  while (blocks.length === seen) await sleep(20);
  const start = Date.now();
  const firstBlock = blocks.length;
  await Promise.all(signed.map((tx) => api.rpc.author.submitExtrinsic(tx)));
  let told = start;
  while (finished() < total && Date.now() - start < timeoutMs) {
    await sleep(250);
    // A refused transaction would leave the run waiting for what never comes.
    const failed = blocks.slice(firstBlock).flatMap((b) => b.events)
      .find(({ event }) => api.events.system.ExtrinsicFailed.is(event));
    if (failed) throw new Error(`a transaction failed: ${chainError(api.registry, failed.event.data.dispatchError).message}`);
    if (Date.now() - told > 30_000) {
      told = Date.now();
      progress(`… ${finished()} of ${total} by block #${blocks.at(-1)?.number}`);
    }
  }
  if (finished() < total) {
    const counts = blocks.slice(-20).map((b) => `#${b.number}:${b.events.length}`).join(' ');
    throw new Error(`benchmark did not finish in time; last blocks (events): ${counts}`);
  }
}

/**
 * `[section, method]` events per second of block time, from the first block holding a `begin`
 * event (the run's first transaction: a transfer, or a submission) to the last block holding
 * one — a lifecycle's pipeline counts in full. `perBlock` tells what each of those blocks held.
 */
function rate(from, [section, method], begin = [section, method], held = (b) => count(b, section, method)) {
  const after = blocks.filter((b) => b.number >= from);
  const first = after.find((b) => count(b, ...begin) > 0).number;
  const last = after.findLast((b) => count(b, section, method) > 0).number;
  const total = after.reduce((sum, b) => sum + count(b, section, method), 0);
  const span = last - first + 1;
  const perBlock = after.filter((b) => b.number >= first && b.number <= last).map(held);
  return { total, blocks: span, perSecond: total / (span * 3), perBlock };
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
/** A client's `submitRequests` carries several requests. */
const submissionsIn = (call) => {
  if (call.section !== 'gateway') return 0;
  if (call.method === 'submitRequest') return 1;
  return call.method === 'submitRequests' ? call.args[1].length : 0;
};
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
// An operator takes as many requests at once as its stake allows: stake for twice its share of
// the largest run, so that routing never runs out of operators.
const params = await api.query.operatorStaking.params();
const slotsPerMinBond = params.minBond.toBigInt() / params.stakePerSlot.toBigInt();
const slots = BigInt(Math.ceil((2 * Math.max(REQUESTS, BATCHED_REQUESTS)) / OPERATORS));
const stakeMultiple = (slots + slotsPerMinBond - 1n) / slotsPerMinBond;
for (let i = 0; i < OPERATORS; i++) {
  // A raw seed, as docs/operators.md advises: the keystore re-derives a key from what was
  // inserted at every signature, and a phrase costs a PBKDF2 (~2.5 ms) each time.
  const seed = u8aToHex(blake2AsU8a(`bench gateway ${i}`));
  const operator = who.alice.derive(`//bench/operator/${i}`);
  await bondOperator(api, {
    funder: who.alice, operator, gateway: await gatewayKey(seed), gatewaySeed: seed,
    apiIds: [apiId], capacity: 100_000, stakeMultiple,
  });
}

// Baseline: transfers.
progress(`baseline: ${TRANSFERS} transfers`);
const perSender = Math.ceil(TRANSFERS / senders.length);
const dest = who.alice.derive('//bench/sink').address;
const transfers = await presign(perSender, () => api.tx.balances.transferKeepAlive(dest, 10n ** 10n));
const from = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
const countAll = (section, method) =>
  blocks.filter((b) => b.number >= from).reduce((sum, b) => sum + count(b, section, method), 0);
await run(transfers, () => countAll('balances', 'Transfer'), transfers.length);
const transferRate = rate(from, ['balances', 'Transfer']);
const transferWeight = (await weighed(from, each('balances', 'transferKeepAlive'))).perUnit;

/**
 * Sends `signed` submissions of `total` requests and waits until every one is settled. Returns
 * the completion rate and, per lifecycle (redundancy 1: one submission and one report), the
 * block weight of its submission and of its report.
 */
async function lifecycles(signed, total) {
  const start = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
  const since = (method) => blocks.filter((b) => b.number >= start).reduce((sum, b) => sum + count(b, 'gateway', method), 0);
  await run(signed, () => since('RequestCompleted') + since('RequestRefunded'), total);
  // Why any request was refunded: its reports (none means no report landed by the deadline).
  for (const block of blocks.filter((b) => b.number >= start)) {
    for (const { event } of block.events.filter(({ event }) => event.method === 'RequestRefunded')) {
      const request = plain(await api.rpc.gateway.request(event.data.requestId.toNumber()));
      progress(`refunded ${event.data.requestId}: reports ${JSON.stringify(request.reports.map((r) => r.status))}`);
    }
  }
  const submit = await weighed(start, submissionsIn);
  const report = await weighed(start, reportsIn);
  // Requests submitted and completed in each block, to see the pipeline.
  const held = (b) => `${count(b, 'gateway', 'RequestSubmitted')}/${count(b, 'gateway', 'RequestCompleted')}`;
  return {
    rate: rate(start, ['gateway', 'RequestCompleted'], ['gateway', 'RequestSubmitted'], held),
    refunded: since('RequestRefunded'),
    submit, report, weight: submit.perUnit + report.perUnit,
  };
}

const quote = plain(await api.rpc.gateway.quote(apiId, 1));
const request = (deadline) =>
  ({ method: 'Get', path: '/price', headers: [], body: '', redundancy: 1, maxFee: BigInt(quote.total), deadline });
const deadlineFromNow = async () => (await api.rpc.chain.getHeader()).number.toNumber() + DEADLINE;

progress(`${REQUESTS} request lifecycles, one submit_request each`);
let deadline = await deadlineFromNow();
const single = await lifecycles(await presign(Math.ceil(REQUESTS / senders.length), () => {
  const { method, path, headers, body, redundancy, maxFee } = request(deadline);
  return api.tx.gateway.submitRequest(apiId, method, path, headers, body, redundancy, maxFee, deadline);
}), REQUESTS);

progress(`${BATCHED_REQUESTS} request lifecycles, ${BATCH} to a submit_requests`);
deadline = await deadlineFromNow();
const batches = Math.ceil(BATCHED_REQUESTS / senders.length / BATCH);
const batched = await lifecycles(
  await presign(batches, () => api.tx.gateway.submitRequests(apiId, Array(BATCH).fill(request(deadline)))),
  batches * senders.length * BATCH,
);

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
  let request = plain(await api.rpc.gateway.request(id));
  while (request.status === 'pending' || (request.status === 'completed' && !plain(await api.rpc.gateway.response(id)))) {
    await sleep(20);
    request = plain(await api.rpc.gateway.request(id));
  }
  if (request.status !== 'completed') {
    progress(`request ${id} ${request.status}: ${JSON.stringify(request.reports)}`);
    continue;
  }
  latencies.push({ ms: Date.now() - sentAt, blocks: request.settledAt - block, upstreamMs: request.reports[0].latencyMs });
}
const normalBlock = api.consts.system.blockWeights.perClass.normal.maxTotal.unwrap().refTime.toNumber();

watching = false;
unsubscribe();
await stop();

const fmt = (n) => n.toFixed(1);
const us = (ps) => (ps / 1e6).toFixed(0);
const percent = (x) => `${(x * 100).toFixed(1)} %`;
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0].model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`);
console.log(`transfers: ${transferRate.total} in ${transferRate.blocks} blocks (${transferRate.perBlock.join(' ')}) = ${fmt(transferRate.perSecond)}/s; block weight ${us(transferWeight)} µs, ${Math.floor(normalBlock / transferWeight)} per block at the limit`);
for (const [label, l] of [['one submit_request each', single], [`${BATCH} to a submit_requests`, batched]]) {
  console.log(`lifecycles, ${label}:`);
  console.log(`  ${l.rate.total} in ${l.rate.blocks} blocks = ${fmt(l.rate.perSecond)}/s, ${l.refunded} refunded; per second ${percent(l.rate.perSecond / transferRate.perSecond)} of transfers`);
  console.log(`  submitted/completed in each block: ${l.rate.perBlock.join(' ')}`);
  console.log(`  block weight ${us(l.weight)} µs (submit ${us(l.submit.perUnit)}, ${l.submit.units} in ${l.submit.transactions} transactions; report ${us(l.report.perUnit)}, ${l.report.units} in ${l.report.transactions} transactions)`);
  console.log(`  at the block-weight limit ${Math.floor(normalBlock / l.weight)} per block = ${percent(transferWeight / l.weight)} of transfers`);
}
const pick = (key, p) => percentile(latencies.map((l) => l[key]), p);
console.log(`latency submit → response available (${LATENCY_SAMPLES} requests one at a time):`);
console.log(`  blocks after the submission's block: p50 ${pick('blocks', 50)}, p99 ${pick('blocks', 99)}`);
console.log(`  ms from sending: p50 ${pick('ms', 50)}, p99 ${pick('ms', 99)} (upstream p50 ${pick('upstreamMs', 50)} ms; block time 3000 ms)`);
process.exit(0);
