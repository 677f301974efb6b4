// The node's `gateway_*` and `relay_*` JSON-RPC methods (rpc/src in the Baton repository):
// definitions for polkadot.js, their TypeScript declarations, and the JSON views they answer.
import { ApiPromise, WsProvider } from '@polkadot/api';
import type { AugmentedRpc } from '@polkadot/rpc-core/types';
import type { Json, Option, Vec } from '@polkadot/types-codec';
import type { AnyNumber } from '@polkadot/types-codec/types';
import type { Observable } from '@polkadot/types/types';

const at = { name: 'at', type: 'BlockHash', isOptional: true };

/** `ApiPromise.create({ rpc: batonRpc })` gives `api.rpc.gateway.*` and `api.rpc.relay.*`. */
export const batonRpc = {
  gateway: {
    request: {
      description: 'A request while it is kept: status, operators, reports, handovers',
      params: [{ name: 'id', type: 'u64' }, at],
      type: 'Option<Json>',
    },
    response: {
      description: 'The winning response of a completed request, with its receipt',
      params: [{ name: 'id', type: 'u64' }, at],
      type: 'Option<Json>',
    },
    quote: {
      description: 'What a request to an API with `redundancy` operators (0: its default) costs',
      params: [{ name: 'apiId', type: 'u32' }, { name: 'redundancy', type: 'u32' }, at],
      type: 'Json',
    },
    operators: {
      description: 'The operators that declared they serve an API, with their reputation',
      params: [{ name: 'apiId', type: 'u32' }, at],
      type: 'Vec<Json>',
    },
  },
  relay: {
    session: {
      description: 'A relay session until it settles: price, allowance, operators and their gateway keys, status',
      params: [{ name: 'id', type: 'u64' }, at],
      type: 'Option<Json>',
    },
    sessions: {
      description: "A client's relay sessions until they settle",
      params: [{ name: 'client', type: 'AccountId32' }, at],
      type: 'Vec<Json>',
    },
  },
};

type At = string | Uint8Array;
type Rpc<F extends (...args: never[]) => unknown> = AugmentedRpc<F>;

declare module '@polkadot/rpc-core/types/jsonrpc' {
  interface RpcInterface {
    gateway: {
      request: Rpc<(id: AnyNumber, at?: At) => Observable<Option<Json>>>;
      response: Rpc<(id: AnyNumber, at?: At) => Observable<Option<Json>>>;
      quote: Rpc<(apiId: AnyNumber, redundancy: AnyNumber, at?: At) => Observable<Json>>;
      operators: Rpc<(apiId: AnyNumber, at?: At) => Observable<Vec<Json>>>;
    };
    relay: {
      session: Rpc<(id: AnyNumber, at?: At) => Observable<Option<Json>>>;
      sessions: Rpc<(client: string | Uint8Array, at?: At) => Observable<Vec<Json>>>;
    };
  }
}

/** A report's or a receipt's status: `{ response: { code } }` or why there was none. */
export type ResultStatus = { response: { code: number } } | 'timeout' | 'unreachable' | 'tooLarge' | 'notUtf8' | 'forbidden';

/** `gateway_request`: a request while the chain keeps it. Balances are decimal strings. */
export interface RequestView {
  id: number;
  apiId: number;
  client: string;
  method: string;
  path: string;
  /** The hash (0x hex) of the request's content, which receipts bind. */
  requestHash: string;
  status: 'pending' | 'completed' | 'refunded';
  responseHash: string | null;
  settledAt: number | null;
  fee: string;
  submittedAt: number;
  deadline: number;
  assigned: string[];
  backups: string[];
  /** Backups armed beside assigned operators that had not reported by the end of the backup grace. */
  armed: Array<{ backup: string; beside: string }>;
  reports: Array<{ operator: string; status: ResultStatus; responseHash: string; latencyMs: number; at: number }>;
  handovers: Array<{ from: string; to: string; reason: unknown; block: number; checkpoint: unknown }>;
}

/** `gateway_response`: the winning response of a completed request and its receipt. */
export interface ResponseView {
  requestId: number;
  requestHash: string;
  genesisHash: string;
  operator: string;
  gatewayKey: string;
  status: ResultStatus;
  responseHash: string;
  signature: string;
  /** The body as text, or null if the node has not indexed it (or the request is sealed). */
  body: string | null;
  /**
   * A sealed request's body as the operator reported it (0x hex): HPKE's 32-byte encapsulated
   * key, then the ciphertext; only the client's key opens it (`openResponse`).
   */
  sealedBody?: string | null;
  /** A sealed request's blake2-256 of the opened body, as the operator vouched for it. */
  plaintextHash?: string | null;
  /** The node's own check of the receipt: a client checks it itself (`verifyReceipt`). */
  verified: boolean;
}

/** `gateway_quote`: what a request costs now. */
export interface QuoteView {
  pricePerOperator: string;
  protocolFee: string;
  total: string;
  eligibleOperators: number;
}

/** `gateway_operators`: an operator serving an API, with its reputation. */
export interface OperatorView {
  operator: string;
  gatewayKey: string;
  bonded: string;
  available: boolean;
  online: boolean;
  capacity: number;
  region: string;
  endpoint: string;
  /** The mean of Beta(α, β) in parts per billion. */
  scorePpb: number;
  alphaMicros: number;
  betaMicros: number;
  latencyMs: number;
}

/** `relay_session`: a relay session until it settles. */
export interface SessionView {
  id: number;
  client: string;
  apiId: number;
  pricePerCall: string;
  protocolFee: string;
  /** What one call costs the client. */
  cost: string;
  allowance: string;
  /** In the order routing ranked them; `gatewayKey` is null once one is no longer bonded. */
  operators: Array<{ operator: string; gatewayKey: string | null; claimedCalls: number }>;
  openedAt: number;
  expiresAt: number;
  status: 'open' | 'closed';
  closedAt: number | null;
  claimsUntil: number | null;
}

/** The optional block argument, left out when not given: polkadot.js would send a zero hash. */
const atBlock = (at?: At): [At] | [] => (at === undefined ? [] : [at]);

interface Answer {
  isNone?: boolean;
  isSome?: boolean;
  unwrap?: () => { toJSON(): unknown };
  toJSON(): unknown;
}

/** An RPC answer as plain values: null for an `Option` the node answered with none. */
export function plain<T>(answer: Answer | Answer[]): T {
  if (Array.isArray(answer)) return answer.map((item) => plain(item)) as T;
  if (answer.isNone) return null as T;
  return (answer.isSome && answer.unwrap ? answer.unwrap() : answer).toJSON() as T;
}

/** `gateway_request(id)` at the best block (or `at`); null once the chain no longer keeps it. */
export async function getRequest(api: ApiPromise, id: number | bigint, at?: At): Promise<RequestView | null> {
  return plain(await api.rpc.gateway.request(id, ...atBlock(at)));
}

/** `gateway_response(id)`: null unless the request completed and is kept. */
export async function getResponse(api: ApiPromise, id: number | bigint, at?: At): Promise<ResponseView | null> {
  return plain(await api.rpc.gateway.response(id, ...atBlock(at)));
}

/** `gateway_quote(apiId, redundancy)`; redundancy 0 is the API's default. */
export async function getQuote(api: ApiPromise, apiId: number, redundancy = 0, at?: At): Promise<QuoteView> {
  return plain(await api.rpc.gateway.quote(apiId, redundancy, ...atBlock(at)));
}

/** `gateway_operators(apiId)`. */
export async function getOperators(api: ApiPromise, apiId: number, at?: At): Promise<OperatorView[]> {
  return plain(await api.rpc.gateway.operators(apiId, ...atBlock(at)));
}

/** `relay_session(id)`; null once it settled. */
export async function getSession(api: ApiPromise, id: number | bigint, at?: At): Promise<SessionView | null> {
  return plain(await api.rpc.relay.session(id, ...atBlock(at)));
}

/** `relay_sessions(client)`. */
export async function getSessions(api: ApiPromise, client: string, at?: At): Promise<SessionView[]> {
  return plain(await api.rpc.relay.sessions(client, ...atBlock(at)));
}

/** An ApiPromise on a Baton node at `url` (ws:// or wss://), with Baton's RPC methods. */
export async function connect(url: string): Promise<ApiPromise> {
  return ApiPromise.create({ provider: new WsProvider(url), rpc: batonRpc, noInitWarn: true, throwOnConnect: true });
}
