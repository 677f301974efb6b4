//! Operator economics: stake, slashing and reputation, wired to each other through
//! `baton_primitives` traits.

use frame_support::{
	parameter_types,
	traits::{ConstU32, Get},
};
use sp_runtime::{traits::Convert, AccountId32, Perbill};

use super::{ResolveToTreasury, RootOrCouncilTwoThirds};
use crate::{
	time::DAYS, AccountId, Balances, BlockNumber, OperatorStaking, Runtime, RuntimeHoldReason,
	Slashing,
};

/// Blocks a request can live, all handovers included: the longest a fault can go unnoticed.
pub const MAX_REQUEST_LIFETIME: BlockNumber = 20;

/// A gateway key signs as the account of the same 32 bytes (`MultiSigner::Ed25519`).
pub struct GatewayKeyAccount;
impl Convert<baton_primitives::GatewayKey, AccountId> for GatewayKeyAccount {
	fn convert(key: baton_primitives::GatewayKey) -> AccountId {
		AccountId32::new(key)
	}
}

/// Unbonding must outlast the current slash deferral plus the longest request: read live, so
/// governance cannot shorten one below the other.
pub struct MinUnbondingPeriod;
impl Get<BlockNumber> for MinUnbondingPeriod {
	fn get() -> BlockNumber {
		pallet_slashing::Params::<Runtime>::get()
			.slash_deferral
			.saturating_add(MAX_REQUEST_LIFETIME)
	}
}

/// The longest deferral the current unbonding period allows.
pub struct MaxSlashDeferral;
impl Get<BlockNumber> for MaxSlashDeferral {
	fn get() -> BlockNumber {
		pallet_operator_staking::Params::<Runtime>::get()
			.unbonding_period
			.saturating_sub(MAX_REQUEST_LIFETIME)
	}
}

impl pallet_operator_staking::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type KeyAccount = GatewayKeyAccount;
	type Offences = Slashing;
	type Slashes = Slashing;
	type AuthorityId = baton_primitives::crypto::GatewayAuthId;
	type GovernanceOrigin = RootOrCouncilTwoThirds;
	type MinUnbondingPeriod = MinUnbondingPeriod;
	type MaxOperators = ConstU32<1_000>;
	type MaxUnlockingChunks = ConstU32<16>;
	type MaxEndpointLen = ConstU32<256>;
	type MaxApis = ConstU32<32>;
	type MaxHeartbeatChecks = ConstU32<32>;
	type WeightInfo = pallet_operator_staking::weights::SubstrateWeight<Runtime>;
}

impl pallet_slashing::Config for Runtime {
	type Currency = Balances;
	type Target = OperatorStaking;
	type OnSlash = ResolveToTreasury;
	type GovernanceOrigin = RootOrCouncilTwoThirds;
	type MaxSlashDeferral = MaxSlashDeferral;
	type MaxJail = ConstU32<{ 30 * DAYS }>;
	type OffenceRetention = ConstU32<{ 7 * DAYS }>;
	type MaxSlashesPerBlock = ConstU32<16>;
	type MaxJailedOffences = ConstU32<32>;
	type WeightInfo = pallet_slashing::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkOperators;
}

parameter_types! {
	pub const ReputationDecay: Perbill = Perbill::from_percent(98);
	pub const LatencyWeight: Perbill = Perbill::from_percent(20);
}

impl pallet_reputation::Config for Runtime {
	type Decay = ReputationDecay;
	type LatencyWeight = LatencyWeight;
	type MaxApiRecords = ConstU32<32>;
	type AdminOrigin = RootOrCouncilTwoThirds;
	type WeightInfo = pallet_reputation::weights::SubstrateWeight<Runtime>;
}

/// Bonded operators for the slashing benchmarks, made through operator staking itself.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkOperators;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_slashing::BenchmarkHelper<AccountId> for BenchmarkOperators {
	fn bonded_operator(who: &AccountId) {
		let key = sp_io::crypto::ed25519_generate(baton_primitives::GATEWAY_KEY_TYPE, None).0;
		OperatorStaking::bond_for_benchmarks(who, key, &[]);
	}
}
