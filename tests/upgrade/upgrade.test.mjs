// A runtime upgrade through governance on a real dev node: token holders pass a Root referendum
// that sets the upgrade rehearsal's runtime (spec_version 101, whose migration adds the
// `spec_version` a request was submitted under to every stored gateway request), and the chain
// goes on with all it held: the operator's bond, the API, a completed request, a request still
// open when the migration runs, which the new runtime completes, and one whose report the old
// runtime signed, which the worker resends under the new one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Keyring } from '@polkadot/api';
import { stringToU8a, u8aToHex } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import { findEvent, requestTx, send, submitRequest } from '@baton/client';
import { connectTo, followBlocks, sleep, startDevNode, upgradeWasm, waitForFinalized } from '../lib/node.mjs';
import { accounts, bondOperator, gatewayKey, registerApi, startUpstream, waitForSettlement } from '../lib/gateway.mjs';

const UNIT = 10n ** 12n;
/** The whole referendum takes about 80 blocks (4 min): prepare 20, confirm 40, enactment 20. */
const REFERENDUM_TIMEOUT_MS = 8 * 60_000;
/**
 * Blocks before the enactment's at which the open request is submitted: one, so that it lands in
 * the enactment block itself. That block still runs the old runtime (the new code runs from the
 * next one, which migrates), so the request is stored in the old layout and is pending when the
 * migration runs; the old runtime's worker never sees it (the worker of the enactment block runs
 * the new code on unmigrated storage, and waits for the migration) and the new runtime's worker
 * executes it, with the API's 2 s timeout and a deadline of 10 blocks, the most the chain allows.
 */
const OPEN_BEFORE_ENACTMENT = 1;
/**
 * Blocks before the enactment's at which the held request is submitted: the old runtime's worker
 * executes it at once, and its upstream answers only once the enactment block is imported, so
 * the report is signed for spec_version 100, which the pool refuses once the runtime is 101.
 * The worker must then resend it at once under the new runtime, with the nonce counted again
 * from the chain's: waiting out its usual 3 blocks and the nonce gap the dropped report left
 * would land it after the deadline (a run of this test before the fix saw the client refunded
 * and the operator charged for a missed deadline). Its API's timeout is 15 s.
 */
const HELD_BEFORE_ENACTMENT = 2;

let node;
/** The connection the test starts with, which lives through the upgrade. */
let api;
/**
 * A connection made after the upgrade, for reading state on both sides of it. The first one
 * cannot be trusted with that: polkadot.js rewrites its default registry in place when the
 * runtime changes, and `api.at(hash)` of a block it had already resolved with that registry
 * then decodes the old runtime's state with the new runtime's types.
 */
let reader;
let upstream;
let who;
let priceApi;
/** An API whose upstream holds its answer until the upgrade is imported. */
let heldApi;
let completedBefore;
/** Resolves when the enactment block is imported: the held upstream answers then. */
let releaseHeld;
const upgradeImported = new Promise((resolve) => { releaseHeld = resolve; });
let stopFollowing = () => {};
/** What the referendum's test found: the enactment block, its hash, and the open request's id. */
let upgrade;

before(async () => {
  who = await accounts();
  upstream = await startUpstream(async (req) => {
    if (req.url.startsWith('/held')) await upgradeImported;
    return { body: `{"price":7.25,"path":"${req.url}"}` };
  });
  node = await startDevNode();
  api = node.api;
  priceApi = await registerApi(api, who.alice, { baseUrl: upstream.url });
  heldApi = await registerApi(api, who.alice, { baseUrl: upstream.url, timeoutMs: 15_000 });
  // The node's own operator: Charlie, whose gateway key goes into the node's keystore.
  await bondOperator(api, {
    funder: who.alice, operator: who.charlie, gateway: await gatewayKey('//CharlieGate'),
    gatewaySeed: '//CharlieGate', apiIds: [priceApi, heldApi],
  });
  completedBefore = await submitRequest(api, who.ferdie, { apiId: priceApi, path: '/before' });
  assert.equal((await waitForSettlement(api, completedBefore.id)).status, 'completed');
});

after(async () => {
  stopFollowing();
  if (reader) await reader.disconnect();
  if (node) await node.stop();
  if (upstream) await upstream.close();
});

/** The scheduler's name of referendum `index`'s enactment, as pallet-referenda gives it. */
const enactmentId = (index) => blake2AsHex(
  api.createType('([u8; 8], Text, u32)', [stringToU8a('assembly'), 'enactment', index]).toU8a(), 256);

/** The state at block `number`, as the runtime of its parent reads it. */
async function stateAt(number) {
  return reader.at(await reader.rpc.chain.getBlockHash(number));
}

test('token holders pass a Root referendum that sets the new runtime, and it is enacted', { timeout: 10 * 60_000 }, async () => {
  assert.equal((await api.rpc.state.getRuntimeVersion()).specVersion.toNumber(), 100);
  assert.equal(api.runtimeVersion.specVersion.toNumber(), 100);

  // The proposal, `system.setCode(wasm)`, goes in as a preimage; the referendum names its hash.
  const proposal = api.tx.system.setCode(u8aToHex(fs.readFileSync(upgradeWasm()))).method.toU8a();
  const hash = blake2AsHex(proposal, 256);
  await send(api.tx.preimage.notePreimage(u8aToHex(proposal)), who.alice);
  assert.ok((await api.query.preimage.requestStatusFor(hash)).isSome, 'preimage not noted');

  // From the submission on, every new head: where the referendum stands, and whether the block
  // changed the code (a `RuntimeEnvironmentUpdated` digest, which reads the same under either
  // runtime, unlike events through polkadot.js around an upgrade).
  let stage = 'prepare';
  let index;
  let enactAt;
  let last = 0;
  let open;
  let held;
  let fail;
  let lastError;
  const enacted = new Promise((resolve, reject) => {
    fail = reject;
    followBlocks(api, async (header) => {
      const number = header.number.toNumber();
      last = number;
      if (index === undefined) return;
      if (header.digest.logs.some((log) => log.isRuntimeEnvironmentUpdated)) {
        stage = 'enacted';
        releaseHeld();
        resolve({ number, open, held });
        return;
      }
      if (enactAt !== undefined && number >= enactAt) {
        // No upgrade happened, so polkadot.js reads this block's events right.
        const events = await (await api.at(header.hash)).query.system.events();
        const dispatched = events.find(({ event }) => api.events.scheduler.Dispatched.is(event)
          && event.data.id.isSome && event.data.id.unwrap().toHex() === enactmentId(index));
        reject(new Error(`the enactment scheduled at #${enactAt} did not change the code by #${number}: `
          + `${dispatched ? `dispatched with ${dispatched.event.data.result.toString()}` : 'not dispatched'}`));
        return;
      }
      if (stage !== 'approved') {
        const info = (await api.query.referenda.referendumInfoFor(index)).unwrap();
        if (info.isOngoing) {
          const { deciding } = info.asOngoing;
          stage = deciding.isNone ? 'prepare' : deciding.unwrap().confirming.isNone ? 'deciding' : 'confirming';
        } else if (info.isApproved) {
          const scheduled = await api.query.scheduler.lookup(enactmentId(index));
          assert.ok(scheduled.isSome, `referendum ${index} approved by #${number} but its enactment is not scheduled`);
          enactAt = scheduled.unwrap()[0].toNumber();
          stage = 'approved';
        } else {
          reject(new Error(`referendum ${index} ended ${info.type} by block #${number}, while ${stage}`));
        }
      }
      if (enactAt !== undefined && number === enactAt - HELD_BEFORE_ENACTMENT) {
        held = requestTx(api, { apiId: heldApi, path: '/held' }).then((tx) => send(tx, who.ferdie));
        held.catch(() => {});
      }
      if (enactAt !== undefined && number === enactAt - OPEN_BEFORE_ENACTMENT) {
        // Its id is read from the enactment block's events below, through `reader`: this
        // connection reads them while it swaps runtimes, and may read them wrong.
        open = requestTx(api, { apiId: priceApi, path: '/open' }).then((tx) => send(tx, who.ferdie));
        open.catch(() => {});
      }
    }, (error) => { lastError = error; }).then((stop) => { stopFollowing = stop; }, reject);
  });
  // A failure before the test awaits it is reported there, not as an unhandled rejection.
  enacted.catch(() => {});
  const timer = setTimeout(() => fail(new Error(
    `referendum ${index} stuck at stage ${stage} (last block seen #${last}`
    + `${enactAt ? `, enactment scheduled at #${enactAt}` : ''}) after ${REFERENDUM_TIMEOUT_MS / 60_000} min`
    + `${lastError ? `; last error: ${lastError.message}` : ''}`)),
  REFERENDUM_TIMEOUT_MS);

  try {
    const submitted = await send(
      api.tx.referenda.submit({ System: 'Root' }, { Lookup: { hash, len: proposal.length } }, { After: 1 }),
      who.alice);
    index = findEvent(submitted.events, 'referenda', 'Submitted').data.index.toNumber();
    await send(api.tx.referenda.placeDecisionDeposit(index), who.alice);

    // Support must pass 50% of issuance as soon as deciding starts: the dev accounts that do
    // nothing else here (Alice pays and Ferdie submits requests later, Charlie operates) vote
    // aye with all but one BTN of their balance — a vote freezes it, fees too. Conviction None
    // counts the whole balance for support; with no nays approval is 100% anyway.
    const keyring = new Keyring({ type: 'sr25519' });
    const stashes = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie']
      .map((name) => keyring.addFromUri(`//${name}//stash`));
    await Promise.all([who.bob, who.dave, who.eve, ...stashes].map(async (voter) => {
      const free = (await api.query.system.account(voter.address)).data.free.toBigInt();
      const vote = { Standard: { vote: { aye: true, conviction: 'None' }, balance: free - UNIT } };
      await send(api.tx.convictionVoting.vote(index, vote), voter);
    }));
    const { tally } = (await api.query.referenda.referendumInfoFor(index)).unwrap().asOngoing;
    const issuance = (await api.query.balances.totalIssuance()).toBigInt();
    assert.ok(tally.support.toBigInt() * 2n > issuance,
      `support ${tally.support.toBigInt() / UNIT} BTN is not above half the issuance, ${issuance / UNIT} BTN`);

    upgrade = await enacted;
  } finally {
    clearTimeout(timer);
    stopFollowing();
  }
  assert.equal(upgrade.number, enactAt);
  reader = await connectTo(node.rpcUrl);
  upgrade.hash = (await reader.rpc.chain.getBlockHash(upgrade.number)).toHex();
  const events = (await (await stateAt(upgrade.number)).query.system.events()).map(({ event }) => event);
  const dispatched = events.find((event) => event.section === 'scheduler' && event.method === 'Dispatched'
    && event.data.id.isSome && event.data.id.unwrap().toHex() === enactmentId(index));
  assert.ok(dispatched?.data.result.isOk, `enactment at #${upgrade.number}: ${dispatched?.data.result.toString()}`);
  assert.ok(events.some((event) => event.section === 'system' && event.method === 'CodeUpdated'),
    `no system.CodeUpdated in the enactment block #${upgrade.number}`);

  assert.ok(upgrade.open, `no request submitted at #${enactAt - OPEN_BEFORE_ENACTMENT}`);
  const { blockHash } = await upgrade.open;
  assert.equal(blockHash, upgrade.hash, `the open request did not land in the enactment block #${upgrade.number}`);
  const submitted = events.find((event) => event.section === 'gateway' && event.method === 'RequestSubmitted');
  upgrade.openId = submitted.data.requestId.toNumber();
});

test('the chain goes on under spec_version 101, with the gateway pallet at storage version 1', async () => {
  assert.ok(reader, 'the upgrade was not enacted');
  // Several blocks after the upgrade's are built and finalized.
  await waitForFinalized(api, upgrade.number + 5);
  assert.equal((await api.rpc.state.getRuntimeVersion()).specVersion.toNumber(), 101);
  // polkadot.js takes the new runtime's metadata and version when it sees it change.
  for (let i = 0; i < 60 && api.runtimeVersion.specVersion.toNumber() !== 101; i++) await sleep(500);
  assert.equal(api.runtimeVersion.specVersion.toNumber(), 101);
  // The migration runs in the first block the new runtime executes, the one after the upgrade's.
  assert.equal((await (await stateAt(upgrade.number)).query.gateway.palletVersion()).toNumber(), 0);
  assert.equal((await (await stateAt(upgrade.number + 1)).query.gateway.palletVersion()).toNumber(), 1);
  assert.equal((await reader.query.gateway.palletVersion()).toNumber(), 1);
});

test('the operator\'s bond, the API and every stored request are kept; requests from before read spec_version 100', async () => {
  assert.ok(upgrade?.openId !== undefined, 'the upgrade was not enacted with a request open');
  // The state the old runtime left (its metadata reads it) and the state after the migration.
  const enactment = await stateAt(upgrade.number);
  const migrated = await stateAt(upgrade.number + 1);

  const bond = async (at) => (await at.query.operatorStaking.operators(who.charlie.address)).unwrap();
  const [bondBefore, bondAfter] = [await bond(enactment), await bond(reader)];
  assert.equal(bondAfter.bonded.toBigInt(), bondBefore.bonded.toBigInt());
  assert.deepEqual(bondAfter.gatewayKey.toJSON(), bondBefore.gatewayKey.toJSON());
  assert.deepEqual(bondAfter.profile.toJSON(), bondBefore.profile.toJSON());
  assert.ok(bondAfter.status.isActive);

  assert.deepEqual((await reader.query.gateway.apis(priceApi)).toJSON(), (await enactment.query.gateway.apis(priceApi)).toJSON());

  const requests = async (at) => new Map((await at.query.gateway.requests.entries())
    .map(([key, request]) => [key.args[0].toNumber(), request.unwrap().toJSON()]));
  const [before, after] = [await requests(enactment), await requests(migrated)];
  assert.ok(before.has(completedBefore.id), `completed request ${completedBefore.id} not stored at the upgrade`);
  assert.deepEqual(Object.keys(before.get(upgrade.openId).status), ['pending'], 'the open request was settled at the upgrade');
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  for (const [id, request] of after) {
    const { specVersion, ...rest } = request;
    assert.equal(specVersion, 100, `request ${id}`);
    assert.deepEqual(rest, before.get(id), `request ${id}`);
  }
});

test('the request open at the upgrade completes under the new runtime', async () => {
  assert.ok(upgrade?.openId !== undefined, 'the upgrade was not enacted with a request open');
  const request = await waitForSettlement(reader, upgrade.openId);
  assert.equal(request.status, 'completed', JSON.stringify(request));
  assert.ok(request.settledAt > upgrade.number, `settled at #${request.settledAt}, upgraded at #${upgrade.number}`);
  const at = await stateAt(request.settledAt);
  const completed = (await at.query.system.events())
    .find(({ event }) => at.events.gateway.RequestCompleted.is(event) && event.data.requestId.toNumber() === upgrade.openId);
  assert.ok(completed, `no gateway.RequestCompleted for request ${upgrade.openId} at #${request.settledAt}`);
  assert.equal((await reader.query.gateway.requests(upgrade.openId)).unwrap().specVersion.toNumber(), 100);
  // The enactment block's workers, the new code on the old layout, waited for the migration
  // instead of misreading the request.
  const waited = `block ${upgrade.number}: the storage awaits the new runtime's migrations`;
  assert.ok(node.logs.some((chunk) => chunk.includes(waited)), `no "${waited}" in the node's log`);
  const misread = node.logs.filter((chunk) => chunk.includes('Corrupted state'));
  assert.deepEqual(misread, [], 'storage was misread');
});

test('a request whose upstream answered at the upgrade completes: its refused report is resent under the new runtime', async () => {
  assert.ok(upgrade?.held, 'the upgrade was not enacted with a request held');
  const { blockHash } = await upgrade.held;
  const at = await reader.at(blockHash);
  const submitted = (await at.query.system.events()).find(({ event }) => event.section === 'gateway'
    && event.method === 'RequestSubmitted' && event.data.apiId.toNumber() === heldApi);
  assert.ok(submitted, 'no gateway.RequestSubmitted for the held request');
  const id = submitted.event.data.requestId.toNumber();
  const request = await waitForSettlement(reader, id);
  assert.equal(request.status, 'completed', JSON.stringify(request));
  assert.ok(request.settledAt > upgrade.number, `settled at #${request.settledAt}, upgraded at #${upgrade.number}`);
  assert.equal(upstream.requests.filter((call) => call.url.startsWith('/held')).length, 1, 'the upstream was called again');
});

test('a request submitted after the upgrade records spec_version 101 and completes', async () => {
  assert.ok(reader, 'the upgrade was not enacted');
  const submitted = await submitRequest(reader, who.ferdie, { apiId: priceApi, path: '/after' });
  const stored = (await (await reader.at(submitted.blockHash)).query.gateway.requests(submitted.id)).unwrap();
  assert.equal(stored.specVersion.toNumber(), 101);
  const request = await waitForSettlement(reader, submitted.id);
  assert.equal(request.status, 'completed');
  const at = await stateAt(request.settledAt);
  assert.ok((await at.query.system.events())
    .some(({ event }) => at.events.gateway.RequestCompleted.is(event) && event.data.requestId.toNumber() === submitted.id));
});
