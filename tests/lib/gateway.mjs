// What a dApp, an API publisher and an operator do with Baton's gateway, through polkadot.js and
// the node's `gateway_*` RPC; and a small upstream API on loopback for them to call.
import http from 'node:http';
import { once } from 'node:events';
import { Keyring } from '@polkadot/api';
import { u8aConcat, u8aToHex, hexToU8a, stringToU8a } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady, decodeAddress, ed25519Verify } from '@polkadot/util-crypto';
import { rawRpc, sendAndFinalize, sleep, UPSTREAM_HOST } from './node.mjs';
import { plain } from './rpc.mjs';

export { plain };

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


/** The first event `section.method` among `events`, or throws. */
export function findEvent(events, section, method) {
  const found = events.find(({ event }) => event.section === section && event.method === method);
  if (!found) throw new Error(`no ${section}.${method} event`);
  return found.event;
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
    ...spec,
  };
  const { events } = await sendAndFinalize(api.tx.gateway.registerApi(full), owner);
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
  await sendAndFinalize(api.tx.balances.transferKeepAlive(operator.address, stake + unit), funder);
  // The gateway key's account pays nothing for accepted reports but must exist.
  await sendAndFinalize(api.tx.balances.transferKeepAlive(gateway.address, unit), funder);
  const profile = { endpoint, region: 'DE', capacity, apis: apiIds };
  const proof = keyProof(api, operator.address, gateway);
  await sendAndFinalize(api.tx.operatorStaking.bond(stake, gateway.publicKey, profile, proof), operator);
}

/**
 * The `gateway.submitRequest` transaction of a request: a fee up to the quote unless `maxFee` is
 * given, the deadline `deadlineIn` blocks after the best block.
 */
export async function requestTx(api, {
  apiId, method = 'Get', path = '/', headers = [], body = '', redundancy = 0, maxFee, deadlineIn = 10,
}) {
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const quote = plain(await api.rpc.gateway.quote(apiId, redundancy));
  return api.tx.gateway.submitRequest(
    apiId, method, path, headers, body, redundancy, maxFee ?? BigInt(quote.total), best + deadlineIn,
  );
}

/** Submits a request (see requestTx) as `client`; returns { id, fee, assigned, blockHash, events }. */
export async function submitRequest(api, client, spec) {
  const { events, blockHash } = await sendAndFinalize(await requestTx(api, spec), client);
  const submitted = findEvent(events, 'gateway', 'RequestSubmitted').data;
  return {
    id: submitted.requestId.toNumber(),
    fee: submitted.fee.toBigInt(),
    assigned: submitted.assigned.map((a) => a.toString()),
    blockHash,
    events,
  };
}

/** Polls `gateway_request` until the request is settled; returns it. */
export async function waitForSettlement(api, id, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const request = plain(await api.rpc.gateway.request(id));
    if (request && request.status !== 'pending') return request;
    await sleep(500);
  }
  throw new Error(`request ${id} not settled within ${timeoutMs} ms`);
}

/**
 * The `Idempotency-Key` operators send upstream for `request` (as `gateway_request` serves it):
 * its id and the first 8 bytes of its content hash in hex.
 */
export function idempotencyKey(request) {
  return `${request.id}-${request.requestHash.slice(2, 18)}`;
}

/**
 * The content hash of request `id` computed in the client from the request the chain keeps:
 * blake2-256 of SCALE("baton/request", client, api id, method, path, headers, body, terms,
 * price). A client can compute it from what it submitted and the API's terms at the time.
 */
export async function requestHash(api, id) {
  const r = (await api.query.gateway.requests(id)).unwrap();
  const content = u8aConcat(stringToU8a('baton/request'), r.client.toU8a(), r.apiId.toU8a(), r.method.toU8a(),
    r.path.toU8a(), r.headers.toU8a(), r.body.toU8a(), r.terms.toU8a(), r.price.toU8a());
  return u8aToHex(blake2AsU8a(content, 256));
}

/**
 * Checks a `gateway_response` receipt in the client, with the gateway key alone: the body hashes
 * to the response hash, and the ed25519 signature covers SCALE("baton/receipt", genesis hash,
 * request id, request hash, response hash, status, operator) — bound to the chain the client is
 * connected to (`api.genesisHash`, not the node's word) and to the request's content.
 */
export function verifyReceipt(api, response, genesisHash = api.genesisHash) {
  const hash = hexToU8a(response.responseHash);
  if (u8aToHex(blake2AsU8a(stringToU8a(response.body), 256)) !== response.responseHash) return false;
  const [kind, value] = Object.entries(typeof response.status === 'string'
    ? { [response.status]: null } : response.status)[0];
  const status = { [kind[0].toUpperCase() + kind.slice(1)]: value };
  // The status type as the metadata has it (the event that carries it names it), so that no
  // Rust module path is spelled here.
  const statusField = api.events.gateway.ResultReported.meta.fields
    .find((field) => field.name.toString() === 'status');
  const statusType = api.registry.createLookupType(statusField.type);
  const message = u8aConcat(stringToU8a('baton/receipt'), api.createType(
    `(H256, u64, [u8; 32], [u8; 32], ${statusType}, AccountId32)`,
    [genesisHash, response.requestId, response.requestHash, hash, status, response.operator],
  ).toU8a());
  return ed25519Verify(message, hexToU8a(response.signature), hexToU8a(response.gatewayKey));
}
