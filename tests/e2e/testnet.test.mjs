// A public network's chain spec as its founders make it (scripts/testnet-spec.py): the
// runtime's `testnet` preset with their validator keys, council and balances, and nothing of
// the development chain. One validator started on it with its keys inserted by
// `baton-node key insert` produces and finalizes blocks; no development account holds anything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { nodeBinary, startDevNode, waitForFinalized } from '../lib/node.mjs';
import { runCommand } from '../lib/program.mjs';

const UNIT = 10n ** 12n;
let dir;
let node;
let founder;

before(async () => {
  await cryptoWaitReady();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-testnet-'));
  // The validator's secret, as its operator would generate it: never a development key.
  const seed = `0x${crypto.randomBytes(32).toString('hex')}`;
  const aura = new Keyring({ type: 'sr25519' }).addFromUri(seed);
  const grandpa = new Keyring({ type: 'ed25519' }).addFromUri(seed);
  founder = new Keyring({ type: 'sr25519' }).addFromUri(`0x${crypto.randomBytes(32).toString('hex')}`);
  const network = {
    name: 'Baton Test Testnet',
    id: 'baton_test_testnet',
    validators: [{ aura: aura.address, grandpa: grandpa.address }],
    council: [founder.address],
    balances: [[founder.address, Number(5_000n * UNIT)]],
  };
  fs.writeFileSync(path.join(dir, 'network.json'), JSON.stringify(network));
  const script = new URL('../../scripts/testnet-spec.py', import.meta.url).pathname;
  const made = await runCommand('python3', [script, path.join(dir, 'network.json')]);
  assert.equal(made.status, 0, made.stderr);
  const spec = path.join(dir, 'testnet-raw.json');
  fs.writeFileSync(spec, made.stdout);
  const basePath = path.join(dir, 'node');
  // A live chain's node has a network key of its own before it starts.
  const nodeKey = await runCommand(nodeBinary(), ['key', 'generate-node-key', '--base-path', basePath, '--chain', spec]);
  assert.equal(nodeKey.status, 0, nodeKey.stderr);
  for (const [type, scheme] of [['aura', 'sr25519'], ['gran', 'ed25519']]) {
    const inserted = await runCommand(nodeBinary(), [
      'key', 'insert', '--base-path', basePath, '--chain', spec, '--key-type', type, '--scheme', scheme, '--suri', seed,
    ]);
    assert.equal(inserted.status, 0, inserted.stderr);
  }
  node = await startDevNode({ chain: spec, basePath });
});

after(async () => {
  if (node) await node.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('a validator of the spec produces and finalizes blocks', async () => {
  const { api } = node;
  await waitForFinalized(api, 3);
  assert.equal((await api.rpc.system.chainType()).toString(), 'Live');
  assert.equal((await api.rpc.system.chain()).toString(), 'Baton Test Testnet');
});

test('it holds the founders\' accounts and the testnet periods, and no development key', async () => {
  const { api } = node;
  assert.equal((await api.query.system.account(founder.address)).data.free.toBigInt(), 5_000n * UNIT);
  // Beside the founder's, only the treasury's existential deposit, made at genesis.
  const existential = api.consts.balances.existentialDeposit.toBigInt();
  assert.equal((await api.query.balances.totalIssuance()).toBigInt(), 5_000n * UNIT + existential);
  const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  assert.equal((await api.query.system.account(alice.address)).data.free.toBigInt(), 0n);
  assert.ok((await api.query.sudo.key()).isNone);
  assert.deepEqual((await api.query.council.members()).map((m) => m.toString()), [founder.address]);
  const params = await api.query.operatorStaking.params();
  assert.equal(params.minBond.toBigInt(), 1_000n * UNIT);
  assert.equal(params.unbondingPeriod.toNumber(), 28_800); // a day of 3-second blocks
  assert.equal((await api.query.gateway.privateBaseUrlsAllowed()).isTrue, false);
  // A referendum on the Root track takes a public network's time, as pallet-referenda reads it.
  const [[id, root]] = api.consts.referenda.tracks;
  assert.equal(id.toNumber(), 0);
  const days = (n) => n * 28_800;
  assert.deepEqual(
    [root.preparePeriod, root.decisionPeriod, root.confirmPeriod, root.minEnactmentPeriod].map((p) => p.toNumber()),
    [2 * 1_200, days(7), days(1), days(1)],
  );
});
