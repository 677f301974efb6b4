// `baton gateway` on a real node (docs/relay.md, "baton gateway"): plain HTTP calls go out as
// relayed calls among three operators, come back with the upstream's exact bytes and receipts
// that verify, hedge past a late operator and fail over from a dead one with no error, and the
// gateway's close puts its handovers in the on-chain log and pays each operator for exactly the
// calls it served. Each operator's profile endpoint is a proxy to the node's relay endpoint,
// which the test makes late or dead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeRelayReceipt, plain, relayReceiptMessage } from '@baton/client';
import { startDevNode } from '../lib/node.mjs';
import { accounts, bondOperator, gatewayKey, registerApi, startUpstream } from '../lib/gateway.mjs';
import { batonVerify, runBaton, startGateway, startProxy } from '../lib/program.mjs';
import { hexToU8a } from '@polkadot/util';
import { blake2AsU8a, ed25519Verify } from '@polkadot/util-crypto';

let node;
let api;
let upstream;
let gateway;
let who;
let apiId;
/** Operator address → { proxy, key (gateway key hex) }. */
const operators = new Map();
/** Upstream executions by idempotency key: the upstream honours the key, as the docs ask. */
const executions = new Map();
/** Calls answered through the gateway, by the operator that answered (Baton-Operator). */
const served = new Map();
let sessionId;
let evidence;
/** Where the gateway keeps every verified receipt with its call (`--keep-receipts`). */
let receipts;

before(async () => {
  who = await accounts();
  const answers = new Map();
  upstream = await startUpstream((req, body) => {
    const key = req.headers['idempotency-key'];
    if (!answers.has(key)) {
      executions.set(key, (executions.get(key) ?? 0) + 1);
      const n = new URL(req.url, 'http://upstream').searchParams.get('n');
      // A character of more than one byte: a body decoded and encoded again on the way would
      // not match byte for byte.
      answers.set(key, JSON.stringify({ n, price: 7.25, unit: '€', method: req.method, body }));
    }
    return { body: answers.get(key) };
  });
  node = await startDevNode();
  api = node.api;
  apiId = await registerApi(api, who.alice, { baseUrl: upstream.url, methods: ['Get', 'Post'] });
  for (const name of ['charlie', 'dave', 'ferdie']) {
    const seed = `//${name[0].toUpperCase()}${name.slice(1)}Gate`;
    const key = await gatewayKey(seed);
    const proxy = await startProxy(node.relayUrl);
    await bondOperator(api, {
      funder: who.alice, operator: who[name], gateway: key, gatewaySeed: seed, apiIds: [apiId], endpoint: proxy.url,
    });
    operators.set(who[name].address, { proxy, key: key.publicKey });
  }
  evidence = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-evidence-'));
  receipts = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-receipts-'));
  gateway = await startGateway({
    node: node.rpcUrl,
    suri: '//Eve',
    args: ['--operators', '3', '--hedge-ms', '1000', '--evidence-dir', evidence, '--keep-receipts', receipts],
  });
});

after(async () => {
  if (gateway) await gateway.stop();
  for (const { proxy } of operators.values()) await proxy.close();
  if (node) await node.stop();
  if (upstream) await upstream.close();
  if (evidence) {
    assert.deepEqual(fs.readdirSync(evidence), [], 'no receipt failed to verify');
    fs.rmSync(evidence, { recursive: true, force: true });
  }
  if (receipts) fs.rmSync(receipts, { recursive: true, force: true });
});

/**
 * Checks that `answer` is a verified relay answer: its receipt is signed by the gateway key of
 * the operator Baton-Operator names, on this chain, for this body. Returns the decoded receipt
 * and counts the call as that operator's.
 */
function verified(answer) {
  assert.equal(answer.status, 200, answer.body);
  const operator = answer.headers['baton-operator'];
  assert.ok(operators.has(operator), `Baton-Operator ${operator} is a session operator`);
  const receipt = decodeRelayReceipt(api, answer.headers['baton-receipt']);
  assert.equal(receipt.sessionId, Number(answer.headers['baton-session']));
  const responseHash = blake2AsU8a(answer.bodyBytes, 256);
  assert.deepEqual(hexToU8a(receipt.responseHash), responseHash, 'the body is the one vouched for');
  const message = relayReceiptMessage(api.genesisHash.toHex(), receipt);
  assert.ok(ed25519Verify(message, hexToU8a(answer.headers['baton-receipt-signature']), operators.get(operator).key));
  served.set(operator, (served.get(operator) ?? 0) + 1);
  sessionId = receipt.sessionId;
  return receipt;
}

test('calls through baton gateway come back with the upstream\'s exact bytes and receipts that verify', async () => {
  const get = await gateway.call(`/${apiId}/price?n=1`);
  verified(get);
  const json = JSON.parse(get.body);
  assert.equal(json.n, '1');
  assert.equal(json.unit, '€');
  assert.equal(get.bodyBytes.length, Buffer.byteLength(get.body), 'bytes as the upstream sent them');

  const post = await gateway.call(`/${apiId}/orders?n=2`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"qty":3}',
  });
  verified(post);
  assert.equal(JSON.parse(post.body).method, 'POST');
  assert.equal(JSON.parse(post.body).body, '{"qty":3}');

  // The saved receipt verifies with `baton verify` against the chain, with its body.
  const checked = batonVerify(node.rpcUrl, get);
  assert.equal(checked.status, 0, checked.stdout + checked.stderr);
  // So does the file the gateway kept of the call, body and request included.
  const sequence = decodeRelayReceipt(api, get.headers['baton-receipt']).sequence;
  const kept = path.join(receipts, `session-${get.headers['baton-session']}-call-${sequence}.json`);
  assert.deepEqual(JSON.parse(fs.readFileSync(kept, 'utf8')).request.path, '/price?n=1');
  const keptChecked = await runBaton(['verify', kept, '--node', node.rpcUrl]);
  assert.equal(keptChecked.status, 0, keptChecked.stdout + keptChecked.stderr);
  assert.match(keptChecked.stdout, /body: the one it vouches for/);

  // Bad input gets a JSON reason and reaches no upstream.
  const calls = upstream.requests.length;
  const badPath = await gateway.call('/price');
  assert.equal(badPath.status, 400);
  assert.equal(JSON.parse(badPath.body).error, 'bad_path');
  const unknownApi = await gateway.call('/999/price');
  assert.equal(unknownApi.status, 502);
  assert.equal(JSON.parse(unknownApi.body).error, 'no_session');
  assert.match(JSON.parse(unknownApi.body).message, /API 999/);
  assert.equal(upstream.requests.length, calls);
});

test('forty calls in flight at once each get their own sequence number and run upstream once', async () => {
  const before = executions.size;
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => gateway.call(`/${apiId}/price?n=${100 + i}`)));
  const sequences = answers.map((answer) => verified(answer).sequence);
  assert.equal(new Set(sequences).size, 40, 'sequence numbers are unique');
  assert.deepEqual(answers.map((a) => JSON.parse(a.body).n), Array.from({ length: 40 }, (_, i) => String(100 + i)));
  assert.equal(executions.size, before + 40);
  assert.ok([...executions.values()].every((count) => count === 1));
});

test('a late operator is hedged past and a dead one failed over at once: no call fails', async () => {
  // The operator that answered the calls so far is the session's best.
  const primary = [...served.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const { proxy } = operators.get(primary);
  const hedges = await gateway.metric('baton_gateway_hedges_total');

  await proxy.set('hang');
  for (let i = 0; i < 3; i++) {
    const answer = await gateway.call(`/${apiId}/price?n=${200 + i}`);
    verified(answer);
    assert.notEqual(answer.headers['baton-operator'], primary, 'answered by another operator');
  }
  assert.ok(await gateway.metric('baton_gateway_hedges_total') >= hedges + 3, 'each call was hedged');
  assert.equal(await gateway.metric('baton_gateway_handovers_total', { cause: 'late' }), 3);

  await proxy.set('dead');
  for (let i = 0; i < 5; i++) {
    const answer = await gateway.call(`/${apiId}/price?n=${300 + i}`);
    verified(answer);
    assert.notEqual(answer.headers['baton-operator'], primary);
  }
  // Three failures in a row (`--max-failures`): skipped for the rest of the session.
  assert.equal(await gateway.metric('baton_gateway_handovers_total', { cause: 'failed' }), 3);
  assert.ok(gateway.output.some((line) => line.includes(`operator ${primary} skipped after 3 failures`)), gateway.output.join('\n'));
  assert.equal(await gateway.metric('baton_gateway_calls_total', { result: 'ok' }), 2 + 40 + 3 + 5);
  assert.ok([...executions.values()].every((count) => count === 1), 'no call ran upstream twice');
  await proxy.set('pass');
});

test('stopping the gateway closes its session: the handovers are logged on-chain and each operator is paid for what it served', async () => {
  assert.equal(await gateway.stop(), 0, gateway.output.join('\n'));
  assert.ok(gateway.output.some((line) => line.includes(`session ${sessionId} `) && line.includes('closed (gateway stopped)') && line.includes('with 6 handovers')),
    gateway.output.join('\n'));
  const escrow = BigInt(sessionId) | (1n << 63n);
  const log = plain(await api.query.handover.history(escrow));
  assert.equal(log.length, 6);
  const causes = log.map((record) => record.reason.relay.cause);
  assert.deepEqual(causes, ['Late', 'Late', 'Late', 'Failed', 'Failed', 'Failed']);
  const sequences = log.map((record) => record.reason.relay.sequence);
  assert.deepEqual([...sequences].sort((a, b) => a - b), sequences, 'in sequence order');

  // Each operator's node claims the calls it served: the late one's hung calls never reached
  // it, the dead one's were refused at its door.
  const deadline = Date.now() + 120_000;
  let session;
  for (;;) {
    session = plain(await api.rpc.relay.session(sessionId));
    const paid = Object.fromEntries(session.operators.map((o) => [o.operator, o.claimedCalls]));
    const owed = Object.fromEntries(session.operators.map((o) => [o.operator, served.get(o.operator) ?? 0]));
    if (JSON.stringify(paid) === JSON.stringify(owed)) break;
    assert.ok(Date.now() < deadline, `paid ${JSON.stringify(paid)}, served ${JSON.stringify(owed)}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  assert.equal(session.status, 'closed');
  gateway = null;
});

test('when every operator is down, a new session is tried and then the answer is 503 with each failure', async () => {
  for (const { proxy } of operators.values()) await proxy.set('dead');
  const local = await startGateway({
    node: node.rpcUrl, suri: '//Eve', args: ['--operators', '3', '--max-failures', '1', '--evidence-dir', evidence],
  });
  try {
    const calls = upstream.requests.length;
    const answer = await local.call(`/${apiId}/price?n=900`);
    assert.equal(answer.status, 503, answer.body);
    const { error, message } = JSON.parse(answer.body);
    assert.equal(error, 'no_operator');
    assert.match(message, /no operator of session \d+ answered .*connect.* and in session \d+: /);
    assert.equal(upstream.requests.length, calls, 'nothing reached the upstream');
    assert.equal(await local.metric('baton_gateway_calls_total', { result: 'no_operator' }), 1);
  } finally {
    assert.equal(await local.stop(), 0, local.output.join('\n'));
    for (const { proxy } of operators.values()) await proxy.set('pass');
  }
  assert.equal(local.output.filter((line) => line.includes('closed (')).length, 2, local.output.join('\n'));
});
