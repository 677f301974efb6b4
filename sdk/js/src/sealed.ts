// Sealed requests: a settled request whose headers and body (and path, where the API keeps paths
// confidential) only the operators routing chose can read, and whose response only its client
// can (docs/confidential.md in the repository).
// Every seal is HPKE (RFC 9180) base mode, single shot, with no AAD: DHKEM(X25519, HKDF-SHA256),
// HKDF-SHA256, ChaCha20-Poly1305, as operators' nodes open and seal (egress/src/sealing.rs).
import type { ApiPromise } from '@polkadot/api';
import type { AddressOrPair } from '@polkadot/api/types';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { CipherSuite, HkdfSha256 } from '@hpke/core';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import { compactToU8a, hexToU8a, stringToU8a, u8aConcat, u8aToHex, u8aToString } from '@polkadot/util';
import { blake2AsU8a, decodeAddress } from '@polkadot/util-crypto';
import { getRequest, type ResponseView } from './rpc.js';
import { hash32, headerPairs, u64, vec, type BytesLike, type Hash32, type Headers } from './scale.js';
import {
  hasConfidentialPaths, ReceiptInvalid, receiptSigned, requestHash, requestTx, settledReceipt, waitForOutcome,
  type RequestSpec, type Result,
} from './settled.js';
import { findEvent, send, type SendOptions } from './tx.js';

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });

/** The longest sealed call the chain takes, in bytes of ciphertext (`MAX_SEALED_CALL_BYTES`). */
const MAX_SEALED_CALL_BYTES = 16_400;
/** What ChaCha20-Poly1305 adds to a plaintext. */
const TAG_BYTES = 16;

const blake2 = (bytes: Uint8Array) => blake2AsU8a(bytes, 256);

/** A client's X25519 key pair: the public half goes on-chain, the private half opens the response. */
export interface ClientKey {
  publicKey: Uint8Array;
  privateKey: CryptoKey;
}

/** A fresh X25519 key pair to have a response sealed to. */
export async function generateClientKey(): Promise<ClientKey> {
  const { publicKey, privateKey } = await suite.kem.generateKeyPair();
  return { publicKey: new Uint8Array(await suite.kem.serializePublicKey(publicKey)), privateKey };
}

/**
 * What a client seals of a request: its headers and body, and its path only where the API keeps
 * paths confidential (`spec.confidentialPath`; the request's public path is then empty).
 */
export interface SealedCallContent {
  path?: string;
  headers?: Headers;
  body?: BytesLike;
}

/**
 * The SCALE encoding of `SealedCall { path, headers, body }`, the headers' names in lower case
 * as `requestTx` sends a plain request's.
 */
export function sealedCallBytes(call: SealedCallContent = {}): Uint8Array {
  // The object replaced (headers, body) arguments: an old call would hash an empty call.
  if (typeof call !== 'object' || Array.isArray(call)) throw new TypeError('sealedCallBytes takes { path, headers, body }');
  const { path = '', headers = {}, body = '' } = call;
  const pairs = headerPairs(headers);
  return u8aConcat(vec(path), compactToU8a(pairs.length), ...pairs.flatMap(([name, value]) => [vec(name), vec(value)]), vec(body));
}

/**
 * The hash a sealed request commits to when it is submitted (0x hex): blake2-256 of
 * `sealedCallBytes`. Each operator checks the call it opens against it, so a client cannot give
 * operators different calls and have the honest ones outvoted.
 */
export function contentHash(call: SealedCallContent = {}): string {
  return u8aToHex(blake2(sealedCallBytes(call)));
}

/** A call sealed to one operator's encryption key, as `gateway.sealRequest` takes it. */
export interface CallEnvelope {
  /** The operator's encryption key. */
  recipient: Uint8Array;
  /** HPKE's encapsulated key. */
  encapped: Uint8Array;
  ciphertext: Uint8Array;
}

/** Seals `plaintext` to the X25519 key `recipient` under `info`. */
export async function sealCall(recipient: Hash32, info: Uint8Array, plaintext: Uint8Array): Promise<CallEnvelope> {
  const key = hash32(recipient);
  const { enc, ct } = await suite.seal({ recipientPublicKey: await suite.kem.deserializePublicKey(key), info }, plaintext);
  return { recipient: key, encapped: new Uint8Array(enc), ciphertext: new Uint8Array(ct) };
}

/**
 * SCALE of `(tag, genesis hash, request id, request hash, operator)`, the tag a byte-string
 * literal and so without a length prefix: what binds a seal to one request, operator and chain.
 */
function boundInfo(tag: string, genesisHash: Hash32, requestId: number | bigint, requestHash: Hash32, operator: string | Uint8Array): Uint8Array {
  return u8aConcat(stringToU8a(tag), hash32(genesisHash), u64(requestId), hash32(requestHash), decodeAddress(operator));
}

/** HPKE's `info` of a request's call sealed to `operator` (an SS58 address or its 32 bytes). */
export function sealedCallInfo(genesisHash: Hash32, requestId: number | bigint, requestHash: Hash32, operator: string | Uint8Array): Uint8Array {
  return boundInfo('baton/sealed-call', genesisHash, requestId, requestHash, operator);
}

/** HPKE's `info` of the response `operator` (the receipt's) sealed to the client. */
export function sealedResponseInfo(genesisHash: Hash32, requestId: number | bigint, requestHash: Hash32, operator: string | Uint8Array): Uint8Array {
  return boundInfo('baton/sealed-response', genesisHash, requestId, requestHash, operator);
}

/**
 * Opens a sealed response (a receipt's `sealedBody`, 0x hex or bytes: HPKE's 32-byte
 * encapsulated key, then the ciphertext) with the client's private key; throws if it was sealed
 * to another key or under another `info`, or altered.
 */
export async function openResponse(privateKey: CryptoKey, info: Uint8Array, sealedBody: string | Uint8Array): Promise<Uint8Array> {
  const sealed = typeof sealedBody === 'string' ? hexToU8a(sealedBody) : sealedBody;
  return new Uint8Array(await suite.open({ recipientKey: privateKey, enc: sealed.subarray(0, 32), info }, sealed.subarray(32)));
}

/**
 * Checks a sealed request's receipt against the body the client opened, with the gateway key
 * alone: the response hash is blake2-256 of SCALE("baton/sealed-response", blake2-256 of
 * `plaintext`, blake2-256 of the sealed bytes), and the receipt is signed (`receiptSigned`). A
 * receipt of no response (a timeout, an unreachable upstream...) seals nothing: its response
 * hash is of `plaintext` itself, which is then empty. Options as `verifyReceipt`'s.
 */
export function verifySealedReceipt(api: ApiPromise, receipt: ResponseView, plaintext: Uint8Array, { genesisHash = api.genesisHash.toHex(), requestHash: expected }: { genesisHash?: string; requestHash?: string } = {}): boolean {
  if (expected !== undefined && expected !== receipt.requestHash) return false;
  let responseHash = blake2(plaintext);
  if (typeof receipt.status !== 'string') {
    if (!receipt.sealedBody) return false;
    responseHash = blake2(u8aConcat(stringToU8a('baton/sealed-response'), blake2(plaintext), blake2(hexToU8a(receipt.sealedBody))));
  }
  return u8aToHex(responseHash) === receipt.responseHash && receiptSigned(api, receipt, genesisHash);
}

/**
 * Throws unless `path` is one the chain takes: it starts with `/` and holds only visible ASCII,
 * at most `gateway.maxPathLen` bytes. A sealed path the chain cannot see would be refused by
 * every operator instead, the fee spent.
 */
function checkPath(api: ApiPromise, path: string): void {
  const max = Number(api.consts.gateway.maxPathLen.toString());
  if (!/^\/[\x21-\x7e]*$/.test(path) || path.length > max) {
    throw new Error(`the path ${JSON.stringify(path)}: it must start with /, hold no spaces or control characters, and be at most ${max} bytes`);
  }
}

/** `sealedRequest`'s options: `send`'s, how long to wait for the outcome, the client's key. */
export interface SealedOptions extends SendOptions {
  settleTimeoutMs?: number;
  /** The key the response is sealed to; a fresh one if not given. */
  clientKey?: ClientKey;
}

/**
 * Sends `spec` as a sealed request as `signer` and resolves with its verified result once a
 * finalized block completes it, as `request` does; rejects as `request` does. Its headers and
 * body (and its path, if the API keeps paths confidential) go only to the operators routing
 * chose, sealed to each one's encryption key, and the response comes back sealed to the
 * client's key (`options.clientKey`, or a fresh one).
 *
 * Two transactions: `gateway.submitSealedRequest` commits to the call's hash and routes it;
 * once it is in a block, `gateway.sealRequest` carries one envelope for each operator and backup
 * routed. If the second fails (its ChainError is thrown), the fee comes back at the deadline,
 * less the protocol fee. `options.onProgress` is told both transactions' stages.
 *
 * Verified means: the body opened with the client's key under this request's binding, the
 * receipt's response hash is that of the opened and the sealed bytes, and the operator's
 * on-chain gateway key signed it with this chain's genesis hash and this request's content hash
 * (computed here from the request the chain stored, seal terms included).
 */
export async function sealedRequest(api: ApiPromise, signer: AddressOrPair, spec: RequestSpec, options: SealedOptions = {}): Promise<Result> {
  const confidentialPath = await hasConfidentialPaths(api, spec.apiId);
  const sealedPath = confidentialPath ? spec.path ?? '/' : '';
  if (confidentialPath) checkPath(api, sealedPath);
  const call = sealedCallBytes({ path: sealedPath, headers: spec.headers, body: spec.body });
  // Refused here rather than by the chain once the fee is held.
  if (call.length + TAG_BYTES > MAX_SEALED_CALL_BYTES) {
    throw new Error(`the sealed call is ${call.length} bytes, more than ${MAX_SEALED_CALL_BYTES - TAG_BYTES}`);
  }
  const key = options.clientKey ?? await generateClientKey();
  const seal = { clientKey: u8aToHex(key.publicKey), contentHash: u8aToHex(blake2(call)) };
  // The plain transaction's arguments but its headers and body (and a confidential path): the
  // same quote and deadline.
  const publicPath = confidentialPath ? '' : spec.path;
  const [apiId, method, path, , , redundancy, maxFee, deadline] =
    (await requestTx(api, { ...spec, path: publicPath, headers: [], body: '' })).args;
  const submitTx = api.tx.gateway.submitSealedRequest(apiId, method, path, seal, redundancy, maxFee, deadline);
  // In a block is enough to seal: the operators are routed there, and were it forked out, the
  // seal would fail with it.
  const submitted = await send(submitTx, signer, { ...options, until: 'inBlock' });
  const [rawId, , , fee] = findEvent(submitted.events, 'gateway', 'RequestSubmitted').data;
  const id = Number(rawId.toString());
  const routed = await getRequest(api, id, submitted.blockHash);
  if (!routed) throw new Error(`the chain keeps no request ${id}`);
  const hash = await requestHash(api, id, submitted.blockHash);
  const genesisHash = api.genesisHash.toHex();

  const envelopes = await Promise.all([...routed.assigned, ...routed.backups].map(async (operator) => {
    const bonded = (await api.query.operatorStaking.operators(operator)).toJSON() as
      { profile?: { encryptionKey?: { key: string } | null } } | null;
    const recipient = bonded?.profile?.encryptionKey?.key;
    if (!recipient) throw new Error(`operator ${operator} publishes no encryption key: request ${id} is left unsealed`);
    const { encapped, ciphertext } = await sealCall(recipient, sealedCallInfo(genesisHash, id, hash, operator), call);
    // Hex, since polkadot.js reads a Uint8Array given for `Bytes` as already length-prefixed.
    return [operator, { recipient, encapped: u8aToHex(encapped), ciphertext: u8aToHex(ciphertext) }];
  }));
  // The submission spent the nonce the caller may have given: the seal takes the next one.
  const sealed = await send(api.tx.gateway.sealRequest(id, envelopes), signer,
    { ...options, signerOptions: { ...options.signerOptions, nonce: undefined } });

  const outcome = await waitForOutcome(api, id, sealed.blockHash, options.settleTimeoutMs);
  const receipt = await settledReceipt(api, id, outcome);
  let plaintext: Uint8Array = new Uint8Array();
  if (typeof receipt.status !== 'string') {
    if (!receipt.sealedBody) throw new ReceiptInvalid(id, 'the node serves no sealed body');
    const info = sealedResponseInfo(genesisHash, id, hash, receipt.operator);
    plaintext = await openResponse(key.privateKey, info, receipt.sealedBody).catch((error: unknown) => {
      throw new ReceiptInvalid(id, `the sealed body does not open with the client's key: ${String(error)}`);
    });
  }
  if (!verifySealedReceipt(api, receipt, plaintext, { genesisHash, requestHash: hash })) {
    throw new ReceiptInvalid(id, 'the receipt does not verify');
  }
  return { id, body: u8aToString(plaintext), receipt, fee: BigInt(fee.toString()), blockHash: outcome.blockHash };
}
