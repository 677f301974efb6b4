//! The runtime APIs behind the `gateway_*` RPC methods, and the views they serve: operators,
//! requests with their reports and handovers, winning results and prices.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use scale_info::TypeInfo;

use crate::{
	ApiId, Checkpoint, GatewayKey, HandoverReason, ReputationView, RequestId, RequestStatus,
	ResultStatus,
};

/// An operator as clients and routing see it, served by [`OperatorApi`].
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct OperatorView<AccountId, Balance, BlockNumber> {
	/// The operator's account.
	pub operator: AccountId,
	/// The ed25519 key its node signs with.
	pub gateway_key: GatewayKey,
	/// Stake bonded.
	pub bonded: Balance,
	/// Stake unbonding: (amount, block it unlocks at).
	pub unbonding: alloc::vec::Vec<(Balance, BlockNumber)>,
	/// Whether routing may give it work now.
	pub available: bool,
	/// Whether it chose to be active (not chilled).
	pub active: bool,
	/// Whether its heartbeats are on time.
	pub online: bool,
	/// Block of its last heartbeat.
	pub last_heartbeat: BlockNumber,
	/// Jailed until this block, if jailed.
	pub jailed_until: Option<BlockNumber>,
	/// Concurrent requests it may take: declared capacity limited by stake.
	pub capacity: u32,
	/// Declared endpoint URL.
	pub endpoint: alloc::vec::Vec<u8>,
	/// Declared region code.
	pub region: [u8; 2],
	/// APIs it serves.
	pub apis: alloc::vec::Vec<ApiId>,
	/// Its reputation over all APIs.
	pub reputation: ReputationView,
}

sp_api::decl_runtime_apis! {
	/// Operators and their reputation, for wallets, dashboards and the `gateway_operators` RPC.
	pub trait OperatorApi<AccountId, Balance, BlockNumber>
	where
		AccountId: codec::Codec,
		Balance: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// One operator, if bonded.
		fn operator(who: AccountId) -> Option<OperatorView<AccountId, Balance, BlockNumber>>;
		/// The bonded operators that declared they serve `api` (their number is bounded by the
		/// runtime).
		fn operators(api: ApiId) -> alloc::vec::Vec<OperatorView<AccountId, Balance, BlockNumber>>;
	}
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
	/// Backups armed beside assigned operators that had not reported by the end of the backup
	/// grace, as (backup, the operator it is armed beside).
	pub armed: Vec<(AccountId, AccountId)>,
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
	/// blake2-256 of the body; for a response sealed to the client,
	/// [`crate::sealing::sealed_response_hash`] of `plaintext_hash` and the sealed body's hash.
	pub response_hash: [u8; 32],
	/// ed25519 signature by `gateway_key` over [`receipt_message`].
	pub signature: [u8; 64],
	/// For a response sealed to the client: blake2-256 of the plaintext body.
	pub plaintext_hash: Option<[u8; 32]>,
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

/// One handover, as clients see it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct HandoverView<AccountId, BlockNumber> {
	/// The operator that gave the request up.
	pub from: AccountId,
	/// The operator that took it over.
	pub to: AccountId,
	/// Why.
	pub reason: HandoverReason,
	/// Block of the handover.
	pub block: BlockNumber,
	/// The checkpoint of a voluntary (or fraudulent) handover.
	pub checkpoint: Option<Checkpoint>,
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
		/// A registered API, as the relay endpoint calls it.
		fn api(api_id: ApiId) -> Option<ApiView<AccountId, Balance>>;
		/// API `api_id`'s secret sealed to `operator`, with what it is bound to: for the relay
		/// endpoint, whose egress client opens it.
		fn api_secret(api_id: ApiId, operator: AccountId) -> Option<crate::sealing::SealedSecret>;
	}
}

/// A registered API, as the relay endpoint reads it to call the upstream.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ApiView<AccountId, Balance> {
	/// Who registered it.
	pub owner: AccountId,
	/// Whether new requests and sessions are refused.
	pub paused: bool,
	/// Where calls go; a call's path is appended to it.
	pub base_url: Vec<u8>,
	/// The methods clients may use, upper-case (`GET`).
	pub methods: Vec<Vec<u8>>,
	/// Paid to an operator per call.
	pub price_per_call: Balance,
	/// Longest response body an operator fetches, in bytes.
	pub max_response_bytes: u32,
	/// How long an operator waits for the upstream, in milliseconds.
	pub timeout_ms: u32,
	/// Longest request body the chain takes, in bytes.
	pub max_body_bytes: u32,
}

/// One of a relay session's operators, as clients and the relay endpoint see it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct SessionOperatorView<AccountId> {
	/// The operator.
	pub operator: AccountId,
	/// The key its receipts are signed with, while it is bonded.
	pub gateway_key: Option<GatewayKey>,
	/// Calls it has been paid for.
	pub claimed_calls: u64,
}

/// A relay session, as `relay_session` serves it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct RelaySessionView<AccountId, Balance, BlockNumber> {
	/// The session's id.
	pub id: crate::SessionId,
	/// Who opened it and pays.
	pub client: AccountId,
	/// The API called.
	pub api_id: ApiId,
	/// Paid to the operator per call.
	pub price_per_call: Balance,
	/// Paid to the treasury per call.
	pub protocol_fee: Balance,
	/// What each operator may be paid at most, protocol fees included.
	pub allowance: Balance,
	/// Its operators, in the order routing ranked them.
	pub operators: Vec<SessionOperatorView<AccountId>>,
	/// Block it opened in.
	pub opened_at: BlockNumber,
	/// Last block its calls are served in.
	pub expires_at: BlockNumber,
	/// Block it closed in, once closed.
	pub closed_at: Option<BlockNumber>,
	/// Last block claims are taken in, once closed.
	pub claims_until: Option<BlockNumber>,
}

sp_api::decl_runtime_apis! {
	/// Relay sessions, for the `relay_*` RPC methods and the node's relay endpoint.
	pub trait RelayApi<AccountId, Balance, BlockNumber>
	where
		AccountId: codec::Codec,
		Balance: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// A session, until it settles.
		fn session(id: crate::SessionId) -> Option<RelaySessionView<AccountId, Balance, BlockNumber>>;
		/// A client's sessions, until they settle (a client's open sessions are bounded by
		/// what it can hold in escrow).
		fn sessions(client: AccountId) -> Vec<RelaySessionView<AccountId, Balance, BlockNumber>>;
	}
}
