// The fixtures of Baton's tests that a dApp's client does not need: dev accounts, an API
// publisher's registration, an operator's bond, and a small upstream API on loopback. What a
// client does (submit, verify, relay sessions) is @baton/client's, in sdk/js.
import http from 'node:http';
import { once } from 'node:events';
import { Keyring } from '@polkadot/api';
import { u8aConcat, u8aToHex, stringToU8a } from '@polkadot/util';
import { cryptoWaitReady, decodeAddress } from '@polkadot/util-crypto';
import { findEvent, getRequest, send } from '@baton/client';
import { rawRpc, sleep, UPSTREAM_HOST } from './node.mjs';

/**
 * An upstream API on UPSTREAM_HOST: `handler(req, body)` returns { status, body, delayMs, headers }.
 * Every request is logged in `requests` as { method, url, headers, body }.
 */
export async function startUpstream(handler) {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString();
    requests.push({ method: req.method, url: req.url, headers: req.headers, body });
    const reply = await handler(req, body);
    if (reply.delayMs) await sleep(reply.delayMs);
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
    res.end(reply.body ?? '');
  });
  server.listen(0, UPSTREAM_HOST);
  await once(server, 'listening');
  return {
    url: `http://${UPSTREAM_HOST}:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

/** Dev accounts (sr25519) by name, e.g. accounts().alice. */
export async function accounts() {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  const names = ['alice', 'bob', 'charlie', 'dave', 'eve', 'ferdie'];
  return Object.fromEntries(names.map((n) => [n, keyring.addFromUri(`//${n[0].toUpperCase()}${n.slice(1)}`)]));
}

/** An ed25519 gateway key pair from a dev seed such as `//CharlieGate`. */
export async function gatewayKey(seed) {
  await cryptoWaitReady();
  return new Keyring({ type: 'ed25519' }).addFromUri(seed);
}

/**
 * The proof `operatorStaking.bond` takes that `operator` (an address) holds the ed25519 key pair
 * `gateway`: its signature over SCALE(tag, operator, genesis hash) as `key_ownership_message` in
 * pallets/primitives defines it, i.e. the 83 bytes `baton/key-ownership` ++ the 32-byte account
 * id ++ the 32-byte genesis hash (fixed-size values carry no length prefix).
 */
export function keyProof(api, operator, gateway) {
  const message = u8aConcat(stringToU8a('baton/key-ownership'), decodeAddress(operator), api.genesisHash.toU8a());
  return u8aToHex(gateway.sign(message));
}


/** Registers an API as `owner`; returns its id. */
export async function registerApi(api, owner, spec) {
  const full = {
    methods: ['Get'],
    pricePerCall: 10n ** 10n,
    maxResponseBytes: 16_384,
    timeoutMs: 2_000,
    defaultRedundancy: 1,
    minReputation: 0,
    ignoredFields: [],
    confidentialPath: false,
    ...spec,
  };
  const { events } = await send(api.tx.gateway.registerApi(full), owner);
  return findEvent(events, 'gateway', 'ApiRegistered').data.apiId.toNumber();
}

/**
 * Makes `operator` a Baton operator serving `apiIds` whose node signs with `gateway` (inserted
 * into the keystore of the node `api` talks to, unless `insertKey` is false), funding both from
 * `funder`. `endpoint` is its profile's: where clients reach its relay endpoint.
 */
export async function bondOperator(api, {
  funder, operator, gateway, gatewaySeed, apiIds, capacity = 50, stakeMultiple = 1n, insertKey = true,
  endpoint = 'https://operator.example',
}) {
  // Raw JSON-RPC: polkadot.js would turn a hex seed given as `Text` into the bytes it spells.
  if (insertKey) await rawRpc(api, 'author_insertKey', ['gate', gatewaySeed, u8aToHex(gateway.publicKey)]);
  const stake = (await api.query.operatorStaking.params()).minBond.toBigInt() * stakeMultiple;
  const unit = 10n ** 12n;
  await send(api.tx.balances.transferKeepAlive(operator.address, stake + unit), funder);
  // The gateway key's account pays nothing for accepted reports but must exist.
  await send(api.tx.balances.transferKeepAlive(gateway.address, unit), funder);
  const profile = { endpoint, region: 'DE', capacity, apis: apiIds };
  const proof = keyProof(api, operator.address, gateway);
  await send(api.tx.operatorStaking.bond(stake, gateway.publicKey, profile, proof), operator);
}

/** Polls `gateway_request` until the request is settled; returns it. */
export async function waitForSettlement(api, id, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const request = await getRequest(api, id);
    if (request && request.status !== 'pending') return request;
    await sleep(500);
  }
  throw new Error(`request ${id} not settled within ${timeoutMs} ms`);
}
