//! A relay session as the chain keeps it.

pub use baton_primitives::{RelayFault, SignedRelayReceipt, Voucher};

use baton_primitives::{ApiId, CallPrice, SessionId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;

/// One of a session's operators and what it has claimed so far.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct SessionOperator<AccountId> {
	/// The operator.
	pub operator: AccountId,
	/// Calls it has been paid for.
	pub claimed_calls: u64,
	/// Whether a challenge of one of its receipts in the session was upheld: it committed
	/// `WrongResult` in the session, which counts once.
	pub proven_wrong: bool,
}

/// A challenge being settled: a receipt the settled request re-executing its call will uphold
/// or refute.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Challenge<AccountId> {
	/// The session the receipt is of.
	pub session_id: SessionId,
	/// The call's sequence number.
	pub sequence: u64,
	/// The operator whose gateway key signed the receipt.
	pub operator: AccountId,
	/// Who challenged it, and pays for the re-execution.
	pub challenger: AccountId,
	/// What the receipt's answer is compared by: its status and body, the API's ignored fields
	/// dropped.
	pub answer_key: [u8; 32],
}

/// How the settled request re-executing a challenged call settled, kept until the block's hook
/// gives the challenge its verdict.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct RerunOutcome<Balance> {
	/// The key its payable majority's results share; none if it was refunded.
	pub majority: Option<[u8; 32]>,
	/// What the challenger paid for it.
	pub paid: Balance,
}

/// How a challenge settled.
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
pub enum Verdict {
	/// The re-execution's majority answered otherwise: the operator committed `WrongResult`,
	/// and its slash pays the challenger back its fee and the reward share.
	Upheld,
	/// The majority answered as the receipt did: the receipt stands, the challenger paid.
	Rejected,
	/// No payable majority: nothing is proven, and the challenger got its fee back.
	Inconclusive,
}

/// A relay receipt and the body it vouches for: what a challenge puts on-chain.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxBody))]
pub struct AnsweredReceipt<MaxBody: Get<u32>> {
	/// The receipt and its gateway key's signature.
	pub signed: SignedRelayReceipt,
	/// The body answered, which hashes to the receipt's response hash.
	pub body: BoundedVec<u8, MaxBody>,
}

/// Where a session stands.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum SessionStatus<BlockNumber> {
	/// Calls are served until `expires_at`.
	Open,
	/// Closed (by its client, or when it expired) in block `at`: claims are taken until
	/// `at + ClaimWindow`, then the rest is refunded and the session is removed.
	Closed { at: BlockNumber },
}

/// A relay session.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
#[scale_info(skip_type_params(MaxOperators))]
pub struct Session<AccountId, Balance, BlockNumber, MaxOperators: Get<u32>> {
	/// Who opened it and pays.
	pub client: AccountId,
	/// The API called.
	pub api_id: ApiId,
	/// What one call costs, fixed at opening.
	pub price: CallPrice<Balance>,
	/// What each operator may be paid at most, protocol fees included.
	pub allowance: Balance,
	/// Its operators, in the order routing ranked them.
	pub operators: BoundedVec<SessionOperator<AccountId>, MaxOperators>,
	/// Block it opened in.
	pub opened_at: BlockNumber,
	/// Last block its calls are served in.
	pub expires_at: BlockNumber,
	/// Where it stands.
	pub status: SessionStatus<BlockNumber>,
}

/// What the pallet does in a block's hook for a session.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum AgendaTask {
	/// The session's last block passed: it closes.
	Expire,
	/// The claim window passed: the rest is refunded and the session removed.
	Settle,
}

/// One handover a session's client made: from which operator to which, at which call, why.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct RelayHandover<AccountId> {
	/// The operator the client left.
	pub from: AccountId,
	/// The operator it sent the call to instead.
	pub to: AccountId,
	/// The call's sequence number.
	pub sequence: u64,
	/// Why.
	pub cause: RelayFault,
}

/// How one operator served the session, as its client saw it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct OperatorOutcome<AccountId> {
	/// The operator.
	pub operator: AccountId,
	/// Calls it failed (the client had to send them elsewhere).
	pub failed_calls: u64,
	/// Its typical latency, in milliseconds (capped at the API's timeout).
	pub latency_ms: u32,
}

/// What a client reports when it closes its session: its handovers, oldest first, and how
/// each operator served. Bounded: at most `MaxHandovers` handovers and one outcome per
/// operator.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxOperators, MaxHandovers))]
pub struct SessionReport<
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxOperators: Get<u32>,
	MaxHandovers: Get<u32>,
> {
	/// The handovers, by sequence number.
	pub handovers: BoundedVec<RelayHandover<AccountId>, MaxHandovers>,
	/// One outcome per operator the client has one for.
	pub outcomes: BoundedVec<OperatorOutcome<AccountId>, MaxOperators>,
}

impl<
		AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
		MaxOperators: Get<u32>,
		MaxHandovers: Get<u32>,
	> Default for SessionReport<AccountId, MaxOperators, MaxHandovers>
{
	fn default() -> Self {
		Self { handovers: BoundedVec::new(), outcomes: BoundedVec::new() }
	}
}

impl<
		AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
		MaxOperators: Get<u32>,
		MaxHandovers: Get<u32>,
	> SessionReport<AccountId, MaxOperators, MaxHandovers>
{
	/// Whether the report says nothing.
	pub fn is_empty(&self) -> bool {
		self.handovers.is_empty() && self.outcomes.is_empty()
	}
}
