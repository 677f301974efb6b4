//! What clients, the node and the gateway pallet share about requests: result statuses, the
//! signed receipt, where response bodies live offchain, and the gateway runtime API.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{ApiId, GatewayKey, RequestId};

/// What an operator's node got from the upstream API.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum ResultStatus {
	/// The upstream answered with this HTTP status code and a UTF-8 body within the size cap.
	Response { code: u16 },
	/// The upstream did not answer within the API's timeout.
	Timeout,
	/// The upstream could not be reached (connection or protocol error).
	Unreachable,
	/// The body was larger than the API's `max_response_bytes`.
	TooLarge,
	/// The body was not valid UTF-8.
	NotUtf8,
	/// The node's egress policy refused the destination (a loopback, private, link-local or
	/// other non-public address). Never an offence: the API, not the operator, is at fault.
	Forbidden,
}

impl ResultStatus {
	/// Whether the upstream gave an answer that can be paid for.
	pub fn is_response(&self) -> bool {
		matches!(self, ResultStatus::Response { .. })
	}
}

/// The bytes an operator's gateway key signs for a result: the SCALE encoding of
/// `("baton/receipt", genesis_hash, request_id, request_hash, response_hash, status, operator)`
/// (the tag is 13 raw bytes, the hashes 32 each). Bound to the chain (its genesis hash) and to
/// what was asked (the request's content hash), a receipt cannot be replayed on another chain,
/// nor for another request that got the same id on another fork. A client holding the
/// operator's gateway key can check a receipt with these bytes alone.
pub fn receipt_message<AccountId: Encode, Hash: Encode>(
	genesis_hash: &Hash,
	request_id: RequestId,
	request_hash: &[u8; 32],
	response_hash: &[u8; 32],
	status: &ResultStatus,
	operator: &AccountId,
) -> Vec<u8> {
	(b"baton/receipt", genesis_hash, request_id, request_hash, response_hash, status, operator)
		.encode()
}

/// The `Idempotency-Key` every operator sends upstream for a request: its id and the first 8
/// bytes of its content hash in hex, e.g. `42-0123456789abcdef`. The same on every operator and
/// every retry, so an upstream that honours it executes a call once; different for two requests
/// that got the same id on two forks.
pub fn idempotency_key(request_id: RequestId, request_hash: &[u8; 32]) -> alloc::string::String {
	use core::fmt::Write;
	let mut key = alloc::format!("{request_id}-");
	for byte in &request_hash[..8] {
		let _ = write!(key, "{byte:02x}");
	}
	key
}

/// The genesis hash of the chain the runtime runs on, which receipts and checkpoints bind:
/// frame-system records it as block 0's hash when block 1 begins.
pub fn genesis_hash<T: frame_system::Config>() -> T::Hash {
	frame_system::Pallet::<T>::block_hash(frame_system::pallet_prelude::BlockNumberFor::<T>::from(
		0u32,
	))
}

/// Where a request stands.
#[derive(
	Encode,
	Decode,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum RequestStatus<BlockNumber> {
	/// Waiting for its operators' reports.
	Pending,
	/// Settled with a majority result in block `at`.
	Completed { response_hash: [u8; 32], at: BlockNumber },
	/// Settled without a payable majority in block `at`; the client got its fee back.
	Refunded { at: BlockNumber },
}

/// One operator's report, as clients see it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ReportView<AccountId, BlockNumber> {
	/// The operator that reported.
	pub operator: AccountId,
	/// What it got upstream.
	pub status: ResultStatus,
	/// blake2-256 of the body it got.
	pub response_hash: [u8; 32],
	/// Milliseconds its upstream call took.
	pub latency_ms: u32,
	/// Block the report landed in.
	pub at: BlockNumber,
}

/// A request, as the `gateway_request` RPC serves it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct RequestView<AccountId, Balance, BlockNumber> {
	/// The request's id.
	pub id: RequestId,
	/// The API called.
	pub api_id: ApiId,
	/// Who submitted and pays.
	pub client: AccountId,
	/// HTTP method, e.g. `GET`.
	pub method: Vec<u8>,
	/// Path and query appended to the API's base URL.
	pub path: Vec<u8>,
	/// The hash of its content, which receipts bind (the gateway pallet's README gives the
	/// bytes hashed).
	pub request_hash: [u8; 32],
	/// Operators that execute it.
	pub assigned: Vec<AccountId>,
	/// Operators next in line, in order.
	pub backups: Vec<AccountId>,
	/// Reports received so far.
	pub reports: Vec<ReportView<AccountId, BlockNumber>>,
	/// Fee held in escrow at submission.
	pub fee: Balance,
	/// Block it was submitted in.
	pub submitted_at: BlockNumber,
	/// Last block a report is taken in.
	pub deadline: BlockNumber,
	/// Where it stands.
	pub status: RequestStatus<BlockNumber>,
	/// Its handovers, oldest first.
	pub handovers: Vec<crate::HandoverView<AccountId, BlockNumber>>,
}

/// The winning result of a completed request, as `gateway_response` serves it (the body
/// comes from the node's offchain index).
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ResponseView<AccountId> {
	/// The operator whose report is served.
	pub operator: AccountId,
	/// The content hash of the request, which the receipt binds.
	pub request_hash: [u8; 32],
	/// The key that signed the receipt.
	pub gateway_key: GatewayKey,
	/// What it got upstream.
	pub status: ResultStatus,
	/// blake2-256 of the body.
	pub response_hash: [u8; 32],
	/// ed25519 signature by `gateway_key` over [`receipt_message`].
	pub signature: [u8; 64],
}

/// What a request costs.
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub struct Quote<Balance> {
	/// Paid to each operator in the majority.
	pub price_per_operator: Balance,
	/// Paid to the treasury.
	pub protocol_fee: Balance,
	/// Held in escrow at submission: price × redundancy + protocol fee.
	pub total: Balance,
	/// Operators that may be assigned now.
	pub eligible_operators: u32,
}

/// Why a quote cannot be given.
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum QuoteError {
	/// No API has this id.
	UnknownApi,
	/// The API is paused.
	ApiPaused,
	/// Redundancy is zero or above what the runtime or the eligible operators allow.
	InvalidRedundancy,
}

sp_api::decl_runtime_apis! {
	/// Requests, results and prices, for the `gateway_*` RPC methods.
	pub trait GatewayApi<AccountId, Balance, BlockNumber>
	where
		AccountId: codec::Codec,
		Balance: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// A request, while it is kept (finished requests are pruned after a retention period).
		fn request(id: RequestId) -> Option<RequestView<AccountId, Balance, BlockNumber>>;
		/// The winning result of a completed request.
		fn response(id: RequestId) -> Option<ResponseView<AccountId>>;
		/// What a request to `api_id` with `redundancy` operators costs now.
		fn quote(api_id: ApiId, redundancy: u32) -> Result<Quote<Balance>, QuoteError>;
	}
}

/// Samples kept at most until the node drains them; older ones are dropped first.
pub const MAX_EXECUTION_SAMPLES: usize = 4_096;

/// One upstream call made by an offchain worker.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub struct ExecutionSample {
	/// How it ended.
	pub status: ResultStatus,
	/// Milliseconds it took.
	pub latency_ms: u32,
}

impl ResultStatus {
	/// A short name for metrics labels: `response`, `timeout`, `unreachable`, `too_large`,
	/// `not_utf8`, `forbidden`.
	pub fn label(&self) -> &'static str {
		match self {
			ResultStatus::Response { .. } => "response",
			ResultStatus::Timeout => "timeout",
			ResultStatus::Unreachable => "unreachable",
			ResultStatus::TooLarge => "too_large",
			ResultStatus::NotUtf8 => "not_utf8",
			ResultStatus::Forbidden => "forbidden",
		}
	}
}
