// The relay path: a session the chain routes once, then calls straight from the client to an
// operator's relay endpoint with a ticket the client signs, each answered with a receipt the
// operator's gateway key signs (docs/relay.md in the repository, "What is signed, byte for
// byte"). Uses `fetch`, so it runs in Node and in a browser alike.
import type { ApiPromise } from '@polkadot/api';
import type { KeyringPair } from '@polkadot/keyring/types';
import { compactToU8a, hexToU8a, isHex, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, decodeAddress, ed25519Verify } from '@polkadot/util-crypto';
import { getOperators, getSession, type SessionView } from './rpc.js';
import { hash32, headerPairs, raw, u32, u64, u128, vec, type BytesLike, type Hash32, type Headers } from './scale.js';
import { resultStatusType } from './settled.js';
import { findEvent, send, type Included, type SendOptions } from './tx.js';

/** One call as the client sends it: `path` is what follows `/relay/<session id>`, query included. */
export interface RelayCall {
  method?: string;
  path?: string;
  /** Signed and sent, named in order in `Baton-Signed-Headers`: only these reach the upstream. */
  headers?: Headers;
  body?: BytesLike;
}

/**
 * `relay_request_hash`: blake2-256 (0x hex) of SCALE("baton/relay-request", method, path,
 * headers, body), the tag as 19 raw bytes, the method upper-case, header names lower-case.
 */
export function relayRequestHash({ method = 'GET', path = '/', headers = {}, body = '' }: RelayCall): string {
  const pairs = headerPairs(headers);
  return u8aToHex(blake2AsU8a(u8aConcat(
    stringToU8a('baton/relay-request'),
    vec(method.toUpperCase()),
    vec(path),
    compactToU8a(pairs.length),
    ...pairs.flatMap(([name, value]) => [vec(name), vec(value)]),
    vec(body),
  ), 256));
}

/** A ticket: which call of which session, to whom, and what the client owes that operator so far. */
export interface Ticket {
  genesisHash: Hash32;
  sessionId: number | bigint;
  sequence: number | bigint;
  /** The operator's address. */
  operator: string;
  /** Calls the client owes this operator for in the session, this one included. */
  calls: number | bigint;
  /** What those calls cost, in planck. */
  amount: number | bigint;
}

/** SCALE of `RelayTicket { genesis_hash, session_id, sequence, operator, calls, amount }`: `Baton-Ticket`. */
export function encodeTicket({ genesisHash, sessionId, sequence, operator, calls, amount }: Ticket): Uint8Array {
  return u8aConcat(hash32(genesisHash), u64(sessionId), u64(sequence), decodeAddress(operator), u64(calls), u128(amount));
}

/**
 * `ticket_message`: SCALE("baton/ticket", genesis_hash, session_id, sequence, operator,
 * request_hash, calls, amount), what the client's account key signs.
 */
export function ticketMessage({ genesisHash, sessionId, sequence, operator, calls, amount }: Ticket, requestHash: Hash32): Uint8Array {
  return u8aConcat(stringToU8a('baton/ticket'), hash32(genesisHash), u64(sessionId), u64(sequence),
    decodeAddress(operator), hash32(requestHash), u64(calls), u128(amount));
}

/** A relay receipt, decoded from `Baton-Receipt`. */
export interface RelayReceipt {
  sessionId: number;
  sequence: number;
  requestHash: string;
  responseHash: string;
  status: unknown;
  /** The status's own bytes, which the signature covers as they are. */
  statusBytes: Uint8Array;
  /** The operator's best block when it answered. */
  answeredAt: number;
}

/**
 * Decodes a `Baton-Receipt` header: SCALE of `RelayReceipt { session_id, sequence,
 * request_hash, response_hash, status, answered_at }`; throws on trailing bytes.
 */
export function decodeRelayReceipt(api: ApiPromise, receiptHex: string): RelayReceipt {
  const bytes = hexToU8a(receiptHex);
  const decoded = api.createType(`(u64, u64, [u8; 32], [u8; 32], ${resultStatusType(api)}, u32)`, bytes) as unknown as
    Array<{ toString(): string; toU8a(): Uint8Array; toJSON(): unknown }> & { encodedLength: number };
  if (decoded.encodedLength !== bytes.length) throw new Error('receipt has trailing bytes');
  const [sessionId, sequence, requestHash, responseHash, status, answeredAt] = decoded;
  return {
    sessionId: Number(sessionId.toString()),
    sequence: Number(sequence.toString()),
    requestHash: u8aToHex(requestHash.toU8a()),
    responseHash: u8aToHex(responseHash.toU8a()),
    status: status.toJSON(),
    statusBytes: status.toU8a(),
    answeredAt: Number(answeredAt.toString()),
  };
}

/** SCALE of a relay receipt: the bytes after the tag and genesis hash in what is signed. */
export function encodeRelayReceipt(r: Omit<RelayReceipt, 'status'>): Uint8Array {
  return u8aConcat(u64(r.sessionId), u64(r.sequence), hash32(r.requestHash), hash32(r.responseHash), r.statusBytes, u32(r.answeredAt));
}

/** `relay_receipt_message`: SCALE("baton/relay-receipt", genesis_hash, receipt), what the gateway key signs. */
export function relayReceiptMessage(genesisHash: Hash32, receipt: Omit<RelayReceipt, 'status'>): Uint8Array {
  return u8aConcat(stringToU8a('baton/relay-receipt'), hash32(genesisHash), encodeRelayReceipt(receipt));
}

/**
 * How many blocks an operator's best block may trail the client's when it answers: its node
 * learns of a block a moment after the client's RPC serves it.
 */
export const ANSWER_LAG_BLOCKS = 2;

/** What `RelaySession.call` returns: the upstream's answer and what came with it. */
export interface RelayAnswer {
  operator: string;
  status: number;
  headers: globalThis.Headers;
  bodyBytes: Uint8Array;
  body: string;
  /** The refusal's reason (`error` in its JSON body) when the endpoint refused the call. */
  error: string | null;
  receipt: RelayReceipt | null;
  receiptSignature: string | null;
  sessionId: number;
  sequence: number;
  requestHash: string;
  ticket: Ticket;
  /** The client's best block when it sent the call. */
  sentAt: number;
  /** Milliseconds from sending to the whole body. */
  latencyMs: number;
}

/**
 * Whether `answer` carries a receipt for that very call by `gatewayKey` (hex) on the client's
 * chain: the body hashes to the receipt's response hash; the receipt names the session,
 * sequence and request hash the client signed; it is dated no earlier than the client's best
 * block at sending less ANSWER_LAG_BLOCKS (an earlier date would close its challenge window
 * early); and the ed25519 signature covers the message rebuilt from those.
 */
export function verifyRelayReceipt(answer: Pick<RelayAnswer, 'receipt' | 'receiptSignature' | 'bodyBytes' | 'requestHash' | 'sessionId' | 'sequence' | 'sentAt'>, gatewayKey: string | null, genesisHash: Hash32): boolean {
  const { receipt } = answer;
  if (!receipt || !answer.receiptSignature || !gatewayKey) return false;
  const responseHash = u8aToHex(blake2AsU8a(answer.bodyBytes, 256));
  if (responseHash !== receipt.responseHash || receipt.requestHash !== answer.requestHash) return false;
  if (receipt.sessionId !== Number(answer.sessionId) || receipt.sequence !== Number(answer.sequence)) return false;
  if (receipt.answeredAt < answer.sentAt - ANSWER_LAG_BLOCKS) return false;
  return ed25519Verify(relayReceiptMessage(genesisHash, receipt), hexToU8a(answer.receiptSignature), hexToU8a(gatewayKey));
}

/** Why a client moved a call to another operator, as `close_session`'s report names it. */
export type RelayFault = 'late' | 'failed' | 'badReceipt';

/** One handover of a session: the client left `from` for `to` at call `sequence`. */
export interface RelayHandover {
  from: string;
  to: string;
  sequence: number;
  cause: RelayFault;
}

/** The variant byte of a MultiSignature for each key type. */
const SIGNATURE_VARIANT: Record<string, number> = { ed25519: 0, sr25519: 1, ecdsa: 2 };

/**
 * A relay session's client: signs each call's ticket, sends it to an operator's endpoint,
 * checks the receipt, hedges to the next operator when one is late or fails, and reports its
 * handovers when it closes the session.
 *
 * Calls are numbered across all operators (`sequence`, from 0). Each operator's voucher — the
 * calls the client owes it and their price — goes one call on when a call is sent, so that calls
 * in flight together carry distinct ones; a call refused without a receipt gives its step back
 * if no later call took one after it, so the client never owes for a call it did not get.
 */
export class RelaySession {
  private sequence = 0;
  private best: number;
  private readonly vouchers = new Map<string, { calls: bigint; amount: bigint }>();
  private readonly handovers: RelayHandover[] = [];
  private readonly served = new Map<string, { failed: number; latencies: number[] }>();
  private readonly cost: bigint;
  private readonly genesisHash: string;
  private stopFollowing: (() => void) | undefined;

  /**
   * `session` is the session's `relay_session` view; `endpoints` maps each operator's address
   * to its relay endpoint's base URL (`RelaySession.attach` takes them from the operators'
   * profiles). Follows the best block until `stop`, to date what the client sends.
   */
  constructor(
    readonly api: ApiPromise,
    readonly client: KeyringPair,
    readonly session: SessionView,
    readonly endpoints: Map<string, string>,
  ) {
    this.best = session.openedAt;
    this.cost = BigInt(session.cost);
    this.genesisHash = api.genesisHash.toHex();
    void api.rpc.chain.subscribeNewHeads((header) => { this.best = header.number.toNumber(); })
      .then((unsubscribe) => { this.stopFollowing = unsubscribe; });
  }

  /**
   * Opens a session as `client` (`relay.open_session`: `operators × allowance` held in escrow,
   * for `blocks` blocks) and attaches to it once its block is finalized.
   */
  static async open(api: ApiPromise, client: KeyringPair, { apiId, operators = 1, allowance, blocks }: { apiId: number; operators?: number; allowance: bigint; blocks: number }, options: SendOptions = {}): Promise<RelaySession> {
    const { events, blockHash }: Included = await send(api.tx.relay.openSession(apiId, operators, allowance, blocks), client, options);
    const sessionId = Number(findEvent(events, 'relay', 'SessionOpened').data[0].toString());
    return RelaySession.attach(api, client, sessionId, blockHash);
  }

  /** The client of session `id` (the chain's view of it at `at`, default the best block). */
  static async attach(api: ApiPromise, client: KeyringPair, id: number, at?: string): Promise<RelaySession> {
    const session = await getSession(api, id, at);
    if (!session) throw new Error(`no relay session ${id}`);
    const profiles = await getOperators(api, session.apiId, at);
    const endpoints = new Map(profiles.map((p) => [p.operator, p.endpoint.replace(/\/$/, '')]));
    return new RelaySession(api, client, session, endpoints);
  }

  get id(): number { return this.session.id; }

  /** The session's operators, in the order routing ranked them. */
  get operators(): string[] { return this.session.operators.map((o) => o.operator); }

  /** What the client owes `operator` so far. */
  voucher(operator: string): { calls: bigint; amount: bigint } {
    return this.vouchers.get(operator) ?? { calls: 0n, amount: 0n };
  }

  /** The handovers so far, oldest first. */
  handoverLog(): RelayHandover[] { return [...this.handovers]; }

  /** Sends one call to `operator` and returns its answer, whatever it is (see `verify`). */
  async call(operator: string, call: RelayCall = {}, signal?: AbortSignal): Promise<RelayAnswer> {
    const endpoint = this.endpoints.get(operator);
    if (!endpoint) throw new Error(`no relay endpoint known for operator ${operator}`);
    const sentAt = this.best;
    const sequence = this.sequence++;
    const previous = this.voucher(operator);
    const next = { calls: previous.calls + 1n, amount: previous.amount + this.cost };
    this.vouchers.set(operator, next);
    const ticket: Ticket = { genesisHash: this.genesisHash, sessionId: this.id, sequence, operator, ...next };

    const method = (call.method ?? 'GET').toUpperCase();
    const path = call.path ?? '/';
    const headers = headerPairs(call.headers);
    const body = raw(call.body ?? '');
    const requestHash = relayRequestHash({ method, path, headers, body });
    const variant = SIGNATURE_VARIANT[this.client.type];
    if (variant === undefined) throw new Error(`cannot sign tickets with a ${this.client.type} key`);
    const signature = u8aToHex(u8aConcat([variant], this.client.sign(ticketMessage(ticket, requestHash))));
    const sent: Record<string, string> = {
      ...Object.fromEntries(headers),
      'Baton-Ticket': u8aToHex(encodeTicket(ticket)),
      'Baton-Signature': signature,
    };
    if (headers.length > 0) sent['Baton-Signed-Headers'] = headers.map(([name]) => name).join(',');

    const started = Date.now();
    const response = await fetch(`${endpoint}/relay/${this.id}${path}`, {
      method, headers: sent, body: body.length > 0 ? new Uint8Array(body) : undefined, signal,
    });
    const bodyBytes = new Uint8Array(await response.arrayBuffer());
    const latencyMs = Date.now() - started;
    const receiptHex = response.headers.get('baton-receipt');
    if (!receiptHex && this.vouchers.get(operator) === next) this.vouchers.set(operator, previous);
    const text = new TextDecoder().decode(bodyBytes);
    let error: string | null = null;
    if (!receiptHex) {
      try { error = (JSON.parse(text) as { error?: string }).error ?? null; } catch { /* not JSON: none named */ }
    }
    return {
      operator,
      status: response.status,
      headers: response.headers,
      bodyBytes,
      body: text,
      error,
      receipt: receiptHex && isHex(receiptHex) ? decodeRelayReceipt(this.api, receiptHex) : null,
      receiptSignature: response.headers.get('baton-receipt-signature'),
      sessionId: this.id,
      sequence,
      requestHash,
      ticket,
      sentAt,
      latencyMs,
    };
  }

  /** Whether `answer` carries a valid receipt by its operator's gateway key for that call. */
  verify(answer: RelayAnswer): boolean {
    const member = this.session.operators.find((o) => o.operator === answer.operator);
    return verifyRelayReceipt(answer, member?.gatewayKey ?? null, this.genesisHash);
  }

  /**
   * Sends `call` to the session's operators in their order, the first not yet failed first, and
   * resolves with the first answer whose receipt verifies. The next operator is tried at once
   * when one fails (no answer, a 5xx without a receipt) or its receipt does not verify, and
   * beside it when one has not answered after `hedgeAfterMs`; each move is a handover in the
   * close report. The calls still in flight are then abandoned (their operators may have served
   * them and are paid). Rejects when every operator was tried.
   */
  async fetch(call: RelayCall = {}, { hedgeAfterMs = 1_000 }: { hedgeAfterMs?: number } = {}): Promise<RelayAnswer> {
    const order = this.operators;
    const healthy = order.filter((o) => (this.served.get(o)?.failed ?? 0) === 0);
    const candidates = [...healthy, ...order.filter((o) => !healthy.includes(o))];
    const abort = new AbortController();
    return new Promise((resolve, reject) => {
      let launched = 0;
      let pending = 0;
      let done = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const failures: string[] = [];
      const finish = (outcome: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        abort.abort();
        outcome();
      };
      const launch = (cause?: RelayFault, from?: string) => {
        clearTimeout(timer);
        if (launched >= candidates.length) {
          if (pending === 0) finish(() => reject(new Error(`every operator of session ${this.id} failed: ${failures.join('; ')}`)));
          return;
        }
        const operator = candidates[launched++];
        if (from && cause) this.handovers.push({ from, to: operator, sequence: this.sequence, cause });
        pending += 1;
        timer = setTimeout(() => launch('late', operator), hedgeAfterMs);
        this.call(operator, call, abort.signal).then((answer) => {
          pending -= 1;
          if (done) return;
          if (answer.receipt && this.verify(answer)) {
            this.record(operator, answer.latencyMs);
            return finish(() => resolve(answer));
          }
          const fault: RelayFault = answer.receipt ? 'badReceipt' : 'failed';
          failures.push(`${operator}: ${answer.error ?? fault} (${answer.status})`);
          this.record(operator);
          launch(fault, operator);
        }, (error: unknown) => {
          pending -= 1;
          if (done) return;
          failures.push(`${operator}: ${error instanceof Error ? error.message : String(error)}`);
          this.record(operator);
          launch('failed', operator);
        });
      };
      launch();
    });
  }

  private record(operator: string, latencyMs?: number) {
    const entry = this.served.get(operator) ?? { failed: 0, latencies: [] };
    if (latencyMs === undefined) entry.failed += 1;
    else entry.latencies.push(latencyMs);
    this.served.set(operator, entry);
  }

  /**
   * `close_session`'s report: the handovers, oldest first, at most the runtime's
   * `relay.maxReportHandovers`, and each operator's failed calls and median latency.
   */
  report(): { handovers: RelayHandover[]; outcomes: Array<{ operator: string; failedCalls: number; latencyMs: number }> } {
    const max = Number(this.api.consts.relay.maxReportHandovers.toString());
    const outcomes = [...this.served].map(([operator, { failed, latencies }]) => {
      const sorted = [...latencies].sort((a, b) => a - b);
      return { operator, failedCalls: failed, latencyMs: sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0 };
    });
    return { handovers: this.handovers.slice(0, max), outcomes };
  }

  /** Closes the session with `report()` as its client, and stops following blocks. */
  async close(options: SendOptions = {}): Promise<Included> {
    const closed = await send(this.api.tx.relay.closeSession(this.id, this.report()), this.client, options);
    this.stop();
    return closed;
  }

  /** Stops following the best block. */
  stop() {
    this.stopFollowing?.();
    this.stopFollowing = undefined;
  }
}
