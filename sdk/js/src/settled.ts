// The settled path: a request the chain routes, escrows and settles, whose result comes back
// with a receipt signed by the operator that served it (docs/gateway.md in the repository).
import type { ApiPromise } from '@polkadot/api';
import type { AddressOrPair } from '@polkadot/api/types';
import type { Option, Struct } from '@polkadot/types-codec';
import type { Codec } from '@polkadot/types-codec/types';
import type { EventRecord } from '@polkadot/types/interfaces';
import { hexToU8a, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, ed25519Verify } from '@polkadot/util-crypto';
import { getQuote, getRequest, getResponse, type RequestView, type ResponseView } from './rpc.js';
import { headerPairs, type Headers } from './scale.js';
import { findEvent, followUntil, send, type SendOptions } from './tx.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A settled request: what to call, on how many operators, and what the client pays at most. */
export interface RequestSpec {
  apiId: number;
  method?: HttpMethod;
  /** Appended to the API's base URL, query included. */
  path?: string;
  headers?: Headers;
  body?: string;
  /** How many operators execute it and must agree; 0 for the API's default. */
  redundancy?: number;
  /** The most the client pays; the quote now if not given. */
  maxFee?: bigint;
  /** Blocks from the best block to the deadline (default 10). */
  deadlineIn?: number;
}

const hex = (text: string) => u8aToHex(stringToU8a(text));
const methodVariant = (method: string) => method[0].toUpperCase() + method.slice(1).toLowerCase();

/** Whether API `apiId` keeps its paths confidential: it takes sealed requests only. */
export async function hasConfidentialPaths(api: ApiPromise, apiId: number): Promise<boolean> {
  const stored = (await api.query.gateway.apis(apiId)).toJSON() as { spec?: { confidentialPath?: boolean } } | null;
  return stored?.spec?.confidentialPath === true;
}

/**
 * The `gateway.submitRequest` transaction for `spec`. Path, header and body bytes go as hex, so
 * that a body that happens to start with 0x is sent as the text it is. Throws for an API that
 * keeps its paths confidential, whose requests go with `sealedRequest`: the transaction would
 * publish the path even though the chain refuses it.
 */
export async function requestTx(api: ApiPromise, spec: RequestSpec) {
  const { apiId, method = 'GET', path = '/', headers = [], body = '', redundancy = 0, deadlineIn = 10 } = spec;
  if (path !== '' && await hasConfidentialPaths(api, apiId)) {
    throw new Error(`gateway.ConfidentialPath: API ${apiId} keeps its paths confidential and takes sealed requests only (sealedRequest); a plain one would publish the path`);
  }
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const maxFee = spec.maxFee ?? BigInt((await getQuote(api, apiId, redundancy)).total);
  return api.tx.gateway.submitRequest(
    apiId, methodVariant(method), hex(path),
    headerPairs(headers).map(([name, value]) => [hex(name), hex(value)]),
    hex(body), redundancy, maxFee, best + deadlineIn,
  );
}

/** A request the chain accepted: its id, the fee held, its operators, the block it is in. */
export interface Submitted {
  id: number;
  fee: bigint;
  assigned: string[];
  blockHash: string;
  events: EventRecord[];
}

/** Submits `spec` as `signer` and resolves once its block is finalized. */
export async function submitRequest(api: ApiPromise, signer: AddressOrPair, spec: RequestSpec, options: SendOptions = {}): Promise<Submitted> {
  const { blockHash, events } = await send(await requestTx(api, spec), signer, options);
  const [id, , , fee, assigned] = findEvent(events, 'gateway', 'RequestSubmitted').data;
  return {
    id: Number(id.toString()),
    fee: BigInt(fee.toString()),
    assigned: (assigned.toJSON() as string[]).map((a) => api.createType('AccountId32', a).toString()),
    blockHash,
    events,
  };
}

/** How a request ended: in which finalized block, and the settled response hash or the refund. */
export type Outcome =
  | { status: 'completed'; blockHash: string; responseHash: string }
  | { status: 'refunded'; blockHash: string; amount: bigint };

/**
 * Follows finalized blocks from `fromBlock` (a hash) and resolves with the request's outcome
 * once a finalized block holds its `RequestCompleted` or `RequestRefunded` event. Every block is
 * read, none skipped, even when finality moves several blocks at once.
 */
export async function waitForOutcome(api: ApiPromise, id: number, fromBlock: string, timeoutMs = 300_000): Promise<Outcome> {
  let next = (await api.rpc.chain.getHeader(fromBlock)).number.toNumber();
  let queue = Promise.resolve();
  return followUntil<Outcome>(timeoutMs, `request ${id} not settled within ${timeoutMs} ms`, (resolve, reject) => {
    let done = false;
    const scan = async (head: number) => {
      for (; next <= head && !done; next += 1) {
        const blockHash = (await api.rpc.chain.getBlockHash(next)).toHex();
        const events = (await (await api.at(blockHash)).query.system.events()) as unknown as EventRecord[];
        for (const { event } of events) {
          if (event.section !== 'gateway' || Number(event.data[0].toString()) !== id) continue;
          if (event.method === 'RequestCompleted') {
            done = true;
            return resolve({ status: 'completed', blockHash, responseHash: event.data[1].toHex() });
          }
          if (event.method === 'RequestRefunded') {
            done = true;
            return resolve({ status: 'refunded', blockHash, amount: BigInt(event.data[1].toString()) });
          }
        }
      }
    };
    return api.rpc.chain.subscribeFinalizedHeads((header) => {
      const head = header.number.toNumber();
      queue = queue.then(() => scan(head)).catch((error: unknown) => { done = true; reject(error); });
    });
  });
}

/** A request the chain refunded: no majority, or no operator left before its deadline. */
export class RequestRefunded extends Error {
  constructor(
    readonly id: number,
    /** What went back to the client. */
    readonly amount: bigint,
    /** The request as the chain kept it in the refund's block: its reports and handovers. */
    readonly request: RequestView | null,
  ) {
    super(`request ${id} was refunded (${amount} planck): ${describeReports(request)}`);
    this.name = 'RequestRefunded';
  }
}

function describeReports(request: RequestView | null): string {
  if (!request || request.reports.length === 0) return 'no operator reported';
  return `reports ${request.reports.map((r) => JSON.stringify(r.status)).join(', ')}`;
}

/** A receipt that does not check out: the node's answer cannot be trusted. */
export class ReceiptInvalid extends Error {
  constructor(readonly id: number, reason: string) {
    super(`request ${id}: ${reason}`);
    this.name = 'ReceiptInvalid';
  }
}

/** A completed request's verified result. */
export interface Result {
  id: number;
  /** The upstream's body, checked against the receipt and the chain's settled hash. */
  body: string;
  /** The winning operator's receipt as `gateway_response` served it. */
  receipt: ResponseView;
  /** The fee the chain held for it. */
  fee: bigint;
  /** The finalized block the request completed in. */
  blockHash: string;
}

/**
 * Submits a settled request as `signer` and resolves with its verified result once a finalized
 * block completes it (followed by subscription, not polling); rejects with RequestRefunded if
 * the chain refunds it, with ReceiptInvalid if the answer does not verify, with a ChainError if
 * the chain refuses the request.
 *
 * Verified means: the receipt's signature by the operator's gateway key (as bonded on-chain)
 * covers this chain's genesis hash (the client's connection's, not the node's answer), this
 * request's content hash (computed here from the request the chain stored at submission) and
 * the body's hash, which is also the hash the chain settled on.
 */
export async function request(api: ApiPromise, signer: AddressOrPair, spec: RequestSpec, options: SendOptions & { settleTimeoutMs?: number } = {}): Promise<Result> {
  const submitted = await submitRequest(api, signer, spec, options);
  const outcome = await waitForOutcome(api, submitted.id, submitted.blockHash, options.settleTimeoutMs);
  const receipt = await settledReceipt(api, submitted.id, outcome);
  if (receipt.body === null) throw new ReceiptInvalid(submitted.id, 'the node serves no response body');
  const contentHash = await requestHash(api, submitted.id, submitted.blockHash);
  if (!verifyReceipt(api, receipt, { requestHash: contentHash })) {
    throw new ReceiptInvalid(submitted.id, 'the receipt does not verify');
  }
  return { id: submitted.id, body: receipt.body, receipt, fee: submitted.fee, blockHash: outcome.blockHash };
}

/**
 * The receipt of request `id` once `outcome` is known, as `gateway_response` serves it in the
 * outcome's block, checked against the chain: it is for the response the chain settled on, and
 * its key is the operator's gateway key as bonded then. Rejects with RequestRefunded for a
 * refund, with ReceiptInvalid otherwise. What the receipt signs is the caller's to check
 * (`verifyReceipt`, `verifySealedReceipt`).
 */
export async function settledReceipt(api: ApiPromise, id: number, outcome: Outcome): Promise<ResponseView> {
  if (outcome.status === 'refunded') {
    throw new RequestRefunded(id, outcome.amount, await getRequest(api, id, outcome.blockHash));
  }
  const receipt = await getResponse(api, id, outcome.blockHash);
  if (!receipt) throw new ReceiptInvalid(id, 'the node serves no response');
  if (receipt.responseHash !== outcome.responseHash) {
    throw new ReceiptInvalid(id, 'the receipt is not for the response the chain settled on');
  }
  const bonded = (await (await api.at(outcome.blockHash)).query.operatorStaking.operators(receipt.operator)).toJSON() as
    { gatewayKey?: string } | null;
  if (bonded?.gatewayKey !== receipt.gatewayKey) {
    throw new ReceiptInvalid(id, `the receipt's key is not ${receipt.operator}'s gateway key`);
  }
  return receipt;
}

/**
 * The content hash of request `id`, computed from the request the chain stored (in block `at`,
 * default the best): blake2-256 of SCALE("baton/request", client, api id, method, path,
 * headers, body, terms, price), or for a sealed request of SCALE("baton/sealed-request",
 * client, api id, method, path, seal terms, terms, price), whose seal terms commit to the
 * sealed headers and body.
 */
export async function requestHash(api: ApiPromise, id: number, at?: string): Promise<string> {
  const query = at ? (await api.at(at)).query : api.query;
  const stored = await query.gateway.requests(id);
  if (stored.isEmpty) throw new Error(`the chain keeps no request ${id}`);
  const r = (stored as unknown as { unwrap(): Record<string, Codec> }).unwrap();
  // A runtime from before sealed requests stores no `sealed`: its requests are all plain.
  const sealed = r.sealed as Option<Struct & { terms: Codec }> | undefined;
  const [tag, call]: [string, Codec[]] = sealed?.isSome
    ? ['baton/sealed-request', [sealed.unwrap().terms]]
    : ['baton/request', [r.headers, r.body]];
  const content = u8aConcat(stringToU8a(tag),
    ...[r.client, r.apiId, r.method, r.path, ...call, r.terms, r.price].map((field) => field.toU8a()));
  return u8aToHex(blake2AsU8a(content, 256));
}

/** The `ResultStatus` type as the metadata names it (the gateway's result event carries it). */
export function resultStatusType(api: ApiPromise): string {
  const field = api.events.gateway.ResultReported.meta.fields.find((f) => f.name.toString() === 'status');
  if (!field) throw new Error('the runtime has no gateway.ResultReported status');
  return api.registry.createLookupType(field.type);
}

/**
 * Checks a `gateway_response` receipt with the gateway key alone: the body hashes to the
 * response hash, and the receipt is signed (`receiptSigned`). `genesisHash` defaults to the
 * client's connection's; `requestHash`, when given, must be the receipt's (the client's own
 * computation of what it asked).
 */
export function verifyReceipt(api: ApiPromise, receipt: ResponseView, { genesisHash = api.genesisHash.toHex(), requestHash: expected }: { genesisHash?: string; requestHash?: string } = {}): boolean {
  if (receipt.body === null) return false;
  if (expected !== undefined && expected !== receipt.requestHash) return false;
  if (u8aToHex(blake2AsU8a(stringToU8a(receipt.body), 256)) !== receipt.responseHash) return false;
  return receiptSigned(api, receipt, genesisHash);
}

/**
 * Whether the receipt's ed25519 signature by its gateway key covers SCALE("baton/receipt",
 * genesis hash, request id, request hash, response hash, status, operator) on the chain whose
 * genesis hash is `genesisHash`. What the response hash stands for is the caller's to check.
 */
export function receiptSigned(api: ApiPromise, receipt: ResponseView, genesisHash: string = api.genesisHash.toHex()): boolean {
  const [kind, value] = Object.entries(typeof receipt.status === 'string' ? { [receipt.status]: null } : receipt.status)[0];
  const status = { [kind[0].toUpperCase() + kind.slice(1)]: value };
  const message = u8aConcat(stringToU8a('baton/receipt'), api.createType(
    `(H256, u64, [u8; 32], [u8; 32], ${resultStatusType(api)}, AccountId32)`,
    [genesisHash, receipt.requestId, receipt.requestHash, receipt.responseHash, status, receipt.operator],
  ).toU8a());
  return ed25519Verify(message, hexToU8a(receipt.signature), hexToU8a(receipt.gatewayKey));
}

/**
 * The `Idempotency-Key` operators send upstream for a request (as `gateway_request` serves it):
 * its id and the first 8 bytes of its content hash in hex.
 */
export function idempotencyKey(request: Pick<RequestView, 'id' | 'requestHash'>): string {
  return `${request.id}-${request.requestHash.slice(2, 18)}`;
}
