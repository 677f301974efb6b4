// A request's whole life on a real node: a client pays through polkadot.js, the node's offchain
// worker calls a real HTTP server on 127.0.0.1 with each operator's gateway key, the chain
// settles, and `gateway_response` serves the upstream's bytes with a receipt that verifies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import YAML from 'yaml';
import {
  findEvent, getOperators, idempotencyKey, plain, requestHash, send, submitRequest, verifyReceipt,
} from '@baton/client';
import { startDevNode, waitForFinalized } from '../lib/node.mjs';
import { accounts, bondOperator, gatewayKey, registerApi, startUpstream, waitForSettlement } from '../lib/gateway.mjs';

let node;
let api;
let upstream;
let who;
let priceApi;
let slowApi;
const operators = [];
/** Calls per idempotency key, so the third operator to ask can be told something else. */
const callsByKey = new Map();

before(async () => {
  who = await accounts();
  upstream = await startUpstream((req) => {
    const key = req.headers['idempotency-key'];
    const calls = (callsByKey.get(key) ?? 0) + 1;
    callsByKey.set(key, calls);
    if (req.url.startsWith('/slow')) return { delayMs: 4_000, body: '{"late":true}' };
    if (req.url.startsWith('/diverge')) return { body: calls === 3 ? '{"price":9.99}' : '{"price":7.25}' };
    return { body: `{"price":7.25,"coin":"dot","ts":${Date.now()}}` };
  });
  node = await startDevNode();
  api = node.api;
  priceApi = await registerApi(api, who.alice, {
    baseUrl: upstream.url, ignoredFields: ['ts'], methods: ['Get', 'Post'],
  });
  slowApi = await registerApi(api, who.alice, { baseUrl: `${upstream.url}/slow`, timeoutMs: 1_000 });
  for (const [name, seed] of [['charlie', '//CharlieGate'], ['dave', '//DaveGate'], ['eve', '//EveGate']]) {
    const gateway = await gatewayKey(seed);
    await bondOperator(api, {
      funder: who.alice, operator: who[name], gateway, gatewaySeed: seed, apiIds: [priceApi, slowApi],
    });
    operators.push(who[name].address);
  }
});

after(async () => {
  if (node) await node.stop();
  if (upstream) await upstream.close();
});

const free = async (address, at) =>
  (await (at ? api.query.system.account.at(at, address) : api.query.system.account(address)))
    .data.free.toBigInt();
const treasury = () => api.consts.gateway.treasury.toString();

test('an upstream that times out is reported as such and the client is refunded', async () => {
  const before = await free(who.ferdie.address);
  const submitted = await submitRequest(api, who.ferdie, { apiId: slowApi, path: '/price' });
  const txFee = findEvent(submitted.events, 'transactionPayment', 'TransactionFeePaid').data.actualFee.toBigInt();
  const request = await waitForSettlement(api, submitted.id);
  assert.equal(request.status, 'refunded');
  assert.deepEqual(request.reports.map((r) => r.status), ['timeout']);
  await waitForFinalized(api, request.settledAt);
  assert.equal(await free(who.ferdie.address), before - txFee);
  assert.equal(plain(await api.rpc.gateway.response(submitted.id)), null);
});

test('a request with redundancy 1 completes with the upstream bytes and a verifiable receipt', async () => {
  const quote = plain(await api.rpc.gateway.quote(priceApi, 1));
  assert.equal(quote.eligibleOperators, 3);
  const clientBefore = await free(who.ferdie.address);
  const submitted = await submitRequest(api, who.ferdie, {
    apiId: priceApi, path: '/price?coin=dot', redundancy: 1, headers: [['Accept', 'application/json']],
  });
  assert.equal(submitted.fee, BigInt(quote.total));
  const [operator] = submitted.assigned;
  const txFee = findEvent(submitted.events, 'transactionPayment', 'TransactionFeePaid').data.actualFee.toBigInt();
  const operatorBefore = await free(operator, submitted.blockHash);
  const treasuryBefore = await free(treasury(), submitted.blockHash);

  const request = await waitForSettlement(api, submitted.id);
  assert.equal(request.status, 'completed');
  const settledHash = (await waitForFinalized(api, request.settledAt)).hash;
  const settledAt = await api.rpc.chain.getBlockHash(request.settledAt);
  assert.ok(settledHash);

  // The request's content hash, computed here, is the one the chain keeps and receipts bind.
  assert.equal(request.requestHash, await requestHash(api, submitted.id));
  // The upstream saw the exact call, with the request's id and content as idempotency key.
  const call = upstream.requests.find((r) => r.headers['idempotency-key'] === idempotencyKey(request));
  assert.equal(call.method, 'GET');
  assert.equal(call.url, '/price?coin=dot');
  assert.equal(call.headers.accept, 'application/json');

  const response = plain(await api.rpc.gateway.response(submitted.id));
  assert.equal(response.operator, operator);
  assert.equal(response.verified, true);
  assert.match(response.body, /^\{"price":7\.25,"coin":"dot","ts":\d+\}$/);
  assert.equal(verifyReceipt(api, response), true);
  assert.equal(verifyReceipt(api, { ...response, body: response.body.replace('7.25', '7.26') }), false);
  // Replayed for another request's content, or on another chain, it does not verify.
  assert.equal(verifyReceipt(api, { ...response, requestHash: `0x${'07'.repeat(32)}` }), false);
  assert.equal(verifyReceipt(api, response, { genesisHash: `0x${'09'.repeat(32)}` }), false);

  // Money: the client paid the fee and its transaction fee, the operator got the price, the
  // treasury the protocol fee; the report itself was free.
  assert.equal(await free(who.ferdie.address, settledAt), clientBefore - submitted.fee - txFee);
  assert.equal(await free(operator, settledAt) - operatorBefore, BigInt(quote.pricePerOperator));
  assert.equal(await free(treasury(), settledAt) - treasuryBefore, BigInt(quote.protocolFee));
});

test('the node\'s metrics show the calls it made and its operators\' state; the alert rules and Grafana dashboard use only metrics it serves', async () => {
  // One call refused at the relay endpoint's door (no ticket): counted like any other.
  assert.equal((await fetch(`${node.relayUrl}/relay/0/price`)).status, 400);
  const text = await (await fetch(node.prometheusUrl)).text();
  const samples = text.split('\n').filter((line) => line && !line.startsWith('#'));
  const value = (name, labels) => {
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    const line = samples.find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  // The first two tests' calls: a timeout and a response at least.
  assert.ok(value('baton_gateway_requests_executed_total', { result: 'response' }) >= 1, 'no response counted');
  assert.ok(value('baton_gateway_failures_total', { kind: 'timeout' }) >= 1, 'no timeout counted');
  assert.equal(value('baton_relay_calls_total', { result: 'bad_ticket' }), 1);
  const views = await getOperators(api, priceApi);
  for (const operator of operators) {
    assert.equal(value('baton_operator_online', { operator }), 1, operator);
    assert.equal(value('baton_operator_jailed', { operator }), 0, operator);
    // Declared capacity limited by stake, as gateway_operators serves it.
    assert.equal(value('baton_operator_capacity', { operator }), views.find((v) => v.operator === operator).capacity, operator);
    assert.ok(value('baton_operator_open_assignments', { operator }) >= 0, operator);
    assert.ok(value('baton_operator_blocks_since_heartbeat', { operator }) < 30, operator);
    // bondOperator gave the key's account 1 BTN; accepted reports are free.
    const keyBalance = value('baton_operator_key_balance', { operator });
    assert.ok(keyBalance > 0.5 && keyBalance <= 1, `${operator}: ${keyBalance}`);
  }

  const served = new Set(text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
  const rules = YAML.parse(fs.readFileSync(new URL('../../docs/ops/alerts.yml', import.meta.url), 'utf8'));
  const dashboard = JSON.parse(fs.readFileSync(new URL('../../docs/ops/grafana-dashboard.json', import.meta.url), 'utf8'));
  const exprs = [
    ...rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr)),
    ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
  ];
  assert.ok(exprs.length >= 15);
  for (const expr of exprs) {
    for (const [name] of expr.matchAll(/\b(?:baton|substrate)_[a-z0-9_]+/g)) {
      assert.ok(served.has(name.replace(/_bucket$/, '')), `${name} in "${expr}" is not served by the node`);
    }
  }
});

test('with redundancy 3 the majority is paid and the operator that differs is slashed', async () => {
  const submitted = await submitRequest(api, who.ferdie, { apiId: priceApi, path: '/diverge', redundancy: 3 });
  assert.deepEqual([...submitted.assigned].sort(), [...operators].sort());
  const balancesBefore = Object.fromEntries(await Promise.all(
    operators.map(async (o) => [o, await free(o, submitted.blockHash)])));
  const request = await waitForSettlement(api, submitted.id);
  assert.equal(request.status, 'completed');
  assert.equal(request.reports.length, 3);
  const minority = request.reports.find((r) => r.responseHash !== request.responseHash).operator;
  const majority = request.reports.filter((r) => r.responseHash === request.responseHash).map((r) => r.operator);
  assert.equal(majority.length, 2);

  const settledAt = await api.rpc.chain.getBlockHash(request.settledAt);
  const price = (await api.query.gateway.apis(priceApi)).unwrap().spec.pricePerCall.toBigInt();
  for (const o of majority) assert.equal(await free(o, settledAt) - balancesBefore[o], price);
  assert.equal(await free(minority, settledAt), balancesBefore[minority]);

  // The wrong result is an offence, slashed after the deferral.
  const slashed = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no slash within 60 s')), 60_000);
    api.query.system.events((events) => {
      for (const { event } of events) {
        if (api.events.slashing.Slashed.is(event) && event.data.offender.toString() === minority) {
          clearTimeout(timer);
          resolve(event);
        }
      }
    });
  });
  assert.ok(slashed.data.amount.toBigInt() > 0n);
  const response = plain(await api.rpc.gateway.response(submitted.id));
  assert.ok(majority.includes(response.operator));
  assert.equal(response.verified, true);
});

test('a batch of requests in one submit_requests is reported in one report_results per operator, and paid exactly', async () => {
  const count = 6;
  // Every operator still eligible (one may be jailed by the test before) gets every request.
  const redundancy = plain(await api.rpc.gateway.quote(priceApi, 1)).eligibleOperators;
  assert.ok(redundancy >= 2);
  const quote = plain(await api.rpc.gateway.quote(priceApi, redundancy));
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const before = await api.rpc.chain.getBlockHash(best);
  const balancesBefore = Object.fromEntries(await Promise.all(operators.map(async (o) => [o, await free(o, before)])));
  const clientBefore = await free(who.ferdie.address, before);
  const first = (await api.query.gateway.nextRequestId()).toNumber();
  // One transaction, so that they land in one block and each operator's worker has them all.
  const batch = Array.from({ length: count }, (_, i) => ({
    method: 'Get', path: `/price?coin=dot&n=${i}`, headers: [], body: '', redundancy,
    maxFee: BigInt(quote.total), deadline: best + 10,
  }));
  const { events } = await send(api.tx.gateway.submitRequests(priceApi, batch), who.ferdie);
  const ids = Array.from({ length: count }, (_, i) => first + i);
  const submitted = events.filter(({ event }) => event.method === 'RequestSubmitted');
  assert.deepEqual(submitted.map(({ event }) => event.data.requestId.toNumber()), ids);
  const txFee = findEvent(events, 'transactionPayment', 'TransactionFeePaid').data.actualFee.toBigInt();
  const requests = [];
  for (const id of ids) requests.push(await waitForSettlement(api, id));
  assert.deepEqual(requests.map((r) => r.status), Array(count).fill('completed'));
  const last = Math.max(...requests.map((r) => r.settledAt));
  await waitForFinalized(api, last);

  // Every report came in a `reportResults`, fewer transactions than reports.
  let reports = 0;
  let transactions = 0;
  for (let n = best + 1; n <= last; n++) {
    const { block } = await api.rpc.chain.getBlock(await api.rpc.chain.getBlockHash(n));
    for (const { method } of block.extrinsics) {
      if (method.section !== 'gateway' || !method.method.startsWith('reportResult')) continue;
      const carried = method.method === 'reportResults'
        ? method.args[0].map(([id]) => id.toNumber()) : [method.args[0].toNumber()];
      const ours = carried.filter((id) => ids.includes(id)).length;
      if (ours === 0) continue;
      assert.equal(method.method, 'reportResults');
      reports += ours;
      transactions += 1;
    }
  }
  assert.equal(reports, count * redundancy);
  assert.ok(transactions < reports, `${reports} reports in ${transactions} transactions`);

  // Each operator was paid the price of every request it reported, the batches being free;
  // the client paid every request's quote and one transaction fee.
  const settledAt = await api.rpc.chain.getBlockHash(last);
  const price = BigInt(quote.pricePerOperator);
  for (const o of operators) {
    const reported = requests.filter((r) => r.reports.some((report) => report.operator === o)).length;
    assert.equal(await free(o, settledAt) - balancesBefore[o], price * BigInt(reported));
  }
  assert.equal(clientBefore - await free(who.ferdie.address, settledAt), BigInt(quote.total) * BigInt(count) + txFee);
});

/** An operator still available (the slashing test above jails one) serves `apiId` too. */
async function anAvailableOperatorServes(apiId) {
  const available = plain(await api.rpc.gateway.operators(priceApi)).filter((o) => o.available).map((o) => o.operator);
  const operator = ['charlie', 'dave', 'eve'].map((name) => who[name]).find((o) => available.includes(o.address));
  const { profile } = (await api.query.operatorStaking.operators(operator.address)).unwrap();
  const apis = [...profile.apis.map((id) => id.toNumber()), apiId];
  await send(api.tx.operatorStaking.updateProfile({ ...profile.toJSON(), apis }), operator);
}

test('an API pointed at the operator node\'s own RPC is refused by its egress policy and the client refunded', async () => {
  // The attack: the node's unsafe RPC on 127.0.0.1, which `--gateway-allow-hosts` does not allow.
  const rpcPort = new URL(node.rpcUrl).port;
  const ssrf = await registerApi(api, who.alice, { baseUrl: `http://127.0.0.1:${rpcPort}`, methods: ['Post'] });
  await anAvailableOperatorServes(ssrf);
  const before = await free(who.ferdie.address);
  const submitted = await submitRequest(api, who.ferdie, {
    apiId: ssrf, method: 'Post', path: '/', body: '{"id":1,"jsonrpc":"2.0","method":"rpc_methods"}',
    headers: [['Content-Type', 'application/json']],
  });
  const txFee = findEvent(submitted.events, 'transactionPayment', 'TransactionFeePaid').data.actualFee.toBigInt();
  const request = await waitForSettlement(api, submitted.id);
  assert.equal(request.status, 'refunded');
  assert.deepEqual(request.reports.map((r) => r.status), ['forbidden']);
  await waitForFinalized(api, request.settledAt);
  assert.equal(await free(who.ferdie.address), before - txFee);
  // Nothing of the node's RPC reached the chain, and no one was reported for it.
  assert.equal(plain(await api.rpc.gateway.response(submitted.id)), null);
  const settled = await api.query.system.events.at(await api.rpc.chain.getBlockHash(request.settledAt));
  assert.deepEqual(settled.filter(({ event }) => event.section === 'slashing'), []);
});

test('a deadline shorter than the API\'s timeout and a block for the report is refused at submission', async () => {
  // 8 s: three 3-second blocks, so the earliest deadline is four blocks after submission.
  const slowTimeout = await registerApi(api, who.alice, { baseUrl: upstream.url, timeoutMs: 8_000 });
  await anAvailableOperatorServes(slowTimeout);
  const next = (await api.query.gateway.nextRequestId()).toNumber();
  const reserved = (await api.query.system.account(who.ferdie.address)).data.reserved.toBigInt();
  await assert.rejects(
    submitRequest(api, who.ferdie, { apiId: slowTimeout, path: '/price', redundancy: 1, deadlineIn: 3 }),
    /gateway\.DeadlineTooSoon/,
  );
  assert.equal((await api.query.gateway.nextRequestId()).toNumber(), next);
  assert.equal((await api.query.system.account(who.ferdie.address)).data.reserved.toBigInt(), reserved);
  // Enough blocks for the timeout and the report, whichever block the submission lands in.
  const taken = await submitRequest(api, who.ferdie, { apiId: slowTimeout, path: '/price', redundancy: 1, deadlineIn: 8 });
  assert.equal((await waitForSettlement(api, taken.id)).status, 'completed');
});
