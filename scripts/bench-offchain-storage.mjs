// Offchain storage stays bounded: runs N request lifecycles on a dev chain, then waits for the
// chain to prune them (the gateway's retention, 10 minutes), and counts what the node still
// keeps for them — the indexed response bodies (`baton/response/…`) and its worker's records of
// executed requests (`baton/executed/…`) — next to the size of the node's database. Prints
// numbers, not pass/fail: they go to docs/performance.md.
//
//   node scripts/bench-offchain-storage.mjs [--requests N] [--batch N]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { u8aConcat, u8aToHex, stringToU8a, hexToU8a } from '@polkadot/util';
import { decodeAddress } from '@polkadot/util-crypto';
import { plain, send } from '@baton/client';
import { sleep, startDevNode } from '../tests/lib/node.mjs';
import { accounts, bondOperator, gatewayKey, registerApi, startUpstream } from '../tests/lib/gateway.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const REQUESTS = arg('--requests', 2_000);
const BATCH = arg('--batch', 40);

const basePath = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-offchain-'));
const upstream = await startUpstream(() => ({ body: '{"price":7.25}' }));
const node = await startDevNode({ basePath });
const { api } = node;
const who = await accounts();
const dbBytes = () => Number(execFileSync('du', ['-sb', basePath]).toString().split('\t')[0]);
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const apiId = await registerApi(api, who.alice, { baseUrl: upstream.url });
const operators = [];
for (const [name, seed] of [['charlie', '//CharlieGate'], ['dave', '//DaveGate']]) {
  const gateway = await gatewayKey(seed);
  // Staked for as many requests in flight as the run sends.
  await bondOperator(api, {
    funder: who.alice, operator: who[name], gateway, gatewaySeed: seed, apiIds: [apiId],
    capacity: REQUESTS, stakeMultiple: BigInt(Math.ceil(REQUESTS / 10)),
  });
  operators.push({ account: who[name].address, key: gateway.publicKey });
}
const before = dbBytes();

// The requests, BATCH to a `submit_requests`, from two clients.
const quote = plain(await api.rpc.gateway.quote(apiId, 1));
const first = (await api.query.gateway.nextRequestId()).toNumber();
const clients = [who.eve, who.ferdie];
for (let sent = 0; sent < REQUESTS; sent += BATCH * clients.length) {
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  await Promise.all(clients.map((client, c) => {
    const count = Math.min(BATCH, REQUESTS - sent - c * BATCH);
    if (count <= 0) return null;
    const batch = Array.from({ length: count }, (_, i) => ({
      method: 'Get', path: `/price?n=${sent + c * BATCH + i}`, headers: [], body: '', redundancy: 1,
      maxFee: BigInt(quote.total), deadline: best + 10,
    }));
    return send(api.tx.gateway.submitRequests(apiId, batch), client);
  }));
}
const ids = Array.from({ length: REQUESTS }, (_, i) => first + i);

// Wait until every request settled; note who served it and its request hash.
const served = new Map();
while (served.size < ids.length) {
  for (const id of ids.filter((id) => !served.has(id))) {
    const request = plain(await api.rpc.gateway.request(id));
    if (request && request.status !== 'pending') served.set(id, request);
  }
  if (served.size < ids.length) await sleep(2_000);
}
const completed = [...served.values()].filter((r) => r.status === 'completed').length;

const responseKey = (id, operator) => u8aToHex(u8aConcat(
  stringToU8a('baton/response/'), api.createType('u64', id).toU8a(), decodeAddress(operator)));
const executedKey = (id, requestHash, key) => u8aToHex(u8aConcat(
  stringToU8a('baton/executed/'), api.createType('u64', id).toU8a(), hexToU8a(requestHash), key));
/** How many of the run's bodies and executed records the node's offchain storage holds. */
async function kept() {
  let bodies = 0;
  let records = 0;
  for (const [id, request] of served) {
    for (const { operator } of request.reports) {
      if ((await api.rpc.offchain.localStorageGet('PERSISTENT', responseKey(id, operator))).isSome) bodies += 1;
      const key = operators.find((o) => o.account === operator).key;
      if ((await api.rpc.offchain.localStorageGet('PERSISTENT', executedKey(id, request.requestHash, key))).isSome) records += 1;
    }
  }
  return { bodies, records };
}
const settled = { ...(await kept()), bytes: dbBytes() };
console.log(`${REQUESTS} requests settled (${completed} completed): ${settled.bodies} bodies and ${settled.records} executed records kept; database ${mib(before)} → ${mib(settled.bytes)}`);

// Pruned after the retention period: wait for the last request to go.
const retention = api.consts.gateway.retention.toNumber();
console.log(`waiting for pruning (${retention} blocks)…`);
while (plain(await api.rpc.gateway.request(ids.at(-1)))) await sleep(10_000);
// A few more blocks: each worker sweeps its records once the chain forgets the assignment.
const now = (await api.rpc.chain.getHeader()).number.toNumber();
while ((await api.rpc.chain.getHeader()).number.toNumber() < now + 3) await sleep(1_000);
const pruned = { ...(await kept()), bytes: dbBytes() };
console.log(`after pruning: ${pruned.bodies} bodies and ${pruned.records} executed records kept; database ${mib(pruned.bytes)}`);

await node.stop();
await upstream.close();
fs.rmSync(basePath, { recursive: true, force: true });
process.exit(0);
