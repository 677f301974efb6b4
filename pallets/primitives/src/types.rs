//! The values Baton's pallets, the node and clients pass around: ids, what an upstream call
//! returned, where a request stands, offences, reputation and handovers.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::Perbill;

/// Identifies a registered API.
pub type ApiId = u32;

/// The ed25519 public key an operator's node signs with (key type `gate`).
pub type GatewayKey = [u8; 32];

/// An ed25519 signature by a gateway key over [`key_ownership_message`]: an operator's proof,
/// at `bond`, that it holds the key it binds.
pub type KeyProof = [u8; 64];

/// Identifies a client request; also the id of the escrow that pays for it.
pub type RequestId = u64;

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

/// What an operator did wrong.
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
	PartialOrd,
	Ord,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum OffenceKind {
	/// Let a request's deadline pass without a result (abandoned it).
	MissedDeadline,
	/// Missed too many heartbeats in a row.
	Offline,
	/// Reported a result that a quorum of other operators outvoted.
	WrongResult,
	/// Handed a request over with a checkpoint that does not verify.
	InvalidCheckpoint,
	/// Reported two different results for one request.
	Equivocation,
}

impl OffenceKind {
	/// Every kind, in declaration order.
	pub const ALL: [OffenceKind; 5] = [
		OffenceKind::MissedDeadline,
		OffenceKind::Offline,
		OffenceKind::WrongResult,
		OffenceKind::InvalidCheckpoint,
		OffenceKind::Equivocation,
	];
}

/// What an offence is about: a request id, or for `Offline` the block of the last heartbeat.
/// Together with the kind and the offender it makes an offence unique.
pub type OffenceSubject = [u8; 32];

/// Why an offence report was not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum OffenceError {
	/// This (kind, subject, offender) was reported before.
	Duplicate,
	/// The offender is not a bonded operator.
	UnknownOffender,
}

/// An operator that may be given work, as routing sees it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Candidate<Balance> {
	/// Stake bonded.
	pub bonded: Balance,
	/// Concurrent requests it may take.
	pub capacity: u32,
	/// The key its node signs with.
	pub gateway_key: GatewayKey,
	/// Whether it published an encryption key, so that sealed requests may go to it.
	pub has_encryption_key: bool,
}

/// An outcome of a request for one operator, fed to reputation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
	/// Its result was in the majority; `latency_ms` is what it reported.
	Completed { latency_ms: u32 },
	/// Its result was outvoted, missing or a failure.
	Failed,
	/// It handed the request over to another operator.
	HandedOver,
	/// It took the request over from another operator.
	TookOver,
}

/// A Beta(α, β) success score and latency, as routing reads them.
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ReputationView {
	/// Success evidence α (including the prior), in millionths.
	pub alpha_micros: u64,
	/// Failure evidence β (including the prior), in millionths.
	pub beta_micros: u64,
	/// Mean of the Beta distribution: α / (α + β).
	pub score: Perbill,
	/// Moving average of reported latency, in milliseconds; 0 before any result.
	pub latency_ms: u32,
}

/// Why a request passed from one operator to another.
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
pub enum HandoverReason {
	/// The operator did not report by the deadline.
	Timeout,
	/// The operator gave the request away on purpose, with a valid checkpoint.
	Voluntary,
	/// The operator did not report by the deadline and was marked offline.
	Offline,
	/// The operator gave the request away with a checkpoint that does not verify.
	Fraud,
	/// A relay session's client moved from the operator to another at call `sequence`, for
	/// `cause`, as its close report says.
	Relay { sequence: u64, cause: RelayFault },
}

/// Why a relay client moved a call to another operator.
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
pub enum RelayFault {
	/// It had not answered when the client hedged.
	Late,
	/// The connection failed, or its endpoint answered with a 5xx.
	Failed,
	/// Its receipt did not verify.
	BadReceipt,
}

/// An operator's progress on a request when it hands it over, signed with its gateway key.
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
)]
pub struct Checkpoint {
	/// Steps done: 0 = the upstream was not called; 1 = it was called (with the request's
	/// idempotency key) but no result was reported.
	pub completed_steps: u32,
	/// blake2-256 of the partial state: of what the upstream answered so far (empty if nothing).
	pub state_hash: [u8; 32],
	/// The content hash of the request the progress was made on: the successor resumes that
	/// request, with the same `Idempotency-Key`, and no other that got the same id.
	pub request_hash: [u8; 32],
	/// ed25519 signature by the operator's gateway key over [`checkpoint_message`].
	pub signature: [u8; 64],
}

/// A request an operator holds, as its node's handover worker sees it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct OpenAssignment {
	/// The request.
	pub request_id: RequestId,
	/// Its content hash.
	pub request_hash: [u8; 32],
	/// Its API, whose health decides whether the node hands it over.
	pub api_id: crate::ApiId,
	/// Its upstream timeout in ms.
	pub timeout_ms: u32,
}

/// Identifies a relay session.
pub type SessionId = u64;

/// The escrow that holds relay session `id`'s allowances: the id with its top bit set, so that
/// it never meets a request's escrow (request ids count up from 0).
pub const fn session_escrow(id: SessionId) -> RequestId {
	id | 1 << 63
}

/// What one relayed call costs a session's client, fixed when the session opens: the API's
/// price for the operator and the protocol fee on top for the treasury.
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
)]
pub struct CallPrice<Balance> {
	/// Paid to the operator that served the call.
	pub operator: Balance,
	/// Paid to the treasury.
	pub protocol_fee: Balance,
}

impl<Balance: sp_runtime::Saturating + Copy> CallPrice<Balance> {
	/// What one call costs the client: the operator's price and the protocol fee.
	pub fn per_call(&self) -> Balance {
		self.operator.saturating_add(self.protocol_fee)
	}
}
