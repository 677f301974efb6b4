// The `baton` program for each role against a real dev node, as a user runs it: a publisher
// registers, shows, updates, pauses and resumes an API from a TOML spec; an operator bonds with
// a gateway key (the program signs the proof), adds stake, unbonds, chills and activates, reads
// its status, and withdraws once the chunk unlocks; a client sends settled requests (a GET, a
// POST with a body) and gets the upstream's body with a receipt the program verified. Every refusal names the runtime's error and exits 1; --json prints one
// document.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { u8aToHex } from '@polkadot/util';
import { send } from '@baton/client';
import { rawRpc, startDevNode } from '../lib/node.mjs';
import { accounts, gatewayKey, startUpstream } from '../lib/gateway.mjs';
import { btn, runBaton } from '../lib/program.mjs';

let node;
let api;
let upstream;
let who;
let dir;
let apiId;

/** `baton <args> --node <node>` as `suri`'s account; { status, stdout, stderr, json }. */
async function baton(args, { suri, env = {} } = {}) {
  const result = await runBaton([...args, '--node', node.rpcUrl], { ...(suri ? { BATON_SURI: suri } : {}), ...env });
  let json;
  if (args.includes('--json') && result.status === 0) json = JSON.parse(result.stdout);
  return { ...result, json };
}

before(async () => {
  who = await accounts();
  upstream = await startUpstream((req) => ({ body: JSON.stringify({ price: 7.25, accept: req.headers.accept ?? null }) }));
  node = await startDevNode();
  api = node.api;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-cli-'));
});

after(async () => {
  if (node) await node.stop();
  if (upstream) await upstream.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('a publisher registers an API from a TOML spec, shows it, pauses and resumes it; only its owner may', async () => {
  const spec = path.join(dir, 'price.toml');
  fs.writeFileSync(spec, [
    `base_url = "${upstream.url}"`, 'methods = ["GET", "POST"]', 'price_per_call = "0.01"',
    'max_response_bytes = 16384', 'timeout_ms = 2000', 'ignored_fields = ["ts"]',
  ].join('\n'));
  const registered = await baton(['api', 'register', spec, '--json'], { suri: '//Alice' });
  assert.equal(registered.status, 0, registered.stderr);
  apiId = registered.json.apiId;
  assert.match(registered.stderr, /sent 0x[0-9a-f]+[\s\S]*in block #\d+[\s\S]*finalized #\d+/);

  const shown = await baton(['api', 'show', String(apiId), '--json']);
  assert.equal(shown.status, 0, shown.stderr);
  assert.equal(shown.json.baseUrl, upstream.url);
  assert.deepEqual(shown.json.methods, ['GET', 'POST']);
  assert.equal(shown.json.pricePerCall, String(10n ** 10n));
  assert.equal(shown.json.owner, who.alice.address);
  assert.equal(shown.json.paused, false);
  assert.equal(shown.json.confidentialPath, false);
  const text = await baton(['api', 'show', String(apiId)]);
  assert.match(text.stdout, /price: +0\.01 BTN per operator and call/);
  assert.match(text.stdout, /paths: +public/);

  const paused = await baton(['api', 'pause', String(apiId)], { suri: '//Alice' });
  assert.equal(paused.status, 0, paused.stderr);
  assert.match(paused.stdout, new RegExp(`API ${apiId} paused`));
  assert.equal((await baton(['api', 'show', String(apiId), '--json'])).json.paused, true);
  assert.equal((await baton(['api', 'pause', String(apiId), '--resume'], { suri: '//Alice' })).status, 0);
  assert.equal((await baton(['api', 'show', String(apiId), '--json'])).json.paused, false);

  // Its owner updates it: the new price is what the chain keeps.
  const dearer = path.join(dir, 'dearer.json');
  fs.writeFileSync(dearer, JSON.stringify({
    base_url: upstream.url, methods: ['GET', 'POST'], price_per_call: '0.02', max_response_bytes: 16384,
    timeout_ms: 2000, ignored_fields: ['ts'],
  }));
  const updated = await baton(['api', 'update', String(apiId), dearer], { suri: '//Alice' });
  assert.equal(updated.status, 0, updated.stderr);
  assert.match(updated.stdout, /finalized #\d+/);
  assert.equal((await baton(['api', 'show', String(apiId), '--json'])).json.pricePerCall, String(2n * 10n ** 10n));

  const stranger = await baton(['api', 'update', String(apiId), spec], { suri: '//Bob' });
  assert.equal(stranger.status, 1);
  assert.match(stranger.stderr, /gateway\.NotApiOwner: /);
  assert.equal((await baton(['api', 'show', String(apiId), '--json'])).json.pricePerCall, String(2n * 10n ** 10n));
  // An account with nothing to pay the fee with: the pool refuses, and the program says so.
  const penniless = await baton(['api', 'pause', String(apiId)], { suri: '//Penniless' });
  assert.equal(penniless.status, 1);
  assert.match(penniless.stderr, /Inability to pay some fees.*What to do: the signing account needs BTN for the fee/);
  const unknown = await baton(['api', 'show', '999']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /gateway\.UnknownApi/);
  const bad = path.join(dir, 'bad.json');
  fs.writeFileSync(bad, '{"base_url": "x", "methods": ["TRACE"]}');
  const refused = await baton(['api', 'register', bad], { suri: '//Alice' });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /bad\.json: /);
});

test('an operator bonds with its gateway key, adds stake, unbonds, chills, activates and reads its status', async () => {
  assert.ok(apiId !== undefined, 'no API registered');
  const minBond = (await api.query.operatorStaking.params()).minBond.toBigInt();
  const gateway = await gatewayKey('//CharlieGate');
  const charlie = { suri: '//Charlie', env: { BATON_GATEWAY_SURI: '//CharlieGate' } };
  const bond = (amount) => baton(['operator', 'bond', amount, '--endpoint', node.relayUrl, '--region', 'DE',
    '--capacity', '50', '--apis', String(apiId), '--json'], charlie);

  const tooLittle = await bond(btn(minBond - 1n));
  assert.equal(tooLittle.status, 1);
  assert.match(tooLittle.stderr, /operatorStaking\.\w+: /);
  const bonded = await bond(btn(minBond));
  assert.equal(bonded.status, 0, bonded.stderr);
  assert.equal(bonded.json.gatewayKey, u8aToHex(gateway.publicKey));
  assert.equal(bonded.json.keyAccount, gateway.address);
  const onChain = (await api.query.operatorStaking.operators(who.charlie.address)).unwrap();
  assert.equal(onChain.bonded.toBigInt(), minBond);
  assert.equal(onChain.gatewayKey.toHex(), u8aToHex(gateway.publicKey));
  // What the program says to do next: the key in the node's keystore, its account funded.
  await rawRpc(api, 'author_insertKey', ['gate', '//CharlieGate', u8aToHex(gateway.publicKey)]);
  await send(api.tx.balances.transferKeepAlive(gateway.address, 10n ** 12n), who.alice);

  assert.equal((await baton(['operator', 'bond-extra', '1.5'], { suri: '//Charlie' })).status, 0);
  assert.equal((await baton(['operator', 'unbond', '0.5'], { suri: '//Charlie' })).status, 0);
  // Nothing has unlocked yet: the program says where to see when it does.
  const early = await baton(['operator', 'withdraw'], { suri: '//Charlie' });
  assert.equal(early.status, 1);
  assert.match(early.stderr, /operatorStaking\.NothingToWithdraw: .* What to do: .*`baton operator status`/);
  const status = await baton(['operator', 'status', '--json'], { suri: '//Charlie' });
  assert.equal(status.status, 0, status.stderr);
  assert.equal(status.json.operator, who.charlie.address);
  assert.equal(BigInt(status.json.bonded), minBond + 10n ** 12n);
  assert.equal(status.json.unbonding.length, 1);
  assert.equal(BigInt(status.json.unbonding[0].amount), 5n * 10n ** 11n);
  assert.equal(status.json.active, true);
  assert.deepEqual(status.json.apis, [apiId]);
  assert.deepEqual(status.json.offences, []);

  assert.equal((await baton(['operator', 'chill'], { suri: '//Charlie' })).status, 0);
  const chilled = await baton(['operator', 'status', who.charlie.address]);
  assert.match(chilled.stdout, /: chilled/);
  assert.match(chilled.stdout, /unbonding: +0\.5 BTN at #\d+/);
  assert.equal((await baton(['operator', 'activate'], { suri: '//Charlie' })).status, 0);
  assert.equal((await baton(['operator', 'status', '--json'], { suri: '//Charlie' })).json.active, true);

  const stranger = await baton(['operator', 'status', who.dave.address]);
  assert.equal(stranger.status, 1);
  assert.match(stranger.stderr, /operatorStaking\.NotOperator/);
  const badRegion = await baton(['operator', 'profile', '--endpoint', node.relayUrl, '--region', 'de',
    '--capacity', '5', '--apis', String(apiId)], { suri: '//Charlie' });
  assert.equal(badRegion.status, 1);
  assert.match(badRegion.stderr, /two capital letters/);
});

test('a client sends a settled request and gets the body with a receipt the program verified', async () => {
  assert.ok(apiId !== undefined, 'no API registered');
  const args = ['request', String(apiId), 'GET', '/price?coin=dot', '-H', 'Accept: application/json', '--redundancy', '1'];
  const sent = await baton([...args, '--wait', '--json'], { suri: '//Ferdie' });
  assert.equal(sent.status, 0, sent.stderr);
  assert.equal(sent.json.status, 'completed');
  assert.deepEqual(JSON.parse(sent.json.body), { price: 7.25, accept: 'application/json' });
  assert.equal(sent.json.receipt.operator, who.charlie.address);
  assert.equal(sent.json.receipt.verified, true);
  assert.match(sent.stderr, /finalized #\d+/);
  const stored = (await api.rpc.gateway.response(sent.json.requestId)).unwrap().toJSON();
  assert.equal(sent.json.receipt.signature, stored.signature);

  const text = await baton([...args, '--wait'], { suri: '//Ferdie' });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /completed in block #\d+\n\{"price":7\.25,"accept":"application\/json"\}\nreceipt: .* verified here/);

  const late = await baton([...args, '--deadline-in', '100000'], { suri: '//Ferdie' });
  assert.equal(late.status, 1);
  assert.match(late.stderr, /gateway\.DeadlineOutOfRange: /);
  const help = await runBaton(['request', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Example: /);

  // A POST with a body: the upstream receives the body as sent.
  const posted = await baton(['request', String(apiId), 'POST', '/orders', '--body', '{"coin":"dot","qty":2}',
    '--redundancy', '1', '--wait', '--json'], { suri: '//Ferdie' });
  assert.equal(posted.status, 0, posted.stderr);
  assert.equal(posted.json.status, 'completed');
  const received = upstream.requests.filter((r) => r.method === 'POST' && r.url === '/orders');
  assert.equal(received.length, 1);
  assert.equal(received[0].body, '{"coin":"dot","qty":2}');
});

test('an operator withdraws its unbonded stake once the chunk has unlocked', async () => {
  const status = await baton(['operator', 'status', '--json'], { suri: '//Charlie' });
  assert.equal(status.json.unbonding.length, 1, 'the operator test unbonded 0.5 BTN');
  const unlocksAt = status.json.unbonding[0].at;
  // The stake is held: withdrawing releases the chunk's hold.
  const held = async () => (await api.query.balances.holds(who.charlie.address))
    .reduce((sum, hold) => sum + hold.amount.toBigInt(), 0n);
  while ((await api.rpc.chain.getHeader()).number.toNumber() < unlocksAt) await new Promise((r) => setTimeout(r, 1_000));
  const before = await held();
  const withdrawn = await baton(['operator', 'withdraw', '--json'], { suri: '//Charlie' });
  assert.equal(withdrawn.status, 0, withdrawn.stderr);
  assert.equal(withdrawn.json.done, 'withdrew');
  assert.deepEqual((await baton(['operator', 'status', '--json'], { suri: '//Charlie' })).json.unbonding, []);
  assert.equal(before - (await held()), 5n * 10n ** 11n);
});
