// The dev chain as a dApp sees it: blocks finalize, metadata decodes without custom types,
// and a signed transfer moves exactly the amount sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import { send } from '@baton/client';
import { startDevNode, waitForFinalized } from '../lib/node.mjs';

let node;
let keyring;

before(async () => {
  await cryptoWaitReady();
  keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  node = await startDevNode();
});

after(async () => {
  if (node) await node.stop();
});

test('blocks are produced and finalized', async () => {
  const header = await waitForFinalized(node.api, 3);
  assert.ok(header.number.toNumber() >= 3);
  const best = await node.api.rpc.chain.getHeader();
  assert.ok(best.number.toNumber() >= header.number.toNumber());
});

test('metadata decodes with no custom types', async () => {
  const { api } = node;
  assert.equal((await api.rpc.state.getRuntimeVersion()).specName.toString(), 'baton');
  // Every transaction extension is one polkadot.js knows: wallets can sign without hints.
  const extensions = api.registry.metadata.extrinsic.transactionExtensions
    .map(({ identifier }) => identifier.toString());
  const unknown = api.registry.signedExtensions.filter((name) => !extensions.includes(name));
  assert.deepEqual(unknown, []);
  assert.ok(extensions.includes('CheckMetadataHash'));
  // Every type in the metadata can be built from the metadata alone.
  for (const { id } of api.registry.lookup.types) {
    const name = api.registry.createLookupType(id);
    assert.doesNotThrow(() => api.registry.createType(name), `type ${id} (${name})`);
  }
  // The pallets users are told about are all there.
  for (const pallet of ['system', 'balances', 'council', 'treasury', 'referenda', 'convictionVoting', 'sudo']) {
    assert.ok(api.tx[pallet], `pallet ${pallet} missing`);
  }
  const properties = await api.rpc.system.properties();
  assert.equal(properties.tokenSymbol.unwrap()[0].toString(), 'BTN');
  assert.equal(properties.tokenDecimals.unwrap()[0].toNumber(), 12);
});

test('a signed transfer is finalized and moves exactly the amount', async () => {
  const { api } = node;
  const alice = keyring.addFromUri('//Alice');
  const recipient = keyring.addFromUri(mnemonicGenerate());
  const amount = 123_456_789_000_000n; // 123.456789 BTN

  const before = {
    alice: (await api.query.system.account(alice.address)).data.free.toBigInt(),
    recipient: (await api.query.system.account(recipient.address)).data.free.toBigInt(),
  };
  assert.equal(before.recipient, 0n);

  const { blockHash, events } = await send(
    api.tx.balances.transferKeepAlive(recipient.address, amount), alice);
  const feeEvent = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  assert.ok(feeEvent, 'TransactionFeePaid event');
  const fee = feeEvent.event.data.actualFee.toBigInt() + feeEvent.event.data.tip.toBigInt();
  assert.ok(fee > 0n);

  const at = await api.at(blockHash);
  const after = {
    alice: (await at.query.system.account(alice.address)).data.free.toBigInt(),
    recipient: (await at.query.system.account(recipient.address)).data.free.toBigInt(),
  };
  assert.equal(after.recipient - before.recipient, amount);
  assert.equal(before.alice - after.alice, amount + fee);
});
