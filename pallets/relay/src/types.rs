//! A relay session as the chain keeps it.

pub use baton_primitives::Voucher;

use baton_primitives::{ApiId, CallPrice};
use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::BoundedVec;
use scale_info::TypeInfo;

/// One of a session's operators and what it has claimed so far.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct SessionOperator<AccountId> {
	/// The operator.
	pub operator: AccountId,
	/// Calls it has been paid for.
	pub claimed_calls: u64,
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
pub struct Session<AccountId, Balance, BlockNumber, MaxOperators: frame_support::traits::Get<u32>> {
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
