// Proactive failover on a real node: three operators' gateway keys in one node, an upstream that
// honours Idempotency-Key and then degrades (new calls outlast the timeout). An operator whose
// health model predicts failure hands its request over with a step-1 checkpoint instead of
// reporting a failure; the successor resumes with the same idempotency key, the upstream
// executes the non-idempotent call once, and the request completes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { idempotencyKey, plain } from '@baton/client';
import { startDevNode, sleep } from '../lib/node.mjs';
import { accounts, bondOperator, gatewayKey, registerApi, startUpstream, waitForSettlement } from '../lib/gateway.mjs';

let node;
let api;
let upstream;
let who;
let apiId;
let degraded = false;
const executions = new Map();
const answers = new Map();

before(async () => {
  who = await accounts();
  upstream = await startUpstream(async (req) => {
    const key = req.headers['idempotency-key'];
    if (answers.has(key)) return { body: answers.get(key) };
    executions.set(key, (executions.get(key) ?? 0) + 1);
    answers.set(key, JSON.stringify({ order: key, status: 'placed' }));
    // Degraded: the order is placed, but the answer comes after the operator gave up.
    return { body: answers.get(key), delayMs: degraded ? 2_500 : 0 };
  });
  node = await startDevNode();
  api = node.api;
  apiId = await registerApi(api, who.alice, { baseUrl: upstream.url, methods: ['Post'], timeoutMs: 1_000 });
  for (const [name, seed] of [['charlie', '//CharlieGate'], ['dave', '//DaveGate'], ['eve', '//EveGate']]) {
    await bondOperator(api, {
      funder: who.alice, operator: who[name], gateway: await gatewayKey(seed), gatewaySeed: seed, apiIds: [apiId],
    });
  }
});

after(async () => {
  if (node) await node.stop();
  if (upstream) await upstream.close();
});

/** Submits `count` POST requests from Ferdie at once; returns their ids. */
async function submit(count) {
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const quote = plain(await api.rpc.gateway.quote(apiId, 1));
  let nonce = (await api.rpc.system.accountNextIndex(who.ferdie.address)).toNumber();
  const ids = [];
  await Promise.all(Array.from({ length: count }, () => new Promise((resolve, reject) => {
    api.tx.gateway.submitRequest(apiId, 'Post', '/orders', [], '{"item":"baton"}', 1, BigInt(quote.total), best + 8)
      .signAndSend(who.ferdie, { nonce: nonce++ }, ({ status, events, dispatchError }) => {
        if (dispatchError) reject(new Error(dispatchError.toString()));
        const submitted = events.find(({ event }) => event.method === 'RequestSubmitted');
        if (status.isInBlock && submitted) {
          ids.push(submitted.event.data.requestId.toNumber());
          resolve();
        }
      }).catch(reject);
  })));
  return ids;
}

test('a degrading operator hands over with a checkpoint and the successor completes exactly once', async () => {
  // Warm-up: every operator builds a history of fast answers.
  const warmUp = await submit(30);
  for (const id of warmUp) assert.equal((await waitForSettlement(api, id)).status, 'completed');

  degraded = true;
  let handedOver;
  for (let attempt = 0; attempt < 15 && !handedOver; attempt++) {
    const [id] = await submit(1);
    const request = await waitForSettlement(api, id);
    if (request.handovers.some((h) => h.reason === 'voluntary')) handedOver = request;
    await sleep(100);
  }
  assert.ok(handedOver, 'no operator handed a request over');
  const handover = handedOver.handovers.find((h) => h.reason === 'voluntary');
  assert.equal(handover.checkpoint.completedSteps, 1);
  assert.equal(handover.checkpoint.requestHash, handedOver.requestHash);
  assert.equal(handedOver.status, 'completed');
  // The successor answered, or a backup armed after the grace if the handover came later.
  const [report] = handedOver.reports;
  assert.equal(handedOver.reports.length, 1);
  assert.ok(handedOver.handovers.some((h) => h.to === report.operator), `${report.operator} took nothing over`);
  // Every operator on the way called with the same key; the upstream placed the order once.
  const key = idempotencyKey(handedOver);
  const calls = upstream.requests.filter((r) => r.headers['idempotency-key'] === key);
  assert.ok(calls.length >= 2);
  assert.equal(executions.get(key), 1);
  const response = plain(await api.rpc.gateway.response(handedOver.id));
  assert.equal(response.verified, true);
  assert.equal(JSON.parse(response.body).order, key);
});
