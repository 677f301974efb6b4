//! Requests: escrow holds the client's fee, the gateway registers APIs, routes requests to
//! operators, takes their signed results and settles.

use frame_support::{
	parameter_types,
	traits::{ConstU128, ConstU32, Randomness},
};
use sp_runtime::Perbill;

use super::{RootOrCouncilTwoThirds, TreasuryAccount, MAX_REQUEST_LIFETIME};
use crate::{
	currency::{deposit, UNIT}, Balances, BlockNumber, Escrow, Hash, OperatorStaking, Reputation,
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
	type MaxResponseLen = ConstU32<16_384>;
	type MaxIgnoredFields = ConstU32<8>;
	type MaxRedundancy = ConstU32<5>;
	type MaxBackups = ConstU32<3>;
	type MaxCandidates = ConstU32<64>;
	type MaxTimeoutMs = ConstU32<30_000>;
	type MinDeadline = ConstU32<2>;
	type MaxDeadline = ConstU32<MAX_REQUEST_LIFETIME>;
	type Retention = ConstU32<{ 10 * crate::time::MINUTES }>;
	type MaxTasksPerBlock = ConstU32<64>;
	type MaxExecutionsPerBlock = ConstU32<128>;
	type WeightInfo = pallet_gateway::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::BenchmarkOperators;
}

/// Operators serving an API for the gateway benchmarks, bonded through operator staking.
#[cfg(feature = "runtime-benchmarks")]
impl pallet_gateway::BenchmarkHelper<crate::AccountId> for super::BenchmarkOperators {
	fn operator(who: &crate::AccountId, key: baton_primitives::GatewayKey, api: baton_primitives::ApiId) {
		use frame_support::traits::fungible::Mutate;
		let params = pallet_operator_staking::Params::<Runtime>::get();
		let stake = params.min_bond.saturating_mul(16);
		let _ = Balances::mint_into(who, stake.saturating_mul(2));
		let _ = Balances::mint_into(&OperatorStaking::key_account(&key), UNIT);
		let profile = pallet_operator_staking::Profile {
			endpoint: b"https://operator.example".to_vec().try_into().expect("fits"),
			region: *b"DE",
			capacity: 1_000,
			apis: alloc::vec![api].try_into().expect("one API fits"),
		};
		OperatorStaking::bond(crate::RuntimeOrigin::signed(who.clone()), stake, key, profile)
			.expect("a funded account can bond");
	}
}
