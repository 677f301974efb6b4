// The operator's journey on a dev chain, as polkadot.js apps would drive it: bond (stake shows
// as held balance), unbond, an early withdrawal is refused, the withdrawal after the dev
// unbonding period succeeds; a bond with a key proof made for another account is refused; and a
// council motion changes the minimum bond.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { send } from '@baton/client';
import { startDevNode, waitForFinalized } from '../lib/node.mjs';
import { keyProof } from '../lib/gateway.mjs';

const UNIT = 10n ** 12n;
let node;
let api;
let keyring;
let alice;
let bob;

before(async () => {
  await cryptoWaitReady();
  keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  alice = keyring.addFromUri('//Alice');
  bob = keyring.addFromUri('//Bob');
  node = await startDevNode();
  api = node.api;
});

after(async () => {
  if (node) await node.stop();
});

const profile = (capacity = 4) => ({
  endpoint: 'https://operator.example/gw',
  region: 'DE',
  capacity,
  apis: [1, 2],
});

async function bondHeld(address) {
  const holds = await api.query.balances.holds(address);
  const hold = holds.find((h) => h.id.isOperatorStaking && h.id.asOperatorStaking.isOperatorBond);
  return hold ? hold.amount.toBigInt() : 0n;
}

async function newOperator(funds) {
  const operator = keyring.addFromUri(mnemonicGenerate());
  await send(api.tx.balances.transferKeepAlive(operator.address, funds), alice);
  return operator;
}

test('an operator bonds, unbonds, cannot withdraw early, and withdraws after the period', async () => {
  const params = await api.query.operatorStaking.params();
  const minBond = params.minBond.toBigInt();
  const unbondingPeriod = params.unbondingPeriod.toNumber();
  const operator = await newOperator(minBond * 3n);
  const gatewayKey = new Keyring({ type: 'ed25519' }).addFromUri(mnemonicGenerate());
  const stake = minBond * 2n;

  const proof = keyProof(api, operator.address, gatewayKey);
  await send(
    api.tx.operatorStaking.bond(stake, u8aToHex(gatewayKey.publicKey), profile(), proof), operator);
  assert.equal(await bondHeld(operator.address), stake);
  const info = (await api.query.operatorStaking.operators(operator.address)).unwrap();
  assert.equal(info.bonded.toBigInt(), stake);
  assert.equal(u8aToHex(info.gatewayKey), u8aToHex(gatewayKey.publicKey));
  assert.ok(info.status.isActive);

  // The runtime API shows the operator with its (prior) reputation.
  const view = await api.call.operatorApi.operator(operator.address);
  assert.ok(view.isSome);
  assert.equal(view.unwrap().available.isTrue, true);
  assert.equal(view.unwrap().reputation.score.toNumber(), 500_000_000);

  const { blockHash } = await send(api.tx.operatorStaking.unbond(stake), operator);
  const unbondedAt = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
  assert.equal(await bondHeld(operator.address), stake, 'unbonding stake stays held');

  await assert.rejects(
    send(api.tx.operatorStaking.withdrawUnbonded(), operator),
    /operatorStaking\.NothingToWithdraw/);

  await waitForFinalized(api, unbondedAt + unbondingPeriod, (unbondingPeriod + 20) * 4000);
  const free = (await api.query.system.account(operator.address)).data.free.toBigInt();
  const { events } = await send(api.tx.operatorStaking.withdrawUnbonded(), operator);
  assert.ok(events.some(({ event }) => api.events.operatorStaking.OperatorRemoved.is(event)));
  assert.equal(await bondHeld(operator.address), 0n);
  const fee = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event))
    .event.data.actualFee.toBigInt();
  const after = (await api.query.system.account(operator.address)).data.free.toBigInt();
  assert.equal(after, free + stake - fee);
  assert.ok((await api.query.operatorStaking.operators(operator.address)).isNone);
});

test('a bond with the key and proof of another operator is refused and holds nothing', async () => {
  const minBond = (await api.query.operatorStaking.params()).minBond.toBigInt();
  const owner = await newOperator(minBond * 2n);
  const mallory = await newOperator(minBond * 2n);
  const gatewayKey = new Keyring({ type: 'ed25519' }).addFromUri(mnemonicGenerate());
  // The owner's proof is public once its bond is in the pool; Mallory copies key and proof.
  const ownersProof = keyProof(api, owner.address, gatewayKey);
  const bond = (who) => send(
    api.tx.operatorStaking.bond(minBond, u8aToHex(gatewayKey.publicKey), profile(), ownersProof), who);

  await assert.rejects(bond(mallory), /operatorStaking\.BadKeyProof/);
  assert.equal(await bondHeld(mallory.address), 0n);
  assert.ok((await api.query.operatorStaking.operators(mallory.address)).isNone);
  assert.ok((await api.query.operatorStaking.keyOwners(gatewayKey.address)).isNone);

  // The key is still the owner's to bind.
  await bond(owner);
  assert.equal(await bondHeld(owner.address), minBond);
  assert.ok((await api.query.operatorStaking.keyOwners(gatewayKey.address)).unwrap().eq(owner.address));
});

test('two thirds of the council change the minimum bond', async () => {
  const params = (await api.query.operatorStaking.params()).toJSON();
  const newMin = BigInt(params.minBond) * 2n;
  const call = api.tx.operatorStaking.updateParams({ ...params, minBond: newMin });
  const length = call.method.encodedLength;

  const { events } = await send(api.tx.council.propose(2, call, length), alice);
  const proposed = events.find(({ event }) => api.events.council.Proposed.is(event)).event.data;
  const [hash, index] = [proposed.proposalHash, proposed.proposalIndex];
  // Proposing is not voting: two of the three members vote aye.
  await send(api.tx.council.vote(hash, index, true), alice);
  await send(api.tx.council.vote(hash, index, true), bob);
  const weight = (await api.call.transactionPaymentCallApi.queryCallInfo(call, length)).weight;
  const closed = await send(api.tx.council.close(hash, index, weight, length), bob);
  const executed = closed.events.find(({ event }) => api.events.council.Executed.is(event));
  assert.ok(executed.event.data.result.isOk, executed.event.data.result.toString());
  assert.equal((await api.query.operatorStaking.params()).minBond.toBigInt(), newMin);

  // A bond under the new minimum is refused.
  const operator = await newOperator(newMin * 2n);
  const key = new Keyring({ type: 'ed25519' }).addFromUri(mnemonicGenerate());
  const proof = keyProof(api, operator.address, key);
  await assert.rejects(
    send(
      api.tx.operatorStaking.bond(newMin - UNIT, u8aToHex(key.publicKey), profile(), proof), operator),
    /operatorStaking\.BondTooLow/);
});

test('a non-member cannot change the parameters directly', async () => {
  const params = (await api.query.operatorStaking.params()).toJSON();
  await assert.rejects(
    send(api.tx.operatorStaking.updateParams(params), bob),
    /BadOrigin/);
});
