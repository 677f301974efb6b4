// A runtime upgrade through governance on a real dev node: token holders pass a Root referendum
// that sets the upgrade rehearsal's runtime (spec_version 101, whose migration adds the
// `spec_version` a request was submitted under to every stored gateway request), and the chain
// goes on with all it held: the operator's bond, the APIs, a completed request, and a request
// that was open at the upgrade and completes after it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Keyring } from '@polkadot/api';
import { stringToU8a, u8aToHex } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import {
  followBlocks, sendAndFinalize, sleep, startDevNode, upgradeWasm, waitForFinalized,
} from '../lib/node.mjs';
import {
  accounts, bondOperator, findEvent, gatewayKey, registerApi, startUpstream, submitRequest, waitForSettlement,
} from '../lib/gateway.mjs';

const UNIT = 10n ** 12n;
/** The whole referendum takes about 80 blocks (4 min): prepare 20, confirm 40, enactment 20. */
const REFERENDUM_TIMEOUT_MS = 8 * 60_000;
/**
 * The held API's timeout, the most the chain allows (5 blocks). Its request is submitted when
 * the block three before the enactment is seen, so it lands two before it, and the operator's
 * call, started when that block is imported, is held until the test sees the enactment block:
 * about 6 s, well within 15 s, and within it still if the request lands a block late or early.
 */
const HELD_TIMEOUT_MS = 15_000;
/**
 * The held request's deadline, the latest the chain allows (MaxDeadline). The report the old
 * runtime's worker signs covers spec_version 100 and is invalid once the runtime is 101; it is
 * taken only when the new runtime's worker resends it (3 blocks after the call, a few more if
 * the dropped report left a gap in the gateway key's nonces): it needs the room.
 */
const HELD_DEADLINE_IN = 10;

let node;
let api;
let upstream;
let who;
let priceApi;
let heldApi;
let completedBefore;
let stopFollowing = () => {};
/** Resolves when the test has seen the block that enacted the upgrade. */
let markUpgraded;
const upgraded = new Promise((resolve) => { markUpgraded = resolve; });
/** What the referendum's test found: the enactment block, its hash, its events, the held request. */
let upgrade;

before(async () => {
  who = await accounts();
  upstream = await startUpstream(async (req) => {
    if (req.url.startsWith('/held')) await upgraded;
    return { body: `{"price":7.25,"path":"${req.url}"}` };
  });
  node = await startDevNode();
  api = node.api;
  priceApi = await registerApi(api, who.alice, { baseUrl: upstream.url });
  heldApi = await registerApi(api, who.alice, { baseUrl: `${upstream.url}/held`, timeoutMs: HELD_TIMEOUT_MS });
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
  markUpgraded();
  if (node) await node.stop();
  if (upstream) await upstream.close();
});

/** The scheduler's name of referendum `index`'s enactment, as pallet-referenda gives it. */
const enactmentId = (index) => blake2AsHex(
  api.createType('([u8; 8], Text, u32)', [stringToU8a('assembly'), 'enactment', index]).toU8a(), 256);

/** A block's number and hash, and the state at it. */
async function block(number) {
  const hash = await api.rpc.chain.getBlockHash(number);
  return { number, hash, at: await api.at(hash) };
}

test('token holders pass a Root referendum that sets the new runtime, and it is enacted', { timeout: 10 * 60_000 }, async () => {
  assert.equal((await api.rpc.state.getRuntimeVersion()).specVersion.toNumber(), 100);
  assert.equal(api.runtimeVersion.specVersion.toNumber(), 100);

  // The proposal, `system.setCode(wasm)`, goes in as a preimage; the referendum names its hash.
  const proposal = api.tx.system.setCode(u8aToHex(fs.readFileSync(upgradeWasm()))).method.toU8a();
  const hash = blake2AsHex(proposal, 256);
  await sendAndFinalize(api.tx.preimage.notePreimage(u8aToHex(proposal)), who.alice);
  assert.ok((await api.query.preimage.requestStatusFor(hash)).isSome, 'preimage not noted');

  // Everything from the submission on is watched block by block.
  let stage = 'prepare';
  let index;
  let enactAt;
  let last = 0;
  let held;
  let fail;
  const enacted = new Promise((resolve, reject) => {
    fail = reject;
    const ours = (event) => event.data.index?.toNumber() === index;
    const named = (event) => event.data.id?.isSome && event.data.id.unwrap().toHex() === enactmentId(index);
    followBlocks(api, async ({ number, hash: blockHash, events }) => {
      last = number;
      if (index === undefined) return;
      for (const { event } of events) {
        const { section, method } = event;
        if (section === 'referenda' && ours(event)) {
          if (method === 'DecisionStarted') stage = 'deciding';
          if (method === 'ConfirmStarted') stage = 'confirming';
          if (method === 'ConfirmAborted') stage = 'deciding';
          if (['Rejected', 'TimedOut', 'Cancelled', 'Killed'].includes(method)) {
            reject(new Error(`referendum ${index} ${method} at block #${number} while ${stage}`));
          }
          if (method === 'Confirmed') {
            stage = 'approved';
            const lookup = await (await api.at(blockHash)).query.scheduler.lookup(enactmentId(index));
            assert.ok(lookup.isSome, `referendum ${index} confirmed at #${number} but its enactment is not scheduled`);
            enactAt = lookup.unwrap()[0].toNumber();
          }
        }
        if (section === 'scheduler' && named(event)) {
          if (method === 'Dispatched') {
            if (event.data.result.isErr) {
              reject(new Error(`the enactment at #${number} failed: ${event.data.result.asErr.toString()}`));
            }
            stage = 'enacted';
            resolve({ number, hash: blockHash, events, held });
          } else if (['CallUnavailable', 'PermanentlyOverweight'].includes(method)) {
            reject(new Error(`the enactment at #${number}: scheduler.${method}`));
          }
        }
        if (section === 'system' && method === 'CodeUpdated') markUpgraded();
      }
      // The request that is open across the upgrade (see HELD_TIMEOUT_MS).
      if (enactAt !== undefined && number >= enactAt - 3 && !held) {
        held = submitRequest(api, who.ferdie, { apiId: heldApi, path: '/quote', deadlineIn: HELD_DEADLINE_IN });
        held.catch(() => {});
      }
    }, reject).then((stop) => { stopFollowing = stop; }, reject);
  });
  // A failure before the test awaits it is reported there, not as an unhandled rejection.
  enacted.catch(() => {});
  const timer = setTimeout(() => fail(new Error(
    `referendum ${index} stuck at stage ${stage} (last block seen #${last}`
    + `${enactAt ? `, enactment scheduled at #${enactAt}` : ''}) after ${REFERENDUM_TIMEOUT_MS / 60_000} min`)),
  REFERENDUM_TIMEOUT_MS);

  try {
    const submitted = await sendAndFinalize(
      api.tx.referenda.submit({ System: 'Root' }, { Lookup: { hash, len: proposal.length } }, { After: 1 }),
      who.alice);
    index = findEvent(submitted.events, 'referenda', 'Submitted').data.index.toNumber();
    await sendAndFinalize(api.tx.referenda.placeDecisionDeposit(index), who.alice);

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
      await sendAndFinalize(api.tx.convictionVoting.vote(index, vote), voter);
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
  assert.ok(upgrade.events.some(({ event }) => event.section === 'system' && event.method === 'CodeUpdated'),
    `no system.CodeUpdated in the enactment block #${upgrade.number}`);
  assert.equal(upgrade.number, enactAt);
});

test('the chain goes on under spec_version 101, with the gateway pallet at storage version 1', async () => {
  assert.ok(upgrade, 'the upgrade was not enacted');
  // Several blocks after the upgrade's are built and finalized.
  await waitForFinalized(api, upgrade.number + 5);
  assert.equal((await api.rpc.state.getRuntimeVersion()).specVersion.toNumber(), 101);
  // polkadot.js takes the new runtime's metadata and version when it sees it change.
  for (let i = 0; i < 60 && api.runtimeVersion.specVersion.toNumber() !== 101; i++) await sleep(500);
  assert.equal(api.runtimeVersion.specVersion.toNumber(), 101);
  // The migration runs in the first block the new runtime executes, the one after the upgrade's.
  const { at: enactment } = await block(upgrade.number);
  const { at: migrated } = await block(upgrade.number + 1);
  assert.equal((await enactment.query.gateway.palletVersion()).toNumber(), 0);
  assert.equal((await migrated.query.gateway.palletVersion()).toNumber(), 1);
  assert.equal((await api.query.gateway.palletVersion()).toNumber(), 1);
});

test('the operator\'s bond, the APIs and every stored request are kept; requests from before read spec_version 100', async () => {
  assert.ok(upgrade, 'the upgrade was not enacted');
  // The state the old runtime left (its metadata reads it) and the state after the migration.
  const { at: enactment } = await block(upgrade.number);
  const { at: migrated } = await block(upgrade.number + 1);

  const bond = async (at) => (await at.query.operatorStaking.operators(who.charlie.address)).unwrap();
  const [bondBefore, bondAfter] = [await bond(enactment), await bond(api)];
  assert.equal(bondAfter.bonded.toBigInt(), bondBefore.bonded.toBigInt());
  assert.deepEqual(bondAfter.gatewayKey.toJSON(), bondBefore.gatewayKey.toJSON());
  assert.deepEqual(bondAfter.profile.toJSON(), bondBefore.profile.toJSON());
  assert.ok(bondAfter.status.isActive);

  for (const id of [priceApi, heldApi]) {
    assert.deepEqual((await api.query.gateway.apis(id)).toJSON(), (await enactment.query.gateway.apis(id)).toJSON());
  }

  const requests = async (at) => new Map((await at.query.gateway.requests.entries())
    .map(([key, request]) => [key.args[0].toNumber(), request.unwrap().toJSON()]));
  const [before, after] = [await requests(enactment), await requests(migrated)];
  const held = await upgrade.held;
  assert.ok(before.has(completedBefore.id), `completed request ${completedBefore.id} not stored at the upgrade`);
  assert.ok(before.has(held.id), `held request ${held.id} not stored at the upgrade`);
  assert.deepEqual(Object.keys(before.get(held.id).status), ['pending'], 'the held request was not open at the upgrade');
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  for (const [id, request] of after) {
    const { specVersion, ...rest } = request;
    assert.equal(specVersion, 100, `request ${id}`);
    assert.deepEqual(rest, before.get(id), `request ${id}`);
  }
});

test('the request open at the upgrade completes after it', async () => {
  assert.ok(upgrade, 'the upgrade was not enacted');
  const held = await upgrade.held;
  const request = await waitForSettlement(api, held.id, 60_000);
  assert.equal(request.status, 'completed');
  assert.ok(request.settledAt > upgrade.number, `settled at #${request.settledAt}, upgraded at #${upgrade.number}`);
  const { at } = await block(request.settledAt);
  const completed = (await at.query.system.events())
    .find(({ event }) => at.events.gateway.RequestCompleted.is(event) && event.data.requestId.toNumber() === held.id);
  assert.ok(completed, `no gateway.RequestCompleted for request ${held.id} at #${request.settledAt}`);
  assert.equal((await api.query.gateway.requests(held.id)).unwrap().specVersion.toNumber(), 100);
});

test('a request submitted after the upgrade records spec_version 101 and completes', async () => {
  assert.ok(upgrade, 'the upgrade was not enacted');
  const submitted = await submitRequest(api, who.ferdie, { apiId: priceApi, path: '/after' });
  const stored = (await (await api.at(submitted.blockHash)).query.gateway.requests(submitted.id)).unwrap();
  assert.equal(stored.specVersion.toNumber(), 101);
  const request = await waitForSettlement(api, submitted.id);
  assert.equal(request.status, 'completed');
  const { at } = await block(request.settledAt);
  assert.ok((await at.query.system.events())
    .some(({ event }) => at.events.gateway.RequestCompleted.is(event) && event.data.requestId.toNumber() === submitted.id));
});
