// The operator node's offchain worker, for real: a gateway key inserted into the node's
// keystore over RPC, bound by a bond, sends signed heartbeats that the chain accepts for free.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { send } from '@baton/client';
import { startDevNode } from '../lib/node.mjs';
import { keyProof } from '../lib/gateway.mjs';

let node;
let api;

before(async () => {
  await cryptoWaitReady();
  node = await startDevNode();
  api = node.api;
});

after(async () => {
  if (node) await node.stop();
});

test('the node sends heartbeats signed by the gateway key in its keystore', async () => {
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const alice = keyring.addFromUri('//Alice');
  const operator = keyring.addFromUri(mnemonicGenerate());
  const gatewaySeed = mnemonicGenerate();
  const gateway = new Keyring({ type: 'ed25519', ss58Format: 42 }).addFromUri(gatewaySeed);
  const { minBond, heartbeatInterval } = await api.query.operatorStaking.params();

  await api.rpc.author.insertKey('gate', gatewaySeed, u8aToHex(gateway.publicKey));
  assert.ok((await api.rpc.author.hasKey(u8aToHex(gateway.publicKey), 'gate')).isTrue);

  // The operator's stake, and a little for the key's own account to sign with.
  await send(
    api.tx.balances.transferKeepAlive(operator.address, minBond.toBigInt() * 2n), alice);
  await send(api.tx.balances.transferKeepAlive(gateway.address, 10n ** 12n), alice);
  const { blockHash } = await send(api.tx.operatorStaking.bond(
    minBond, u8aToHex(gateway.publicKey),
    { endpoint: 'http://127.0.0.1:1', region: 'DE', capacity: 1, apis: [] },
    keyProof(api, operator.address, gateway)), operator);
  const bondedAt = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
  const keyFunds = (await api.query.system.account(gateway.address)).data.free.toBigInt();

  const heartbeat = await new Promise((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error('no heartbeat within 3 intervals')),
      heartbeatInterval.toNumber() * 3 * 3000 + 30_000);
    api.query.system.events((events) => {
      for (const { event } of events) {
        if (api.events.operatorStaking.HeartbeatReceived.is(event)
          && event.data.operator.eq(operator.address)) {
          clearTimeout(timeout);
          resolve(event);
        }
      }
    });
  });
  assert.ok(heartbeat);
  const info = (await api.query.operatorStaking.operators(operator.address)).unwrap();
  assert.ok(info.lastHeartbeat.toNumber() >= bondedAt + heartbeatInterval.toNumber());
  assert.ok(info.online.isTrue);
  // Accepted heartbeats are free: the key's account paid nothing.
  const after = (await api.query.system.account(gateway.address)).data.free.toBigInt();
  assert.equal(after, keyFunds);
});
