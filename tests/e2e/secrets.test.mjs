// API secrets and sealed requests on a real dev node: an upstream that answers only with
// `Authorization: Bearer <secret>`; two operators publish encryption keys with the `baton`
// program (their seal keys in the node's keystore), a third serves the API without one; the
// publisher seals the secret to the two (`baton api secret`). Settled requests and a relay call
// complete through them only, and the upstream sees the secret on every call. Then the third
// publishes a key and is granted the secret, and a client sends a sealed request through all
// three (`sealedRequest` of @baton/client) with a private `X-Account` header, which the upstream
// requires too, and gets the private answer back sealed to its own key. Then the publisher
// makes the API's paths confidential, and a private path goes sealed as well. Then nothing on
// the node holds the secret, the header, the path or the answer in the clear: not a block's
// extrinsics, not an event, not a storage value, not a file in the node's database (the offchain
// index with it), not its log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { u8aToHex, stringToHex } from '@polkadot/util';
import { request, RelaySession, sealedRequest, send } from '@baton/client';
import { rawRpc, startDevNode } from '../lib/node.mjs';
import { accounts, bondOperator, gatewayKey, registerApi, startUpstream } from '../lib/gateway.mjs';
import { runBaton } from '../lib/program.mjs';

// Random per run, so that no earlier run's bytes can match.
const SECRET = `s3cr3t-${crypto.randomBytes(12).toString('hex')}`;
// A client's private header, and the upstream's private answer to it.
const ACCOUNT = `acct-${crypto.randomBytes(12).toString('hex')}`;
const BALANCE = `bal-${crypto.randomBytes(12).toString('hex')}`;
// A path segment only the client and the operators may know, once the API's paths are confidential.
const HIDDEN = `path-${crypto.randomBytes(12).toString('hex')}`;
const PRIVATE = [SECRET, ACCOUNT, BALANCE, HIDDEN];

let node;
let api;
let upstream;
let who;
let basePath;
let apiId;
const holders = new Set();

before(async () => {
  who = await accounts();
  upstream = await startUpstream((req) => {
    if (req.headers.authorization !== `Bearer ${SECRET}`) return { status: 401, body: JSON.stringify({ error: 'unauthorised' }) };
    if (!req.url.startsWith('/account')) return { body: JSON.stringify({ price: 7.25 }) };
    return req.headers['x-account'] === ACCOUNT
      ? { body: JSON.stringify({ account: ACCOUNT, balance: BALANCE }) }
      : { status: 404, body: JSON.stringify({ error: 'no such account' }) };
  });
  basePath = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-secrets-'));
  node = await startDevNode({ basePath });
  api = node.api;
  apiId = await registerApi(api, who.alice, { baseUrl: upstream.url, methods: ['Get'] });
  const operators = [['charlie', 'Charlie'], ['dave', 'Dave'], ['eve', 'Eve']];
  for (const [name, seed] of operators) {
    const gateway = await gatewayKey(`//${seed}Gate`);
    await bondOperator(api, {
      funder: who.alice, operator: who[name], gateway, gatewaySeed: `//${seed}Gate`, apiIds: [apiId],
      endpoint: node.relayUrl,
    });
  }
  // Charlie and Dave publish encryption keys; their nodes hold the seal keys. Eve does not.
  for (const [name, seed] of operators.slice(0, 2)) {
    const seal = await gatewayKey(`//${seed}Seal`);
    await rawRpc(api, 'author_insertKey', ['seal', `//${seed}Seal`, u8aToHex(seal.publicKey)]);
    const published = await runBaton([
      'operator', 'profile', '--endpoint', node.relayUrl, '--region', 'DE', '--capacity', '50',
      '--apis', String(apiId), '--seal-suri', `//${seed}Seal`, '--node', node.rpcUrl,
    ], { BATON_SURI: `//${seed}`, BATON_GATEWAY_SURI: `//${seed}Gate` });
    assert.equal(published.status, 0, published.stderr);
    holders.add(who[name].address);
  }
});

after(async () => {
  if (node) await node.stop();
  if (upstream) await upstream.close();
  if (basePath) fs.rmSync(basePath, { recursive: true, force: true });
});

test('a publisher seals its API key to the operators with encryption keys; a stranger cannot', async () => {
  const stranger = await runBaton(['api', 'secret', String(apiId), '--header', 'Authorization', '--node', node.rpcUrl],
    { BATON_SURI: '//Bob', BATON_API_SECRET: 'Bearer nope' });
  assert.equal(stranger.status, 1);
  assert.match(stranger.stderr, /gateway\.NotApiOwner/);
  const unnamed = await runBaton(['api', 'secret', String(apiId), '--node', node.rpcUrl], { BATON_SURI: '//Alice' });
  assert.equal(unnamed.status, 1);
  assert.match(unnamed.stderr, /--header NAME or --query NAME/);

  const set = await runBaton(['api', 'secret', String(apiId), '--header', 'Authorization', '--json', '--node', node.rpcUrl],
    { BATON_SURI: '//Alice', BATON_API_SECRET: `Bearer ${SECRET}` });
  assert.equal(set.status, 0, set.stderr);
  assert.deepEqual(new Set(JSON.parse(set.stdout).sealedTo), holders);
  assert.equal((await api.query.gateway.apiSecretHolders(apiId)).toJSON(), 2);
});

test('settled requests go to the holders only, and the upstream gets the secret on every call', async () => {
  const before = upstream.requests.length;
  for (let i = 0; i < 3; i += 1) {
    const result = await request(api, who.bob, { apiId, path: `/price?i=${i}`, redundancy: 2 });
    assert.deepEqual(JSON.parse(result.body), { price: 7.25 });
    assert.ok(holders.has(result.receipt.operator), result.receipt.operator);
  }
  const calls = upstream.requests.slice(before);
  assert.equal(calls.length, 6);
  for (const call of calls) assert.equal(call.headers.authorization, `Bearer ${SECRET}`);
});

test('a relay call carries the secret too', async () => {
  const session = await RelaySession.open(api, who.ferdie, { apiId, operators: 2, allowance: 10n ** 12n, blocks: 50 });
  try {
    assert.ok(session.operators.every((operator) => holders.has(operator)), session.operators.join());
    const answer = await session.fetch({ path: '/price?relay=1' });
    assert.equal(answer.status, 200, answer.body);
    assert.deepEqual(JSON.parse(answer.body), { price: 7.25 });
    assert.equal(session.verify(answer), true);
    assert.equal(upstream.requests.at(-1).headers.authorization, `Bearer ${SECRET}`);
  } finally {
    await session.close();
  }
});

test('a sealed request carries a private header to three operators and its answer back sealed', async () => {
  // Eve publishes a key too, and is granted the API's secret.
  const seal = await gatewayKey('//EveSeal');
  await rawRpc(api, 'author_insertKey', ['seal', '//EveSeal', u8aToHex(seal.publicKey)]);
  const published = await runBaton([
    'operator', 'profile', '--endpoint', node.relayUrl, '--region', 'DE', '--capacity', '50',
    '--apis', String(apiId), '--seal-suri', '//EveSeal', '--node', node.rpcUrl,
  ], { BATON_SURI: '//Eve', BATON_GATEWAY_SURI: '//EveGate' });
  assert.equal(published.status, 0, published.stderr);
  const granted = await runBaton(['api', 'secret', String(apiId), '--header', 'Authorization', '--operator', who.eve.address, '--node', node.rpcUrl],
    { BATON_SURI: '//Alice', BATON_API_SECRET: `Bearer ${SECRET}` });
  assert.equal(granted.status, 0, granted.stderr);
  holders.add(who.eve.address);

  const operators = [...holders];
  const balance = async (who) => (await api.query.system.account(who)).data.free.toBigInt();
  const before = await Promise.all(operators.map(balance));
  const calls = upstream.requests.length;
  const result = await sealedRequest(api, who.bob, {
    apiId, path: '/account', headers: { 'X-Account': ACCOUNT }, redundancy: 3, deadlineIn: 10,
  });
  assert.deepEqual(JSON.parse(result.body), { account: ACCOUNT, balance: BALANCE });
  assert.equal(result.receipt.body, null);
  assert.equal(result.receipt.verified, true);
  assert.ok(result.receipt.sealedBody.length > 2 * result.body.length);

  // Each operator called the upstream with the client's header and the publisher's secret.
  const seen = upstream.requests.slice(calls);
  assert.equal(seen.length, 3);
  for (const call of seen) {
    assert.equal(call.headers['x-account'], ACCOUNT);
    assert.equal(call.headers.authorization, `Bearer ${SECRET}`);
  }
  // Three results under three seals, one majority: each operator paid the price.
  const settled = (await api.rpc.gateway.request(result.id)).toJSON();
  assert.equal(settled.status, 'completed');
  assert.equal(settled.reports.length, 3);
  assert.equal(new Set(settled.reports.map((r) => r.responseHash)).size, 3);
  const price = BigInt((await api.query.gateway.apis(apiId)).unwrap().spec.pricePerCall.toString());
  const after = await Promise.all(operators.map(balance));
  assert.deepEqual(after.map((b, i) => b - before[i]), operators.map(() => price));
});

test('baton request --sealed does the same from the command line', async () => {
  const sent = await runBaton(['request', String(apiId), 'GET', '/account', '--header', `X-Account: ${ACCOUNT}`,
    '--redundancy', '2', '--sealed', '--wait', '--json', '--node', node.rpcUrl], { BATON_SURI: '//Ferdie' });
  assert.equal(sent.status, 0, sent.stderr);
  const result = JSON.parse(sent.stdout);
  assert.equal(result.status, 'completed');
  assert.deepEqual(JSON.parse(result.body), { account: ACCOUNT, balance: BALANCE });
  assert.equal(result.receipt.verified, true);
  assert.equal(upstream.requests.at(-1).headers['x-account'], ACCOUNT);
  // Without --wait the answer's key would be lost with the program: refused before anything.
  const unwaited = await runBaton(['request', String(apiId), 'GET', '/account', '--sealed', '--node', node.rpcUrl],
    { BATON_SURI: '//Ferdie' });
  assert.notEqual(unwaited.status, 0);
  assert.match(unwaited.stderr, /--wait/);
});

test('an API whose paths are confidential takes them sealed, from the SDK and the CLI', async () => {
  const stored = (await api.query.gateway.apis(apiId)).unwrap().spec.toJSON();
  await send(api.tx.gateway.updateApi(apiId, { ...stored, confidentialPath: true }), who.alice);
  // A plain request's transaction would publish its path: the SDK refuses it before sending,
  // and the chain refuses the transaction built by hand (with a path the scan does not look for).
  const nonce = (await api.query.system.account(who.bob.address)).nonce.toNumber();
  await assert.rejects(request(api, who.bob, { apiId, path: `/account/${HIDDEN}` }), /gateway\.ConfidentialPath/);
  assert.equal((await api.query.system.account(who.bob.address)).nonce.toNumber(), nonce);
  const byHand = api.tx.gateway.submitRequest(apiId, 'Get', stringToHex('/account/in-public'), [], '0x', 0, 10n ** 12n,
    (await api.rpc.chain.getHeader()).number.toNumber() + 10);
  await assert.rejects(send(byHand, who.bob), /gateway\.ConfidentialPath/);

  const calls = upstream.requests.length;
  const result = await sealedRequest(api, who.bob, {
    apiId, path: `/account/${HIDDEN}`, headers: { 'X-Account': ACCOUNT }, redundancy: 3, deadlineIn: 10,
  });
  assert.deepEqual(JSON.parse(result.body), { account: ACCOUNT, balance: BALANCE });
  assert.equal(result.receipt.verified, true);
  assert.equal((await api.query.gateway.requests(result.id)).unwrap().path.toHex(), '0x');
  // Each operator called the path its envelope held, after the API's base URL.
  assert.deepEqual(upstream.requests.slice(calls).map((call) => call.url), Array(3).fill(`/account/${HIDDEN}`));
  const sent = await runBaton(['request', String(apiId), 'GET', `/account/${HIDDEN}?cli=1`, '--header', `X-Account: ${ACCOUNT}`,
    '--redundancy', '2', '--sealed', '--wait', '--json', '--node', node.rpcUrl], { BATON_SURI: '//Ferdie' });
  assert.equal(sent.status, 0, sent.stderr);
  assert.deepEqual(JSON.parse(JSON.parse(sent.stdout).body), { account: ACCOUNT, balance: BALANCE });
  // Two operators at least (a hedged backup may call too).
  const cli = upstream.requests.slice(calls + 3).map((call) => call.url);
  assert.ok(cli.length >= 2, cli.join());
  for (const url of cli) assert.equal(url, `/account/${HIDDEN}?cli=1`);
});

test('nothing on the node holds the secret, the private header, the path or the answer in the clear', async () => {
  const needles = PRIVATE.map((text) => stringToHex(text).slice(2));
  const holds = (text) => needles.some((needle) => text.includes(needle));
  // What the scan must find, so that it can fail: the upstream's URL, public in the API's spec.
  const control = stringToHex(upstream.url).slice(2);
  const found = { extrinsics: false, state: false, files: false };
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  let extrinsics = 0;
  for (let n = 0; n <= best; n += 1) {
    const hash = await rawRpc(api, 'chain_getBlockHash', [n]);
    const block = await rawRpc(api, 'chain_getBlock', [hash]);
    for (const xt of block.block.extrinsics) {
      extrinsics += 1;
      found.extrinsics ||= xt.includes(control);
      assert.ok(!holds(xt), `block #${n} has an extrinsic with a secret`);
    }
    const events = await rawRpc(api, 'state_getStorage', [api.query.system.events.key(), hash]);
    if (n > 0) assert.ok(events?.length > 2, `block #${n} has no events`);
    assert.ok(!holds(events ?? ''), `block #${n}'s events hold a secret`);
  }
  assert.ok(extrinsics > best, 'the scan read every block');

  // Every storage value of the best block.
  const pairs = await rawRpc(api, 'state_getPairs', ['0x']);
  assert.ok(pairs.length > 100, `only ${pairs.length} storage values`);
  for (const [key, value] of pairs) {
    found.state ||= value.includes(control);
    assert.ok(!holds(value), `storage ${key} holds a secret`);
  }
  const envelopes = pairs.filter(([key]) => key.startsWith(api.query.gateway.apiSecrets.keyPrefix()));
  assert.equal(envelopes.length, 3);
  const calls = pairs.filter(([key]) => key.startsWith(api.query.gateway.sealedCalls.keyPrefix()));
  assert.equal(calls.length, 12, 'three envelopes of each sealed request');

  // Every file of the node's database, offchain storage and index included, and its log.
  const files = fs.readdirSync(basePath, { recursive: true }).map((f) => path.join(basePath, f))
    .filter((f) => fs.statSync(f).isFile());
  assert.ok(files.length > 0);
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    found.files ||= bytes.includes(upstream.url);
    for (const secret of PRIVATE) assert.ok(!bytes.includes(secret), `${file} holds ${secret}`);
  }
  assert.deepEqual(found, { extrinsics: true, state: true, files: true });
  const logs = node.logs.join('');
  for (const secret of PRIVATE) assert.ok(!logs.includes(secret), `the node logged ${secret}`);
});
