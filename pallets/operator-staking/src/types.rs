//! Operators, their profiles and the pallet's parameters.

use baton_primitives::{sealing::BoundEncryptionKey, ApiId, GatewayKey};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::{BoundedVec, Get},
	CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;

use crate::{BalanceOf, Config};

/// What an operator declares about itself.
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
#[scale_info(skip_type_params(MaxEndpointLen, MaxApis))]
#[codec(mel_bound())]
pub struct Profile<MaxEndpointLen: Get<u32>, MaxApis: Get<u32>> {
	/// Where its node can be reached: an `http://` or `https://` URL.
	pub endpoint: BoundedVec<u8, MaxEndpointLen>,
	/// Region code: two capital letters (ISO 3166-1 alpha-2, e.g. `DE`).
	pub region: [u8; 2],
	/// Requests it takes at once at most.
	pub capacity: u32,
	/// APIs it serves.
	pub apis: BoundedVec<ApiId, MaxApis>,
	/// The X25519 key clients and API publishers seal secrets to, bound by its gateway key;
	/// none if its node opens no sealed secret. Rotating it is a profile update.
	pub encryption_key: Option<BoundEncryptionKey>,
}

/// The profile type of a runtime.
pub type ProfileOf<T> = Profile<<T as Config>::MaxEndpointLen, <T as Config>::MaxApis>;

/// Stake on its way out.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct UnlockChunk<Balance, BlockNumber> {
	/// Amount unbonding.
	pub value: Balance,
	/// Block from which it can be withdrawn.
	pub unlock_at: BlockNumber,
}

/// Whether an operator wants work.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum OperatorStatus {
	/// Takes new requests (if online and not jailed).
	Active,
	/// Takes no new requests: by choice, for lack of stake, or jailed.
	Chilled,
}

/// A bonded operator.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct Operator<T: Config> {
	/// The ed25519 key its node signs with.
	pub gateway_key: GatewayKey,
	/// Stake bonded.
	pub bonded: BalanceOf<T>,
	/// Stake unbonding, in unlock order.
	pub unbonding: BoundedVec<UnlockChunk<BalanceOf<T>, BlockNumberFor<T>>, T::MaxUnlockingChunks>,
	/// What it declared about itself.
	pub profile: ProfileOf<T>,
	/// Whether it wants work.
	pub status: OperatorStatus,
	/// Whether its heartbeats are on time.
	pub online: bool,
	/// Block of its last heartbeat (or of its bond or activation).
	pub last_heartbeat: BlockNumberFor<T>,
	/// Jailed until this block; `activate` is refused before it.
	pub jailed_until: Option<BlockNumberFor<T>>,
}

impl<T: Config> Operator<T> {
	/// Bonded plus unbonding stake: what a slash can take.
	pub fn total_stake(&self) -> BalanceOf<T> {
		use sp_runtime::traits::Saturating;
		self.unbonding
			.iter()
			.fold(self.bonded, |sum, chunk| sum.saturating_add(chunk.value))
	}
}

/// Parameters governance sets.
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
	Default,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct StakingParams<Balance, BlockNumber> {
	/// Least stake an active operator has bonded.
	pub min_bond: Balance,
	/// Blocks between `unbond` and the funds being withdrawable.
	pub unbonding_period: BlockNumber,
	/// Blocks between two heartbeats.
	pub heartbeat_interval: BlockNumber,
	/// Intervals without a heartbeat after which an operator is offline.
	pub max_missed_heartbeats: u32,
	/// Stake behind each request an operator takes at once.
	pub stake_per_slot: Balance,
}

/// The parameters of a runtime.
pub type StakingParamsOf<T> = StakingParams<BalanceOf<T>, BlockNumberFor<T>>;
