//! Every key under which Baton keeps data in a node's offchain storage, in one place: what lives
//! under it, who writes it and who reads it. All are in the persistent kind; all start with
//! `baton/` and end with `/` before their SCALE-encoded parts. Hash domain tags start with
//! `baton/` too but have no trailing `/`: `baton/request` (a request's content),
//! `baton/receipt`, `baton/checkpoint`, `baton/key-ownership`, and `baton/offence/<what>` for
//! the subject an offence is counted once by.
//!
//! # Proactive handover: the protocol between two offchain workers
//!
//! In each block the gateway pallet's worker runs before the handover pallet's (they run in
//! pallet index order, and the runtime puts `gateway` first). For a gateway key `k`:
//! 1. The gateway worker executes `k`'s open assignments under an [`execution_lock_key`] each,
//!    and records every call's outcome in the API's [`health_storage_key`]
//!    ([`super::health::Health`]: moving averages and a circuit breaker).
//! 2. A call that failed while the breaker is open is not reported: the worker leaves the
//!    blake2-256 of what it got under [`attempt_storage_key`], the state hash of a checkpoint.
//!    A call it reports leaves an [`executed_storage_key`] record instead, so that a report
//!    resent later does not call the upstream again.
//! 3. The handover worker reads the same health: while an API's breaker is open it claims each
//!    of `k`'s open requests of that API once ([`handed_storage_key`]) and hands it over with a
//!    checkpoint signed by `k`: step 1 with the attempt's hash if there is one, step 0 otherwise.
//!
//! Run in the other order, step 3 would see step 1's health one block later: a slower
//! handover, never a wrong one. Both workers keep an index of their records per key
//! ([`executed_index_storage_key`], [`handed_index_storage_key`]) and drop a request's records
//! once the chain no longer assigns it to the operator, so the storage stays bounded: one
//! sweep, [`super::sweep_index`], serves both.

use alloc::vec::Vec;
use codec::Encode;

use crate::{ApiId, GatewayKey, RequestId, SessionId};

/// A report's body, written through offchain indexing by the runtime when the report lands
/// and cleared when the request is pruned; read by `gateway_response`.
pub fn response_storage_key<AccountId: Encode>(
	request_id: RequestId,
	operator: &AccountId,
) -> Vec<u8> {
	(b"baton/response/", request_id, operator).encode()
}

/// The lock a gateway worker holds while it calls the upstream for a request (of content
/// `request_hash`) as `key`, so that the workers of overlapping blocks or forks call it once.
pub fn execution_lock_key(
	request_id: RequestId,
	request_hash: &[u8; 32],
	key: &GatewayKey,
) -> Vec<u8> {
	(b"baton/lock/", request_id, request_hash, key).encode()
}

/// The signed report a gateway worker sent for a request as `key`, and when it sent it.
pub fn executed_storage_key(
	request_id: RequestId,
	request_hash: &[u8; 32],
	key: &GatewayKey,
) -> Vec<u8> {
	(b"baton/executed/", request_id, request_hash, key).encode()
}

/// The (request, content hash) pairs `key`'s gateway worker left records for: executed
/// reports and attempts.
pub fn executed_index_storage_key(key: &GatewayKey) -> Vec<u8> {
	(b"baton/executed-index/", key).encode()
}

/// What the gateway worker got from an upstream it called for a request and did not report
/// (it predicted failure): the blake2-256 of it, the state hash of the handover's checkpoint.
pub fn attempt_storage_key(
	request_id: RequestId,
	request_hash: &[u8; 32],
	key: &GatewayKey,
) -> Vec<u8> {
	(b"baton/attempted/", request_id, request_hash, key).encode()
}

/// That `key`'s handover worker handed a request over.
pub fn handed_storage_key(
	request_id: RequestId,
	request_hash: &[u8; 32],
	key: &GatewayKey,
) -> Vec<u8> {
	(b"baton/handed/", request_id, request_hash, key).encode()
}

/// The (request, content hash) pairs `key`'s handover worker handed over.
pub fn handed_index_storage_key(key: &GatewayKey) -> Vec<u8> {
	(b"baton/handed-index/", key).encode()
}

/// The [`crate::Health`] of `key` for `api`: written by the gateway worker, read by the
/// handover worker.
pub fn health_storage_key(key: &GatewayKey, api: ApiId) -> Vec<u8> {
	(b"baton/health/", key, api).encode()
}

/// The block the operator-staking worker last sent `key`'s heartbeat in.
pub fn heartbeat_storage_key(key: &GatewayKey) -> Vec<u8> {
	(b"baton/heartbeat/", key).encode()
}

/// The next nonce this node signs with as `account` ([`crate::offchain::LocalNonce`]).
pub fn nonce_storage_key<AccountId: Encode>(account: &AccountId) -> Vec<u8> {
	(b"baton/nonce/", account).encode()
}

/// The lock held while a nonce of `account` is taken.
pub fn nonce_lock_key<AccountId: Encode>(account: &AccountId) -> Vec<u8> {
	(b"baton/nonce-lock/", account).encode()
}

/// [`crate::ExecutionSample`]s the gateway worker leaves for the node's Prometheus metrics,
/// which drain them.
pub const EXECUTION_SAMPLES_KEY: &[u8] = b"baton/metrics/samples";

/// The [`crate::ServedVoucher`] of `operator` in relay session `session_id`: written by the
/// node's relay endpoint before it answers each call, read by the relay pallet's worker, which
/// claims it. The endpoint removes it once the session is gone from the chain.
pub fn relay_voucher_key<AccountId: Encode>(
	session_id: SessionId,
	operator: &AccountId,
) -> Vec<u8> {
	(b"baton/relay-voucher/", session_id, operator).encode()
}

/// The (session, operator) pairs that have a [`relay_voucher_key`] record, as a SCALE
/// `Vec<(SessionId, AccountId)>`: written by the relay endpoint only, read by the relay worker.
pub const RELAY_VOUCHER_INDEX_KEY: &[u8] = b"baton/relay-voucher-index/";

/// The calls the relay worker last claimed for `operator` in `session_id` and the block it
/// sent the claim in, so that it sends a claim again only when the last one has not landed.
pub fn relay_claim_storage_key<AccountId: Encode>(
	session_id: SessionId,
	operator: &AccountId,
) -> Vec<u8> {
	(b"baton/relay-claim/", session_id, operator).encode()
}
