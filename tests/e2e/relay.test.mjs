// Relay sessions on a real node (docs/relay.md): a client opens a session through polkadot.js,
// sends its calls straight to the operator node's relay endpoint over HTTP with tickets it
// signs, checks every receipt with the gateway key the session view gives, and the node's
// offchain worker claims once for all the calls it served — also after a SIGKILL. A settled
// request survives a SIGKILL between its upstream call and its report too, with no second call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { u8aToHex } from '@polkadot/util';
import { blake2AsU8a, decodeAddress } from '@polkadot/util-crypto';
import {
  encodeRelayReceipt, findEvent, getRequest, plain, relayReceiptMessage, requestTx, send, verifyRelayReceipt,
} from '@baton/client';
import { batonProgram, sleep, startDevNode, waitForFinalized } from '../lib/node.mjs';
import { accounts, bondOperator, gatewayKey, registerApi, startUpstream, waitForSettlement } from '../lib/gateway.mjs';
import { RelayClient, httpRequest, openSession, waitForClaimed } from '../lib/relay.mjs';
import { btn, runBaton } from '../lib/program.mjs';

let node;
let api;
let basePath;
let upstream;
let who;
let apiId;
let gate;
let quote;
/** What one call of a session on `apiId` costs its client: the operator's price and the fee. */
let cost;
let minBlocks;
/** The body the upstream answered, by the idempotency key it was called with. */
const answers = new Map();
/** The equivocation test's real call, which the challenge test disputes. */
let disputed;

before(async () => {
  who = await accounts();
  upstream = await startUpstream((req, body) => {
    const n = Number(new URL(req.url, 'http://upstream').searchParams.get('n'));
    // Each body differs (n), and has a character of more than one byte, so that a body that
    // went through a string conversion on the way would not match byte for byte.
    const answer = JSON.stringify({ n, price: 7.25, unit: '€', method: req.method, bodyBytes: body.length });
    answers.set(req.headers['idempotency-key'], answer);
    // Jitter, so that calls in flight together come back out of order.
    return { body: answer, delayMs: Math.floor(Math.random() * 20) };
  });
  // On a base path of its own, so that the last test can kill it and start it again on it.
  basePath = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-relay-'));
  node = await startDevNode({ basePath });
  api = node.api;
  apiId = await registerApi(api, who.alice, { baseUrl: upstream.url, methods: ['Get', 'Post'] });
  gate = await gatewayKey('//CharlieGate');
  await bondOperator(api, {
    funder: who.alice, operator: who.charlie, gateway: gate, gatewaySeed: '//CharlieGate', apiIds: [apiId],
  });
  quote = plain(await api.rpc.gateway.quote(apiId, 1));
  cost = BigInt(quote.pricePerOperator) + BigInt(quote.protocolFee);
  minBlocks = api.consts.relay.minSessionBlocks.toNumber();
});

after(async () => {
  if (node) await node.stop();
  if (upstream) await upstream.close();
  if (basePath) fs.rmSync(basePath, { recursive: true, force: true });
});

const balance = async (address, at) => {
  const { data } = await api.query.system.account.at(at, address);
  return { free: data.free.toBigInt(), reserved: data.reserved.toBigInt() };
};
const treasury = () => (api.consts.relay?.treasury ?? api.consts.gateway.treasury).toString();
const escrowOf = (sessionId) => BigInt(sessionId) | (1n << 63n);

/** The events of the blocks after `fromHash` up to `toHash`, for the money that moved between. */
async function eventsBetween(fromHash, toHash) {
  const from = (await api.rpc.chain.getHeader(fromHash)).number.toNumber();
  const to = (await api.rpc.chain.getHeader(toHash)).number.toNumber();
  const events = [];
  for (let n = from + 1; n <= to; n++) {
    const records = await api.query.system.events.at(await api.rpc.chain.getBlockHash(n));
    events.push(...records.map(({ event }) => event));
  }
  return events;
}

/** Runs `task(i)` for every i below `count`, `limit` at a time; the results in order of i. */
async function inFlight(count, limit, task) {
  const results = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  }));
  return results;
}

/** Checks that what `send` sends is refused with `status` and `error`, and reaches no upstream. */
async function refused(status, error, send) {
  const calls = upstream.requests.length;
  const response = await send();
  assert.equal(response.status, status, `${error}: got ${response.status} ${response.body}`);
  const json = JSON.parse(response.body);
  assert.equal(json.error, error);
  assert.equal(typeof json.message, 'string');
  // A refusal is no served call: nothing for the client to hold the operator to.
  assert.equal(response.headers['baton-receipt'], undefined);
  assert.equal(upstream.requests.length, calls);
}

/** A call that must be served: 200, and a receipt the session's gateway key verifies. */
async function served(relay, options) {
  const result = await relay.call(who.charlie.address, options);
  assert.equal(result.status, 200, result.body);
  assert.equal(verifyRelayReceipt(result, relay.session.operators[0].gatewayKey, api.genesisHash), true);
  return result;
}

test('200 calls, 8 in flight, each with the upstream\'s bytes and a verifiable receipt; one claim pays them all', async () => {
  const allowance = 500n * cost;
  const opened = await openSession(api, who.dave, { apiId, allowance, blocks: 5 * minBlocks });
  const { sessionId, session } = opened;
  // The only operator serving the API; its node holds its gateway key.
  assert.deepEqual(opened.operators, [who.charlie.address]);
  assert.equal(session.id, sessionId);
  assert.equal(session.client, who.dave.address);
  assert.equal(session.apiId, apiId);
  assert.equal(session.status, 'open');
  assert.equal(session.expiresAt, opened.expiresAt);
  assert.equal(session.closedAt, null);
  // The price is fixed at opening: the quote's, for one operator.
  assert.equal(BigInt(session.pricePerCall), BigInt(quote.pricePerOperator));
  assert.equal(BigInt(session.protocolFee), BigInt(quote.protocolFee));
  assert.equal(BigInt(session.cost), cost);
  assert.equal(BigInt(session.allowance), allowance);
  assert.equal(session.operators.length, 1);
  assert.equal(session.operators[0].operator, who.charlie.address);
  assert.equal(session.operators[0].gatewayKey, u8aToHex(gate.publicKey));
  assert.equal(session.operators[0].claimedCalls, 0);
  assert.ok(plain(await api.rpc.relay.sessions(who.dave.address)).some((s) => s.id === sessionId));
  assert.equal((await api.query.escrow.escrows(escrowOf(sessionId))).unwrap().amount.toBigInt(), allowance);

  const relay = new RelayClient({ api, client: who.dave, session, endpoint: node.relayUrl });
  const upstreamBefore = upstream.requests.length;
  const results = await inFlight(200, 8, (i) => relay.call(who.charlie.address, { path: `/price?n=${i}` }));
  const gatewayKeyHex = session.operators[0].gatewayKey;
  for (const [i, result] of results.entries()) {
    assert.equal(result.status, 200, `call ${i}: ${result.body}`);
    const answer = answers.get(`${sessionId}-${result.sequence}`);
    assert.ok(answer, `the upstream was not called for sequence ${result.sequence}`);
    assert.deepEqual(result.bodyBytes, Buffer.from(answer));
    assert.equal(JSON.parse(result.body).n, i);
    assert.deepEqual(result.receipt.status, { response: { code: 200 } });
    assert.equal(result.operatorHex, u8aToHex(decodeAddress(who.charlie.address)));
    assert.equal(verifyRelayReceipt(result, gatewayKeyHex, api.genesisHash), true, `receipt of call ${i}`);
  }
  assert.deepEqual(results.map((r) => r.sequence).sort((a, b) => a - b), [...Array(200).keys()]);
  // A receipt binds the body, the chain, the key and the call it answered.
  const [one, two] = results;
  const tampered = Buffer.from(one.body.replace('7.25', '7.26'));
  assert.equal(verifyRelayReceipt({ ...one, bodyBytes: tampered }, gatewayKeyHex, api.genesisHash), false);
  assert.equal(verifyRelayReceipt(one, gatewayKeyHex, `0x${'09'.repeat(32)}`), false);
  // Dated by the node's best block, near the client's; a date the client knows is too early
  // (it would close the challenge window early) fails the check.
  assert.ok(results.every((r) => r.receipt.answeredAt >= r.sentAt - 2 && r.sentAt >= session.openedAt));
  assert.equal(verifyRelayReceipt({ ...one, sentAt: one.receipt.answeredAt + 3 }, gatewayKeyHex, api.genesisHash), false);

  // `baton verify` checks a saved receipt with the key it reads from the chain: the right body
  // verifies (exit 0), another body or another call's signature does not (exit 1).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-verify-'));
  const save = (name, data) => {
    fs.writeFileSync(path.join(dir, name), data);
    return path.join(dir, name);
  };
  const saved = (signature) => JSON.stringify({ receipt: one.headers['baton-receipt'], signature });
  const verify = (receiptFile, ...args) => spawnSync(batonProgram(),
    ['verify', receiptFile, '--node', node.rpcUrl, ...args], { encoding: 'utf8' });
  const good = verify(save('receipt.json', saved(one.receiptSignature)), '--body', save('body', one.bodyBytes));
  assert.equal(good.status, 0, good.stdout + good.stderr);
  assert.match(good.stdout, new RegExp(`signed by: ${who.charlie.address}'s gateway key`));
  assert.match(good.stdout, new RegExp(`session ${sessionId}, call ${one.sequence}, answered at block ${one.receipt.answeredAt}`));
  assert.match(good.stdout, /^verified$/m);
  const goodJson = verify(path.join(dir, 'receipt.json'), '--body', path.join(dir, 'body'), '--json');
  assert.equal(goodJson.status, 0, goodJson.stdout + goodJson.stderr);
  assert.deepEqual(JSON.parse(goodJson.stdout), {
    sessionId, sequence: one.sequence, answeredAt: one.receipt.answeredAt,
    verified: true, operator: who.charlie.address, bodyChecked: true,
  });
  const wrongBody = verify(path.join(dir, 'receipt.json'), '--body', save('tampered', tampered));
  assert.equal(wrongBody.status, 1, wrongBody.stdout + wrongBody.stderr);
  assert.match(wrongBody.stdout, /not verified: the body is not the one the receipt vouches for/);
  const wrongJson = verify(path.join(dir, 'receipt.json'), '--body', path.join(dir, 'tampered'), '--json');
  assert.equal(wrongJson.status, 1);
  assert.equal(JSON.parse(wrongJson.stdout).verified, false);
  assert.match(JSON.parse(wrongJson.stdout).reason, /the body is not the one the receipt vouches for/);
  const swapped = verify(save('swapped.json', saved(two.receiptSignature)));
  assert.equal(swapped.status, 1, swapped.stdout + swapped.stderr);
  assert.match(swapped.stdout, new RegExp(`not verified: no operator of session ${sessionId} signed it`));
  fs.rmSync(dir, { recursive: true });
  assert.equal(verifyRelayReceipt(one, u8aToHex((await gatewayKey('//DaveGate')).publicKey), api.genesisHash), false);
  const othersReceipt = { ...one, receipt: two.receipt, receiptSignature: two.receiptSignature };
  assert.equal(verifyRelayReceipt(othersReceipt, gatewayKeyHex, api.genesisHash), false);

  // The upstream was called once per call, with the session and sequence as idempotency key,
  // and got none of the client's Baton headers.
  const calls = upstream.requests.slice(upstreamBefore);
  assert.equal(calls.length, 200);
  const byKey = new Map(calls.map((call) => [call.headers['idempotency-key'], call]));
  assert.equal(byKey.size, 200);
  for (const [i, result] of results.entries()) {
    const call = byKey.get(`${sessionId}-${result.sequence}`);
    assert.ok(call, `no upstream call for sequence ${result.sequence}`);
    assert.equal(call.method, 'GET');
    assert.equal(call.url, `/price?n=${i}`);
    assert.deepEqual(Object.keys(call.headers).filter((name) => name.startsWith('baton-')), []);
  }

  // Closed by its client; the node's worker then claims the 200 calls in one transaction.
  const closed = await send(api.tx.relay.closeSession(sessionId, { handovers: [], outcomes: [] }), who.dave);
  const closedHeader = await api.rpc.chain.getHeader(closed.blockHash);
  const beforeClose = closedHeader.parentHash;
  const closedAt = closedHeader.number.toNumber();
  const closedEvent = findEvent(closed.events, 'relay', 'SessionClosed').data;
  const claimWindow = api.consts.relay.claimWindow.toNumber();
  assert.equal(closedEvent.claimsUntil.toNumber(), closedAt + claimWindow);
  const watched = { client: who.dave.address, operator: who.charlie.address, treasury: treasury() };
  const start = Object.fromEntries(await Promise.all(
    Object.entries(watched).map(async ([name, address]) => [name, await balance(address, beforeClose)])));

  const { session: claimed, blockHash: paidBy } = await waitForClaimed(api, sessionId, who.charlie.address, 200);
  assert.equal(claimed.status, 'closed');
  assert.equal(claimed.closedAt, closedAt);
  assert.equal(claimed.claimsUntil, closedAt + claimWindow);
  const end = Object.fromEntries(await Promise.all(
    Object.entries(watched).map(async ([name, address]) => [name, await balance(address, paidBy)])));

  const events = await eventsBetween(beforeClose, paidBy);
  const claims = events.filter((e) => api.events.relay.Claimed.is(e) && e.data.sessionId.toNumber() === sessionId);
  assert.equal(claims.length, 1);
  const [claim] = claims;
  const price = BigInt(session.pricePerCall);
  const fee = BigInt(session.protocolFee);
  assert.equal(claim.data.operator.toString(), who.charlie.address);
  assert.equal(claim.data.calls.toNumber(), 200);
  assert.equal(claim.data.paid.toBigInt(), 200n * price);
  assert.equal(claim.data.protocolFee.toBigInt(), 200n * fee);
  // Transaction fees go to the treasury too: the close's, and any other in these blocks.
  const feesPaid = events.filter((e) => api.events.transactionPayment.TransactionFeePaid.is(e));
  const allFees = feesPaid.reduce((sum, e) => sum + e.data.actualFee.toBigInt(), 0n);
  const clientFees = feesPaid.filter((e) => e.data.who.toString() === who.dave.address)
    .reduce((sum, e) => sum + e.data.actualFee.toBigInt(), 0n);

  // Money: the operator got the price of each call, the treasury the fee of each, both out of
  // the client's escrow, which keeps the rest until the claim window ends.
  assert.equal(end.operator.free - start.operator.free, 200n * price);
  assert.equal(end.treasury.free - start.treasury.free, 200n * fee + allFees);
  assert.equal(start.client.free - end.client.free, clientFees);
  assert.equal(start.client.reserved - end.client.reserved, 200n * cost);
  const escrow = (await api.query.escrow.escrows.at(paidBy, escrowOf(sessionId))).unwrap();
  assert.equal(escrow.amount.toBigInt(), allowance - 200n * cost);

  // Closed, it serves no more calls.
  await refused(410, 'session_closed', () => relay.call(who.charlie.address, { path: '/price?n=200' }));
});

test('calls the endpoint must refuse get the documented status and reason, reach no upstream and are not paid for', async () => {
  const { sessionId, session } = await openSession(api, who.eve, {
    apiId, allowance: 100n * cost, blocks: 5 * minBlocks,
  });
  const relay = new RelayClient({ api, client: who.eve, session, endpoint: node.relayUrl });
  const charlie = who.charlie.address;
  const call = (options) => () => relay.call(charlie, { path: '/price?n=1001', ...options });
  const first = await served(relay, { path: '/price?n=1000' });

  // Not a ticket.
  const url = `${node.relayUrl}/relay/${sessionId}/price?n=1001`;
  const zeroSignature = `0x01${'00'.repeat(64)}`;
  await refused(400, 'bad_ticket', () => httpRequest(url));
  await refused(400, 'bad_ticket', () => httpRequest(url, { headers: { 'Baton-Ticket': first.ticketHex } }));
  await refused(400, 'bad_ticket', () => httpRequest(url, { headers: { 'Baton-Signature': first.signature } }));
  await refused(400, 'bad_ticket', () => httpRequest(url, {
    headers: { 'Baton-Ticket': '0xnot-hex', 'Baton-Signature': zeroSignature },
  }));
  await refused(400, 'bad_ticket', () => httpRequest(url, {
    headers: { 'Baton-Ticket': '0x0102', 'Baton-Signature': zeroSignature },
  }));
  await refused(400, 'bad_ticket', () => httpRequest(url, {
    headers: { 'Baton-Ticket': first.ticketHex, 'Baton-Signature': `0x07${'00'.repeat(64)}` },
  }));
  await refused(400, 'bad_ticket', () => httpRequest(`${node.relayUrl}/relay/not-a-session/price?n=1001`, {
    headers: { 'Baton-Ticket': first.ticketHex, 'Baton-Signature': first.signature },
  }));

  // Tickets for another chain, session or operator.
  await refused(421, 'wrong_chain', call({ ticketOverride: { genesisHash: `0x${'09'.repeat(32)}` } }));
  await refused(404, 'unknown_session', call({ ticketOverride: { sessionId: 999_999 } }));
  await refused(403, 'not_operator', call({ ticketOverride: { operator: who.ferdie.address } }));

  // Calls the API or the chain does not take.
  await refused(405, 'method_not_allowed', call({ method: 'DELETE' }));
  const maxBody = api.consts.gateway.maxBodyLen?.toNumber() ?? 1024 * 1024;
  await refused(413, 'body_too_large', call({ method: 'POST', path: '/orders', body: 'x'.repeat(maxBody + 1) }));

  // Signatures that are not the client's over this ticket and this request.
  await refused(401, 'bad_signature', call({ signer: who.ferdie }));
  await refused(401, 'bad_signature', call({ signatureOverride: zeroSignature }));
  await refused(401, 'bad_signature', call({ signedRequest: { path: '/price?n=1002' } }));
  await refused(401, 'bad_signature', call({
    headers: { accept: 'application/json' },
    signedRequest: { path: '/price?n=1001', headers: { accept: 'text/html' } },
  }));
  await refused(401, 'bad_signature', call({
    method: 'POST', body: 'sent', signedRequest: { method: 'POST', path: '/price?n=1001', body: 'signed' },
  }));

  // A call served already, and a voucher that does not pay for the calls so far.
  await refused(409, 'replayed', () => relay.call(charlie, { path: '/price?n=1000', ticketOverride: first.ticket }));
  await refused(402, 'voucher_short', call({ ticketOverride: { amount: 0n } }));
  await refused(402, 'voucher_short', call({ ticketOverride: { calls: 1n, amount: cost } }));

  // None of them changed what the node keeps: the next calls are taken as the second, third
  // and fourth. Signed headers go upstream, headers not signed do not; a body of the limit is
  // taken, whole.
  const withHeaders = await served(relay, {
    path: '/price?n=1003',
    headers: { Accept: 'application/json', 'X-Trace': 'trace-1003' },
    extraHeaders: { 'X-Not-Signed': 'dropped' },
  });
  const upstreamCall = (result) =>
    upstream.requests.find((r) => r.headers['idempotency-key'] === `${sessionId}-${result.sequence}`);
  const headersSeen = upstreamCall(withHeaders).headers;
  assert.equal(headersSeen.accept, 'application/json');
  assert.equal(headersSeen['x-trace'], 'trace-1003');
  assert.equal(headersSeen['x-not-signed'], undefined);
  const big = 'y'.repeat(maxBody);
  const posted = await served(relay, {
    method: 'POST', path: '/orders?n=1004', body: big, headers: { 'Content-Type': 'text/plain' },
  });
  const postSeen = upstreamCall(posted);
  assert.equal(postSeen.method, 'POST');
  assert.equal(postSeen.url, '/orders?n=1004');
  assert.equal(postSeen.body, big);
  await served(relay, { path: '/price?n=1005' });
  assert.deepEqual(relay.voucher(charlie), { calls: 4n, amount: 4n * cost });

  // Closed: refused; the operator is paid for the four calls served, none of the refused.
  await send(api.tx.relay.closeSession(sessionId, { handovers: [], outcomes: [] }), who.eve);
  await refused(410, 'session_closed', call({}));
  const { session: claimed } = await waitForClaimed(api, sessionId, charlie, 4);
  assert.equal(claimed.operators[0].claimedCalls, 4);
});

test('an allowance of one call serves one and refuses the next; past its last block the session is closed and claimed', async () => {
  const opened = await openSession(api, who.ferdie, { apiId, allowance: cost, blocks: minBlocks });
  const { sessionId, session } = opened;
  assert.equal(BigInt(session.allowance), cost);
  const relay = new RelayClient({ api, client: who.ferdie, session, endpoint: node.relayUrl });
  const charlie = who.charlie.address;
  await served(relay, { path: '/price?n=2000' });
  await refused(402, 'allowance_exhausted', () => relay.call(charlie, { path: '/price?n=2001' }));

  // No one closes it: past `expiresAt` the endpoint refuses, the hook closes it, the worker claims.
  await waitForFinalized(api, opened.expiresAt + 1, 3 * minBlocks * 3_000);
  await refused(410, 'session_closed', () => relay.call(charlie, { path: '/price?n=2002' }));
  const { session: claimed } = await waitForClaimed(api, sessionId, charlie, 1);
  assert.equal(claimed.status, 'closed');
  assert.ok(claimed.closedAt > opened.expiresAt);
});

test('calls served before the operator\'s node is killed with SIGKILL are claimed after it restarts on its database', async () => {
  const { sessionId, session } = await openSession(api, who.dave, {
    apiId, allowance: 50n * cost, blocks: 5 * minBlocks,
  });
  const relay = new RelayClient({ api, client: who.dave, session, endpoint: node.relayUrl });
  for (let i = 0; i < 20; i++) await served(relay, { path: `/price?n=${3000 + i}` });

  // Right after the last answer: what the node served must already be on disk.
  await node.kill();
  node = await startDevNode({ basePath });
  api = node.api;
  const kept = plain(await api.rpc.relay.session(sessionId));
  assert.equal(kept.status, 'open');
  assert.equal(kept.operators[0].claimedCalls, 0);

  await send(api.tx.relay.closeSession(sessionId, { handovers: [], outcomes: [] }), who.dave);
  const { session: claimed } = await waitForClaimed(api, sessionId, who.charlie.address, 20, 120_000);
  assert.equal(claimed.operators[0].claimedCalls, 20);
});

test('a settled request whose node is killed with SIGKILL after its upstream call completes after the restart, with no second call', async () => {
  const callPath = '/price?n=5000';
  const calls = () => upstream.requests.filter((request) => request.url === callPath).length;
  const tx = await requestTx(api, { apiId, path: callPath, redundancy: 1 });
  const submitted = await send(tx, who.dave, { until: 'inBlock' });
  const id = findEvent(submitted.events, 'gateway', 'RequestSubmitted').data[0].toNumber();
  // The worker calls as it imports the block, keeps the signed report in its database, then
  // hands it to the pool; the next block, 3 s later, would hold it.
  const reported = async () => (await api.rpc.author.pendingExtrinsics())
    .some((xt) => xt.method.section === 'gateway' && xt.method.method.startsWith('report'));
  const waitUntil = Date.now() + 30_000;
  while (!(await reported()) && Date.now() < waitUntil) await sleep(10);
  assert.equal(calls(), 1, 'the operator did not call the upstream once');
  // Killed between the call and the report's block: only its database knows it called.
  const pending = await getRequest(api, id);
  assert.equal(pending.status, 'pending');
  assert.equal(pending.reports.length, 0);
  await node.kill();
  node = await startDevNode({ basePath });
  api = node.api;

  const settled = await waitForSettlement(api, id);
  assert.equal(settled.status, 'completed');
  assert.deepEqual(settled.reports.map((report) => report.operator), [who.charlie.address]);
  // The restarted worker sent the report it had kept, without calling the upstream again.
  assert.equal(calls(), 1);
});

// Last but one: the operator is slashed and jailed by it.
test('two receipts for one call with different answers are an equivocation, slashed after the deferral', async () => {
  const { session } = await openSession(api, who.ferdie, { apiId, allowance: 5n * cost, blocks: 5 * minBlocks });
  const relay = new RelayClient({ api, client: who.ferdie, session, endpoint: node.relayUrl });
  const charlie = who.charlie.address;
  const real = await served(relay, { path: '/price?n=4000' });
  disputed = { session, real, path: '/price?n=4000' };
  const { receipt } = real;
  // A second answer to the same call, signed with the operator's gateway key in the test.
  const { receipt: other, signature: forged } = forgeReceipt(receipt, new TextEncoder().encode('{"n":-1}'));

  const slashed = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no slash within 90 s')), 90_000);
    api.query.system.events((events) => {
      for (const { event } of events) {
        if (api.events.slashing.Slashed.is(event) && event.data.offender.toString() === charlie) {
          clearTimeout(timer);
          resolve(event);
        }
      }
    });
  });
  const reported = await send(
    api.tx.relay.reportEquivocation(charlie, signedReceipt(receipt, real.receiptSignature), signedReceipt(other, forged)), who.eve);
  const event = findEvent(reported.events, 'relay', 'EquivocationReported').data;
  assert.equal(event.operator.toString(), charlie);
  assert.equal(event.reporter.toString(), who.eve.address);
  assert.equal(event.sequence.toNumber(), receipt.sequence);
  assert.ok((await slashed).data.amount.toBigInt() > 0n);

  // The same session's equivocation again is refused.
  await assert.rejects(
    send(api.tx.relay.reportEquivocation(charlie, signedReceipt(receipt, real.receiptSignature), signedReceipt(other, forged)), who.eve),
    /OffenceAlreadyReported/);
});

/** A receipt and its signature as the chain takes them (`SignedRelayReceipt`). */
function signedReceipt(r, signature) {
  return {
    receipt: {
      sessionId: r.sessionId, sequence: r.sequence, requestHash: r.requestHash, responseHash: r.responseHash,
      status: r.status, answeredAt: r.answeredAt,
    },
    signature,
  };
}

/**
 * `receipt` with `body` as its answer (dated `answeredAt`, the receipt's own by default), signed
 * with Charlie's gateway key in the test: an answer to the same call that his node never gave.
 */
function forgeReceipt(receipt, body, answeredAt = receipt.answeredAt) {
  const forged = { ...receipt, responseHash: u8aToHex(blake2AsU8a(body, 256)), answeredAt };
  return { receipt: forged, signature: u8aToHex(gate.sign(relayReceiptMessage(api.genesisHash.toHex(), forged))) };
}

/** Resolves with the first event `matches` accepts among the next blocks' events. */
function nextEvent(matches, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs / 1000} s`)), timeoutMs);
    api.query.system.events((events) => {
      for (const { event } of events) {
        if (matches(event)) {
          clearTimeout(timer);
          resolve(event);
        }
      }
    });
  });
}

// Last: a receipt of Charlie's vouches for an answer the upstream never gave; three other
// operators re-execute its call, Charlie is outvoted and slashed, and the slash pays Eve back.
test('a challenged receipt whose answer differs from the upstream\'s is a wrong result; the slash repays the challenger', async () => {
  assert.ok(disputed, 'the equivocation test served the call disputed here');
  const { session, real, path } = disputed;
  const charlie = who.charlie.address;
  const eve = who.eve.address;
  // A verdict takes three operators besides the challenged one (`minChallengeRedundancy`).
  const others = ['bob', 'dave', 'ferdie'];
  for (const name of others) {
    const seed = `//${name[0].toUpperCase()}${name.slice(1)}Gate`;
    await bondOperator(api, { funder: who.alice, operator: who[name], gateway: await gatewayKey(seed), gatewaySeed: seed, apiIds: [apiId] });
  }
  const redundancy = api.consts.relay.minChallengeRedundancy.toNumber();
  assert.equal(redundancy, 3);
  const fee = BigInt(plain(await api.rpc.gateway.quote(apiId, redundancy)).total);
  // Charlie's wrong answer to the call: the upstream's body with another price.
  const wrongBody = new TextEncoder().encode(real.body.replace('"price":7.25', '"price":1'));
  assert.notEqual(Buffer.from(wrongBody).toString(), real.body);
  // Dated now: the bonds above took longer than the challenge window may be.
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const { receipt } = real;
  const evidenceOf = ({ receipt: r, signature }) => ({ signed: signedReceipt(r, signature), body: u8aToHex(wrongBody) });
  const evidence = evidenceOf(forgeReceipt(receipt, wrongBody, best));
  const call = { method: 'Get', path, headers: [], body: '0x', redundancy, maxFee: fee, deadline: best + 8 };

  // A receipt older than the window, and a call that does not only read, cannot be checked by
  // running it again: refused, nothing paid.
  const window = api.consts.relay.challengeWindow.toNumber();
  const stale = evidenceOf(forgeReceipt(receipt, wrongBody, best - window - 1));
  await assert.rejects(send(api.tx.relay.challenge(session.id, stale, call), who.eve), /ChallengeWindowClosed/);
  await assert.rejects(
    send(api.tx.relay.challenge(session.id, evidence, { ...call, method: 'Post' }), who.eve),
    /UnsafeMethod/);

  // A call other than the one the receipt answered proves nothing, and one operator's word
  // convicts no one: both refused, nothing paid.
  await assert.rejects(
    send(api.tx.relay.challenge(session.id, evidence, { ...call, path: '/price?n=4001' }), who.eve),
    /RequestMismatch/);
  await assert.rejects(
    send(api.tx.relay.challenge(session.id, evidence, { ...call, redundancy: 1 }), who.eve),
    /RedundancyTooLow/);

  const settled = nextEvent((e) => api.events.relay.ChallengeSettled.is(e), 90_000, 'verdict');
  const slashed = nextEvent((e) => api.events.slashing.Slashed.is(e) && e.data.beneficiary.toString() === eve, 120_000, 'slash');
  // Eve disputes it with the baton program, from a file as `baton gateway --keep-receipts`
  // keeps one: the receipt, its signature, the body answered and the call made.
  const forged = forgeReceipt(receipt, wrongBody, best);
  const kept = `${os.tmpdir()}/baton-challenge-${process.pid}.json`;
  fs.writeFileSync(kept, JSON.stringify({
    receipt: u8aToHex(encodeRelayReceipt(forged.receipt)),
    signature: forged.signature,
    body: u8aToHex(wrongBody),
    request: { method: 'GET', path, headers: [], body: '0x' },
  }));
  const challengedEvent = nextEvent((e) => api.events.relay.Challenged.is(e), 60_000, 'challenge');
  const submittedEvent = nextEvent((e) => api.events.gateway.RequestSubmitted.is(e), 60_000, 'rerun');
  const disputing = await runBaton(['verify', kept, '--challenge', '--node', node.rpcUrl], { BATON_SURI: '//Eve' });
  fs.rmSync(kept, { force: true });
  assert.equal(disputing.status, 0, disputing.stdout + disputing.stderr);
  assert.match(disputing.stdout, /verified\nchallenging .*\n {2}sent 0x[0-9a-f]+\n {2}in block #\d+\n {2}finalized #\d+\nchallenged: request \d+ re-executes call/);
  const challenged = (await challengedEvent).data;
  assert.equal(challenged.operator.toString(), charlie);
  assert.equal(challenged.challenger.toString(), eve);
  assert.equal(challenged.sequence.toNumber(), receipt.sequence);
  const requestId = challenged.requestId.toNumber();
  const submitted = (await submittedEvent).data;
  assert.equal(submitted.requestId.toNumber(), requestId);
  assert.deepEqual(submitted.assigned.map(String).sort(), others.map((name) => who[name].address).sort(),
    'routed among the others, without Charlie');

  const verdict = (await settled).data;
  assert.equal(verdict.requestId.toNumber(), requestId);
  assert.equal(verdict.verdict.toString(), 'Upheld');
  // The majority's answer is the upstream's, not the receipt's.
  const response = plain(await api.rpc.gateway.response(requestId));
  assert.ok(others.some((name) => who[name].address === response.operator));
  assert.equal(response.verified, true);
  assert.equal(response.body, real.body);

  // Eve paid three prices and the fee; the slash gives them back first, then the reward share.
  const slash = (await slashed).data;
  assert.equal(slash.offender.toString(), charlie);
  assert.ok(slash.toBeneficiary.toBigInt() >= fee, `${slash.toBeneficiary} repays ${fee}`);

  // The operator's wrong result in this session counts once.
  await assert.rejects(send(api.tx.relay.challenge(session.id, evidence, call), who.eve), /AlreadyProven/);
});


test('the baton program opens, tops up, shows and closes a session, and names the runtime\'s error when the chain refuses', async () => {
  const run = (env, ...args) => spawnSync(batonProgram(), ['session', ...args, '--node', node.rpcUrl],
    { encoding: 'utf8', env: { ...process.env, ...env } });
  const bob = (...args) => run({ BATON_SURI: '//Bob' }, ...args);

  const opened = bob('open', String(apiId), '--operators', '1', '--allowance', btn(10n * cost), '--blocks', String(minBlocks));
  assert.equal(opened.status, 0, opened.stdout + opened.stderr);
  const id = Number(opened.stdout.match(/session (\d+) opened on API/)[1]);
  // Its progress, step by step.
  assert.match(opened.stdout, /sent 0x[0-9a-f]{64}\n {2}in block #\d+\n {2}finalized #\d+/);
  let session = plain(await api.rpc.relay.session(id));
  assert.equal(session.client, who.bob.address);
  assert.equal(BigInt(session.allowance), 10n * cost);

  // Bob's key from a file as a Substrate keystore keeps one (the secret as a JSON string).
  const keyFile = path.join(os.tmpdir(), `baton-key-${process.pid}`);
  fs.writeFileSync(keyFile, JSON.stringify('//Bob'));
  const topped = run({}, 'top-up', String(id), '--allowance', btn(cost), '--key-file', keyFile);
  fs.rmSync(keyFile, { force: true });
  assert.equal(topped.status, 0, topped.stdout + topped.stderr);
  assert.equal(BigInt(plain(await api.rpc.relay.session(id)).allowance), 11n * cost);
  // For a person, the terms in BTN; for a script (--json), the node's view.
  const shown = bob('show', String(id));
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^session ${id} on API ${apiId}: open, calls until #\\d+\n`));
  assert.match(shown.stdout, new RegExp(`allowance: ${btn(11n * cost).replace(/\.?0+$/, '').replace('.', '\\.')} BTN per operator`));
  const shownJson = bob('show', String(id), '--json');
  assert.equal(shownJson.status, 0, shownJson.stderr);
  assert.equal(JSON.parse(shownJson.stdout).id, id);
  assert.equal(JSON.parse(shownJson.stdout).allowance, String(11n * cost));

  // --json: stdout is one JSON document, the progress goes to stderr.
  const closed = bob('close', String(id), '--json');
  assert.equal(closed.status, 0, closed.stdout + closed.stderr);
  const closedJson = JSON.parse(closed.stdout);
  assert.equal(closedJson.sessionId, id);
  assert.ok(closedJson.claimsUntil > closedJson.block, closed.stdout);
  assert.match(closed.stderr, /in block #\d+\n {2}finalized #\d+/);
  session = plain(await api.rpc.relay.session(id));
  assert.equal(session.status, 'closed');

  // Refused by the chain: exit 1, the runtime's error by name and what it means.
  const again = bob('close', String(id));
  assert.equal(again.status, 1);
  assert.match(again.stderr, /relay\.SessionClosed: The session is closed\./);
  const unknown = bob('top-up', '999999', '--allowance', '1');
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /relay\.UnknownSession: No session has this id\./);
  // Refused by the program, before anything is sent.
  const noKey = run({ BATON_SURI: '' }, 'close', String(id));
  assert.equal(noKey.status, 1);
  assert.match(noKey.stderr, /secret URI/);
  const badAmount = bob('top-up', String(id), '--allowance', '1,5');
  assert.equal(badAmount.status, 1);
  assert.match(badAmount.stderr, /1,5: not an amount of BTN/);
});
