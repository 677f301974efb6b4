// What a client does with a relay session (docs/relay.md), for tests that must control every
// byte: RelayClient sends each call with exactly the headers given, and can sign a ticket wrong
// on purpose, for the refusals the endpoint must make. The bytes come from @baton/client's
// encoders, which follow the doc's "What is signed, byte for byte".
import http from 'node:http';
import { isHex, u8aConcat, u8aToHex } from '@polkadot/util';
import {
  decodeRelayReceipt, encodeTicket, findEvent, getSession, headerPairs, raw, relayRequestHash, send, ticketMessage,
} from '@baton/client';
import { sleep } from './node.mjs';

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
  const { events, blockHash } = await send(tx, client);
  const opened = findEvent(events, 'relay', 'SessionOpened').data;
  const sessionId = opened.sessionId.toNumber();
  return {
    sessionId,
    operators: opened.operators.map((o) => o.toString()),
    expiresAt: opened.expiresAt.toNumber(),
    blockHash,
    events,
    session: await getSession(api, sessionId, blockHash),
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
    const session = await getSession(api, sessionId, blockHash.toHex());
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
