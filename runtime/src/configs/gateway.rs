//! Requests: escrow holds the client's fee, the gateway registers APIs, routes requests to
//! operators, takes their signed results and settles.

use frame_support::{
	parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, Randomness},
};
use sp_runtime::Perbill;

use super::{RootOrCouncilTwoThirds, TreasuryAccount, MAX_REQUEST_LIFETIME};
use crate::{
	currency::{deposit, UNIT},
	Balances, BlockNumber, Escrow, Gateway, Handover, Hash, OperatorStaking, Relay, Reputation,
	Runtime, RuntimeHoldReason, Slashing, System,
};

impl pallet_escrow::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Routing's randomness: the parent block's hash mixed with the subject. Anyone can
/// reproduce a routing decision from the chain; the block author could grind its block to
/// steer the choice a little, which stake-weighted reputation and slashing make unprofitable.
pub struct ParentHashRandomness;
impl Randomness<Hash, BlockNumber> for ParentHashRandomness {
	fn random(subject: &[u8]) -> (Hash, BlockNumber) {
		let parent = System::parent_hash();
		let mixed = sp_io::hashing::blake2_256(&[parent.as_ref(), subject].concat());
		(mixed.into(), System::block_number().saturating_sub(1))
	}
}

/// The longest response body an API may declare, in bytes: also the longest answer a relay
/// challenge carries.
pub const MAX_RESPONSE_LEN: u32 = 16_384;

parameter_types! {
	pub const ProtocolFee: Perbill = Perbill::from_percent(10);
}

impl pallet_gateway::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Escrow = Escrow;
	type Operators = OperatorStaking;
	type Reputation = Reputation;
	type Offences = Slashing;
	type Handovers = Handover;
	// Challenges of relay receipts are requests: the relay pallet hears how they settle.
	type OnSettled = Relay;
	type Randomness = ParentHashRandomness;
	type AuthorityId = baton_primitives::crypto::GatewayAuthId;
	type GovernanceOrigin = RootOrCouncilTwoThirds;
	type Treasury = TreasuryAccount;
	type ProtocolFee = ProtocolFee;
	type ApiDeposit = ConstU128<{ deposit(1, 1_024) }>;
	type StakeUnit = ConstU128<{ 1_000 * UNIT }>;
	type MaxUrlLen = ConstU32<256>;
	type MaxPathLen = ConstU32<1_024>;
	type MaxHeaders = ConstU32<16>;
	type MaxHeaderLen = ConstU32<256>;
	type MaxBodyLen = ConstU32<4_096>;
	type MaxResponseLen = ConstU32<MAX_RESPONSE_LEN>;
	type MaxIgnoredFields = ConstU32<8>;
	type MaxRedundancy = ConstU32<5>;
	type MaxBackups = ConstU32<3>;
	type MaxCandidates = ConstU32<64>;
	// 5 blocks: a deadline must leave the whole timeout and a block for the report, within
	// `MaxDeadline`, and a successor the same again within the lifetime.
	type MaxTimeoutMs = ConstU32<15_000>;
	type MinDeadline = ConstU32<2>;
	// Half the lifetime: the other half is for handovers.
	type MaxDeadline = ConstU32<{ MAX_REQUEST_LIFETIME / 2 }>;
	type MaxLifetime = ConstU32<MAX_REQUEST_LIFETIME>;
	type HandoverMargin = ConstU32<2>;
	type MillisPerBlock = ConstU64<{ crate::time::MILLI_SECS_PER_BLOCK }>;
	type Retention = ConstU32<{ 10 * crate::time::MINUTES }>;
	// Up to 256 prunings (≈ 45 ms of weight) keep up with the most requests a block completes;
	// 64 expiries (≈ 110 ms) are the dearer kind.
	type MaxTasksPerBlock = ConstU32<256>;
	type MaxExpiriesPerBlock = ConstU32<64>;
	// Requests of one block that arm backups at the end of their grace; each block is charged
	// for arming theirs whether they are needed or not, as it cannot tell until its end.
	type MaxHedgesPerBlock = ConstU32<256>;
	type MaxExecutionsPerBlock = ConstU32<128>;
	// At most two report transactions per operator and block; the largest (64 bodies of 16 KiB)
	// stays far below a block's length.
	type MaxReportsPerCall = ConstU32<64>;
	// A full batch of the largest requests (64 × 14 KiB) stays far below a block's length.
	type MaxRequestsPerCall = ConstU32<64>;
	type MaxSecretHolders = ConstU32<64>;
	type WeightInfo = pallet_gateway::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::BenchmarkOperators;
}

/// Operators serving an API for the gateway benchmarks, bonded through operator staking.
#[cfg(feature = "runtime-benchmarks")]
impl pallet_gateway::BenchmarkHelper<crate::AccountId> for super::BenchmarkOperators {
	fn operator(
		who: &crate::AccountId,
		key: baton_primitives::GatewayKey,
		api: baton_primitives::ApiId,
	) {
		OperatorStaking::bond_for_benchmarks(who, key, &[api]);
	}
}

/// Handovers one request, or one relay session's report, may log.
pub const MAX_HANDOVERS: u32 = 8;

impl pallet_handover::Config for Runtime {
	type Operators = OperatorStaking;
	type Requests = Gateway;
	type AuthorityId = baton_primitives::crypto::GatewayAuthId;
	type MaxHandovers = ConstU32<MAX_HANDOVERS>;
	type WeightInfo = pallet_handover::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::BenchmarkOperators;
}

/// A request assigned to one of two fresh operators, made through the gateway, for the handover
/// benchmark.
#[cfg(feature = "runtime-benchmarks")]
impl pallet_handover::BenchmarkHelper<crate::AccountId> for super::BenchmarkOperators {
	fn assigned_request(
	) -> (baton_primitives::RequestId, crate::AccountId, baton_primitives::GatewayKey) {
		pallet_gateway::benchmarking::assigned_request::<Runtime>()
	}
}
