// What a client does with a relay session (docs/relay.md): opens it through polkadot.js, then
// sends each call straight to an operator's relay endpoint over HTTP with a ticket it signs,
// and checks the receipt that comes back with the operator's gateway key alone. The bytes are
// built here from the doc's "What is signed, byte for byte", not taken from the node.
import http from 'node:http';
import {
  bnToU8a, compactAddLength, compactToU8a, hexToU8a, isHex, stringToU8a, u8aConcat, u8aToHex,
} from '@polkadot/util';
import { blake2AsU8a, decodeAddress, ed25519Verify } from '@polkadot/util-crypto';
import { sendAndFinalize, sleep } from './node.mjs';
import { findEvent, plain } from './gateway.mjs';

// SCALE, by hand: polkadot.js's `Bytes` reads a Uint8Array as already length-prefixed and a
// string starting with 0x as hex, either of which would hash another request than was sent.
const u32 = (n) => bnToU8a(BigInt(n), { bitLength: 32, isLe: true });
const u64 = (n) => bnToU8a(BigInt(n), { bitLength: 64, isLe: true });
const u128 = (n) => bnToU8a(BigInt(n), { bitLength: 128, isLe: true });
const raw = (value) => (typeof value === 'string' ? stringToU8a(value) : new Uint8Array(value));
const vec = (value) => compactAddLength(raw(value));
const account = (address) => decodeAddress(address);
const hash32 = (value) => {
  const bytes = typeof value === 'string' ? hexToU8a(value) : raw(value);
  if (bytes.length !== 32) throw new Error(`expected 32 bytes, got ${bytes.length}`);
  return bytes;
};

/** Headers given as an object or as [name, value] pairs, as [lower-case name, value] pairs. */
function headerPairs(headers = {}) {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  return pairs.map(([name, value]) => [name.toLowerCase(), String(value)]);
}

/**
 * `baton_primitives::relay_request_hash` (0x hex): blake2-256 of SCALE("baton/relay-request",
 * method, path, headers, body), the tag as 19 raw bytes, the method upper-case, `path` what
 * follows `/relay/<session_id>` (query included), `headers` the signed ones in the order named.
 */
export function relayRequestHash({ method = 'GET', path = '/', headers = {}, body = '' }) {
  const pairs = headerPairs(headers);
  const encoded = u8aConcat(
    stringToU8a('baton/relay-request'),
    vec(method.toUpperCase()),
    vec(path),
    compactToU8a(pairs.length),
    ...pairs.flatMap(([name, value]) => [vec(name), vec(value)]),
    vec(body),
  );
  return u8aToHex(blake2AsU8a(encoded, 256));
}

/** SCALE of `RelayTicket { genesis_hash, session_id, sequence, operator, calls, amount }`. */
export function encodeTicket({ genesisHash, sessionId, sequence, operator, calls, amount }) {
  return u8aConcat(hash32(genesisHash), u64(sessionId), u64(sequence), account(operator), u64(calls), u128(amount));
}

/**
 * `baton_primitives::ticket_message`: SCALE("baton/ticket", genesis_hash, session_id, sequence,
 * operator, request_hash, calls, amount), what the client's account key signs.
 */
export function ticketMessage({ genesisHash, sessionId, sequence, operator, calls, amount }, requestHash) {
  return u8aConcat(stringToU8a('baton/ticket'), hash32(genesisHash), u64(sessionId), u64(sequence),
    account(operator), hash32(requestHash), u64(calls), u128(amount));
}

/** The `ResultStatus` type as the metadata names it (the gateway's result event carries it). */
function resultStatusType(api) {
  const field = api.events.gateway.ResultReported.meta.fields.find((f) => f.name.toString() === 'status');
  return api.registry.createLookupType(field.type);
}

/**
 * Decodes a `Baton-Receipt` header: SCALE of `RelayReceipt { session_id, sequence, request_hash,
 * response_hash, status, answered_at }`. `statusBytes` are the status's own bytes, which the
 * receipt's signature covers as they are.
 */
export function decodeRelayReceipt(api, hex) {
  const bytes = hexToU8a(hex);
  const decoded = api.createType(`(u64, u64, [u8; 32], [u8; 32], ${resultStatusType(api)}, u32)`, bytes);
  if (decoded.encodedLength !== bytes.length) throw new Error('receipt has trailing bytes');
  const [sessionId, sequence, requestHash, responseHash, status, answeredAt] = decoded;
  return {
    sessionId: sessionId.toNumber(),
    sequence: sequence.toNumber(),
    requestHash: u8aToHex(requestHash.toU8a()),
    responseHash: u8aToHex(responseHash.toU8a()),
    status: status.toJSON(),
    statusBytes: status.toU8a(),
    answeredAt: answeredAt.toNumber(),
  };
}

/** SCALE of `RelayReceipt { session_id, sequence, request_hash, response_hash, status, answered_at }`. */
export function encodeRelayReceipt({ sessionId, sequence, requestHash, responseHash, statusBytes, answeredAt }) {
  return u8aConcat(u64(sessionId), u64(sequence), hash32(requestHash), hash32(responseHash), statusBytes, u32(answeredAt));
}

/**
 * `baton_primitives::relay_receipt_message`: SCALE("baton/relay-receipt", genesis_hash,
 * session_id, sequence, request_hash, response_hash, status, answered_at), what the operator's
 * gateway key signs: the tag and the genesis hash, then the receipt's own encoding.
 */
export function relayReceiptMessage(genesisHash, receipt) {
  return u8aConcat(stringToU8a('baton/relay-receipt'), hash32(genesisHash), encodeRelayReceipt(receipt));
}

/**
 * How many blocks a node's best block may trail the client's when it answers: the node learns of
 * a block a moment after the RPC serves it.
 */
export const ANSWER_LAG_BLOCKS = 2;

/**
 * Whether a `RelayClient.call` result carries a receipt for that very call, signed by
 * `gatewayKeyHex` on the client's chain: the body hashes to the receipt's response hash, the
 * receipt names the session, sequence and request hash the client signed, it is dated no
 * earlier than `sentAt` (the client's best block when it sent the call) less
 * `ANSWER_LAG_BLOCKS` — an earlier date would close its challenge window early —, and the
 * ed25519 signature covers `relayReceiptMessage` rebuilt from those.
 */
export function verifyRelayReceipt(api, result, gatewayKeyHex, { genesisHash = api.genesisHash, sentAt = result.sentAt ?? 0 } = {}) {
  const { receipt } = result;
  if (!receipt || !result.receiptSignature || !gatewayKeyHex) return false;
  const responseHash = u8aToHex(blake2AsU8a(result.bodyBytes, 256));
  if (responseHash !== receipt.responseHash) return false;
  if (receipt.requestHash !== result.requestHash) return false;
  if (receipt.sessionId !== Number(result.sessionId) || receipt.sequence !== Number(result.sequence)) return false;
  if (receipt.answeredAt < sentAt - ANSWER_LAG_BLOCKS) return false;
  const genesis = typeof genesisHash === 'string' ? genesisHash : genesisHash.toHex();
  const message = relayReceiptMessage(genesis, { ...receipt, sessionId: result.sessionId, sequence: result.sequence, requestHash: result.requestHash, responseHash });
  return ed25519Verify(message, hexToU8a(result.receiptSignature), hexToU8a(gatewayKeyHex));
}

/** Without keep-alive: a connection the endpoint closed while idle cannot fail the next call. */
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

/**
 * One HTTP request with exactly these headers (and Host, Connection and Content-Length, which
 * node adds); resolves with { status, headers, bodyBytes, body } whatever the status.
 */
export function httpRequest(url, { method = 'GET', headers = {}, body = '', timeoutMs = 30_000 } = {}) {
  const payload = Buffer.from(raw(body));
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method, agent, headers: { ...headers, 'content-length': payload.length },
    }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const bodyBytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode, headers: res.headers, bodyBytes, body: bodyBytes.toString() });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Opens a session as `client` (`relay.open_session`); returns the `SessionOpened` event's
 * { sessionId, operators (addresses), expiresAt }, the block it landed in, its events and
 * `session`, the session's `relay_session` view in that block.
 */
export async function openSession(api, client, { apiId, operators = 1, allowance, blocks }) {
  const tx = api.tx.relay.openSession(apiId, operators, allowance, blocks);
  const { events, blockHash } = await sendAndFinalize(tx, client);
  const opened = findEvent(events, 'relay', 'SessionOpened').data;
  const sessionId = opened.sessionId.toNumber();
  return {
    sessionId,
    operators: opened.operators.map((o) => o.toString()),
    expiresAt: opened.expiresAt.toNumber(),
    blockHash,
    events,
    session: plain(await api.rpc.relay.session(sessionId, blockHash)),
  };
}

/**
 * Polls `relay_session` at the finalized head until `operator` has been paid for `calls` calls;
 * returns { session, blockHash } of the first finalized block that shows it.
 */
export async function waitForClaimed(api, sessionId, operator, calls, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  let seen;
  while (Date.now() < deadline) {
    const blockHash = await api.rpc.chain.getFinalizedHead();
    const session = plain(await api.rpc.relay.session(sessionId, blockHash));
    seen = session?.operators.find((o) => o.operator === operator)?.claimedCalls;
    if (seen === calls) return { session, blockHash };
    await sleep(1_000);
  }
  throw new Error(
    `operator ${operator} was paid for ${seen} calls of session ${sessionId}, not ${calls}, within ${timeoutMs} ms`);
}

/**
 * A session's client: signs each call's ticket and sends it to an operator's relay endpoint.
 *
 * It numbers the session's calls (`sequence`, from 0, one count across all operators) and keeps
 * each operator's cumulative voucher { calls, amount }, `amount` at the session's `cost` per
 * call. A call takes the next sequence and the voucher one call on, when it is sent, so that
 * calls in flight together carry distinct ones; a call refused (an answer without a receipt)
 * gives its voucher step back if no later call took one after it, so that the client never
 * owes for a call it did not get; a call that got no answer at all keeps it, as the node may
 * have served it. Sequence numbers are never given back: one refused leaves a gap.
 */
export class RelayClient {
  /**
   * `client` is the session's client's sr25519 key pair; `session` its `relay_session` view. The
   * client follows the best block (until `api` disconnects) to date what it sends, from the
   * session's opening block until the first new head arrives.
   */
  constructor({ api, client, session, endpoint }) {
    this.api = api;
    this.best = session.openedAt;
    api.rpc.chain.subscribeNewHeads((header) => { this.best = header.number.toNumber(); });
    this.client = client;
    this.session = session;
    this.sessionId = session.id;
    this.cost = BigInt(session.cost);
    this.endpoint = endpoint.replace(/\/$/, '');
    this.sequence = 0;
    this.vouchers = new Map();
  }

  /** What the client owes `operator` so far: { calls, amount } as BigInts. */
  voucher(operator) {
    return this.vouchers.get(operator) ?? { calls: 0n, amount: 0n };
  }

  /**
   * Sends one call to `operator` (an address) and returns { status, body, bodyBytes, headers,
   * error (the refusal's JSON `error`, if any), receipt (decoded, or null), receiptSignature,
   * operatorHex, sessionId, sequence, requestHash, ticket, ticketHex, signature, sentAt (the
   * best block the client knew when it sent the call) }.
   *
   * `headers` (an object or [name, value] pairs) are signed and sent, named in order in
   * `Baton-Signed-Headers`. For the refusals the endpoint must make: `ticketOverride` replaces
   * fields of the ticket (genesisHash, sessionId — the URL follows it —, sequence, operator,
   * calls, amount; an overridden sequence or voucher leaves the client's own untouched),
   * `signer` signs instead of the client, `signatureOverride` is sent as the signature,
   * `signedRequest` ({ method, path, headers, body }) is what the ticket is signed over instead
   * of what is sent, and `extraHeaders` are sent without being signed.
   */
  async call(operator, {
    method = 'GET', path = '/', headers = {}, body = '',
    ticketOverride = {}, signer = this.client, signatureOverride, signedRequest, extraHeaders = {},
  } = {}) {
    const sentAt = this.best;
    const sequence = ticketOverride.sequence ?? this.sequence++;
    const previous = this.voucher(operator);
    const next = { calls: previous.calls + 1n, amount: previous.amount + this.cost };
    const ticket = {
      genesisHash: this.api.genesisHash.toHex(),
      sessionId: this.sessionId,
      sequence,
      operator,
      ...next,
      ...ticketOverride,
    };
    const counted = ticket.operator === operator && ticket.sessionId === this.sessionId
      && BigInt(ticket.calls) === next.calls && BigInt(ticket.amount) === next.amount;
    if (counted) this.vouchers.set(operator, next);

    const request = { method: method.toUpperCase(), path, headers: headerPairs(headers), body };
    const requestHash = relayRequestHash(signedRequest ?? request);
    const ticketHex = u8aToHex(encodeTicket(ticket));
    // A MultiSignature: the variant byte (1, Sr25519), then the 64 signature bytes.
    const signature = signatureOverride ?? u8aToHex(u8aConcat([1], signer.sign(ticketMessage(ticket, requestHash))));
    const signatureHex = typeof signature === 'string' ? signature : u8aToHex(signature);
    const sent = {
      ...extraHeaders,
      ...Object.fromEntries(request.headers),
      'Baton-Ticket': ticketHex,
      'Baton-Signature': signatureHex,
    };
    if (request.headers.length > 0) sent['Baton-Signed-Headers'] = request.headers.map(([name]) => name).join(',');

    const url = `${this.endpoint}/relay/${ticket.sessionId}${path}`;
    const response = await httpRequest(url, { method: request.method, headers: sent, body });
    const receiptHex = response.headers['baton-receipt'];
    if (!receiptHex && counted && this.vouchers.get(operator) === next) this.vouchers.set(operator, previous);
    let error = null;
    if (!receiptHex) {
      try { error = JSON.parse(response.body).error ?? null; } catch { /* not JSON: left null */ }
    }
    return {
      ...response,
      error,
      receipt: receiptHex && isHex(receiptHex) ? decodeRelayReceipt(this.api, receiptHex) : null,
      receiptSignature: response.headers['baton-receipt-signature'] ?? null,
      operatorHex: response.headers['baton-operator'] ?? null,
      sessionId: ticket.sessionId,
      sequence,
      requestHash,
      ticket,
      ticketHex,
      signature: signatureHex,
      sentAt,
    };
  }
}
