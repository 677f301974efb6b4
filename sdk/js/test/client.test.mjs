// @baton/client against a real baton-node (the repository's release build) and a real upstream
// on loopback: settled requests that resolve with a verified result or reject with a typed
// error, the typed RPC, and a relay session that hedges past a late operator, fails over from a
// dead one and logs both handovers on-chain when it closes. The node, the upstream and the
// operators' setup come from the repository's test library; everything a dApp does goes
// through the SDK.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ChainError, RelaySession, RequestRefunded, getOperators, getQuote, getRequest, plain, request,
  verifyReceipt,
} from '@baton/client';
import { startDevNode } from '../../../tests/lib/node.mjs';
import { accounts, bondOperator, gatewayKey, registerApi, startUpstream } from '../../../tests/lib/gateway.mjs';
import { startProxy } from '../../../tests/lib/program.mjs';

let node;
let api;
let upstream;
let who;
let priceApi;
let slowApi;
/** Operator address → the proxy its profile's endpoint points at (the node's relay endpoint). */
const proxies = new Map();

before(async () => {
  who = await accounts();
  upstream = await startUpstream((req) => {
    if (req.url.startsWith('/slow')) return { delayMs: 4_000, body: '{}' };
    return { body: JSON.stringify({ price: 7.25, unit: '€', account: req.headers['x-account'] ?? null }) };
  });
  node = await startDevNode();
  api = node.api;
  priceApi = await registerApi(api, who.alice, { baseUrl: upstream.url, methods: ['Get', 'Post'] });
  slowApi = await registerApi(api, who.alice, { baseUrl: `${upstream.url}/slow`, timeoutMs: 1_000 });
  for (const name of ['charlie', 'dave']) {
    const seed = `//${name[0].toUpperCase()}${name.slice(1)}Gate`;
    const proxy = await startProxy(node.relayUrl);
    await bondOperator(api, {
      funder: who.alice, operator: who[name], gateway: await gatewayKey(seed), gatewaySeed: seed,
      apiIds: [priceApi, slowApi], endpoint: proxy.url,
    });
    proxies.set(who[name].address, proxy);
  }
});

after(async () => {
  for (const proxy of proxies.values()) await proxy.close();
  if (node) await node.stop();
  if (upstream) await upstream.close();
});

test('the typed RPC answers plain views', async () => {
  const quote = await getQuote(api, priceApi, 1);
  assert.equal(quote.eligibleOperators, 2);
  assert.deepEqual(plain(await api.rpc.gateway.quote(priceApi, 1)), quote);
  const operators = await getOperators(api, priceApi);
  assert.deepEqual(operators.map((o) => o.operator).sort(), [...proxies.keys()].sort());
  assert.equal(await getRequest(api, 1_000_000), null);
});

test('request() resolves with the upstream\'s bytes and a receipt it checked, once finalized', async () => {
  const stages = [];
  const result = await request(api, who.ferdie, {
    apiId: priceApi, path: '/price?coin=dot', headers: { 'X-Account': 'ferdie' }, redundancy: 2,
  }, { onProgress: ({ stage }) => stages.push(stage) });
  assert.deepEqual(stages, ['sent', 'inBlock', 'finalized']);
  assert.deepEqual(JSON.parse(result.body), { price: 7.25, unit: '€', account: 'ferdie' });
  assert.equal(result.fee, BigInt((await getQuote(api, priceApi, 2)).total));
  const settled = await getRequest(api, result.id, result.blockHash);
  assert.equal(settled.status, 'completed');
  assert.equal(settled.responseHash, result.receipt.responseHash);
  // The same checks fail for another body, another chain, or a request with other content.
  assert.equal(verifyReceipt(api, result.receipt), true);
  assert.equal(verifyReceipt(api, { ...result.receipt, body: result.body.replace('7.25', '7.26') }), false);
  assert.equal(verifyReceipt(api, result.receipt, { genesisHash: `0x${'11'.repeat(32)}` }), false);
  assert.equal(verifyReceipt(api, result.receipt, { requestHash: `0x${'22'.repeat(32)}` }), false);
});

test('request() rejects with RequestRefunded when every operator times out', async () => {
  await assert.rejects(request(api, who.ferdie, { apiId: slowApi, path: '/quote' }), (error) => {
    assert.ok(error instanceof RequestRefunded, String(error));
    assert.ok(error.amount > 0n);
    assert.deepEqual(error.request.reports.map((r) => r.status), ['timeout']);
    assert.match(error.message, /refunded .*"timeout"/);
    return true;
  });
});

test('a request the chain refuses rejects with a ChainError that names the error and says why', async () => {
  const before = (await api.query.gateway.nextRequestId()).toNumber();
  await assert.rejects(request(api, who.ferdie, { apiId: priceApi, deadlineIn: 100_000 }), (error) => {
    assert.ok(error instanceof ChainError, String(error));
    assert.equal(error.error, 'gateway.DeadlineOutOfRange');
    assert.ok(error.docs.length > 0);
    return true;
  });
  assert.equal((await api.query.gateway.nextRequestId()).toNumber(), before);
});

test('a relay session hedges past a late operator, fails over from a dead one, and its close logs both', async () => {
  const session = await RelaySession.open(api, who.eve, { apiId: priceApi, operators: 2, allowance: 10n ** 12n, blocks: 100 });
  try {
    const [first, second] = session.operators;
    const call = { path: '/price', headers: { 'X-Account': 'eve' } };

    const answer = await session.fetch(call);
    assert.equal(answer.operator, first);
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { price: 7.25, unit: '€', account: 'eve' });
    assert.equal(session.verify(answer), true);
    assert.equal(session.verify({ ...answer, bodyBytes: new TextEncoder().encode('{}') }), false);

    await proxies.get(first).set('hang');
    const hedged = await session.fetch(call, { hedgeAfterMs: 500 });
    assert.equal(hedged.operator, second);
    assert.equal(session.verify(hedged), true);

    await proxies.get(first).set('dead');
    const failedOver = await session.fetch(call, { hedgeAfterMs: 5_000 });
    assert.equal(failedOver.operator, second);
    assert.deepEqual(session.handoverLog().map(({ from, to, cause }) => [from, to, cause]),
      [[first, second, 'late'], [first, second, 'failed']]);

    await session.close();
    const escrow = BigInt(session.id) | (1n << 63n);
    const log = plain(await api.query.handover.history(escrow));
    assert.deepEqual(log.map((record) => [record.from, record.to, record.reason.relay.cause]),
      [[first, second, 'Late'], [first, second, 'Failed']]);
  } finally {
    session.stop();
    await proxies.get(session.operators[0]).set('pass');
  }
});
