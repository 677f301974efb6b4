//! On-chain governance: the council, the treasury and token-holder referenda.
//!
//! Privileged calls need either Root (a referendum passed on the Root track) or at least two
//! thirds of the council. Sudo exists only for the development chain spec.

use alloc::borrow::Cow;
use frame_support::{
	parameter_types,
	traits::{
		fungible::HoldConsideration,
		tokens::{imbalance::ResolveTo, PayFromAccount, UnityAssetBalanceConversion},
		ConstU128, ConstU32, EitherOf, EitherOfDiverse, EqualPrivilegeOnly, LinearStoragePrice,
		TotalIssuanceOf,
	},
	weights::Weight,
	PalletId,
};
use frame_system::{EnsureRoot, EnsureRootWithSuccess, EnsureSigned, EnsureWithSuccess};
use pallet_referenda::{Curve, Track, TrackInfo};
use pallet_treasury::TreasuryAccountId;
use sp_runtime::{str_array, traits::IdentityLookup, Perbill, Permill};

use super::RuntimeBlockWeights;
use crate::{
	currency::{deposit, UNIT},
	time::DAYS,
	AccountId, Balance, Balances, BlockNumber, OriginCaller, Preimage, Referenda, Runtime,
	RuntimeCall, RuntimeEvent, RuntimeHoldReason, RuntimeOrigin, Scheduler, System, Treasury,
};

/// The council's collective instance.
pub type CouncilCollective = pallet_collective::Instance1;

/// At least two thirds of the council voted for the motion.
pub type CouncilTwoThirds =
	pallet_collective::EnsureProportionAtLeast<AccountId, CouncilCollective, 2, 3>;

/// Root (an enacted referendum) or two thirds of the council: the origin of privileged calls.
pub type RootOrCouncilTwoThirds = EitherOfDiverse<EnsureRoot<AccountId>, CouncilTwoThirds>;

parameter_types! {
	pub const CouncilMotionDuration: BlockNumber = 3 * DAYS;
	pub const CouncilMaxProposals: u32 = 100;
	pub const CouncilMaxMembers: u32 = 100;
	pub MaxCouncilProposalWeight: Weight = Perbill::from_percent(50) * RuntimeBlockWeights::get().max_block;
}

impl pallet_collective::Config<CouncilCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = CouncilMotionDuration;
	type MaxProposals = CouncilMaxProposals;
	type MaxMembers = CouncilMaxMembers;
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	// Who sits on the council is for token holders to decide.
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxCouncilProposalWeight;
	type DisapproveOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	type Consideration = ();
}

parameter_types! {
	pub const TreasuryPalletId: PalletId = PalletId(*b"bt/trsry");
	pub const SpendPeriod: BlockNumber = DAYS;
	pub const TreasuryBurn: Permill = Permill::zero();
	pub const MaxApprovals: u32 = 100;
	pub const PayoutPeriod: BlockNumber = 30 * DAYS;
	pub TreasuryAccount: AccountId = Treasury::account_id();
	/// The most the council may spend in one motion without a referendum.
	pub const CouncilMaxSpend: Balance = 100_000 * UNIT;
	pub const RootMaxSpend: Balance = Balance::MAX;
}

/// Sends a credit (fees, slashes) to the treasury account.
pub type ResolveToTreasury = ResolveTo<TreasuryAccountId<Runtime>, Balances>;

impl pallet_treasury::Config for Runtime {
	type Currency = Balances;
	type RejectOrigin = RootOrCouncilTwoThirds;
	type RuntimeEvent = RuntimeEvent;
	type SpendPeriod = SpendPeriod;
	type Burn = TreasuryBurn;
	type PalletId = TreasuryPalletId;
	type BurnDestination = ();
	type WeightInfo = pallet_treasury::weights::SubstrateWeight<Runtime>;
	type SpendFunds = ();
	type MaxApprovals = MaxApprovals;
	type SpendOrigin = EitherOf<
		EnsureRootWithSuccess<AccountId, RootMaxSpend>,
		EnsureWithSuccess<CouncilTwoThirds, AccountId, CouncilMaxSpend>,
	>;
	type AssetKind = ();
	type Beneficiary = AccountId;
	type BeneficiaryLookup = IdentityLookup<AccountId>;
	type Paymaster = PayFromAccount<Balances, TreasuryAccount>;
	type BalanceConverter = UnityAssetBalanceConversion;
	type PayoutPeriod = PayoutPeriod;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
	type BlockNumberProvider = System;
}

parameter_types! {
	pub const PreimageBaseDeposit: Balance = deposit(2, 64);
	pub const PreimageByteDeposit: Balance = deposit(0, 1);
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

parameter_types! {
	pub MaximumSchedulerWeight: Weight = Perbill::from_percent(80) * RuntimeBlockWeights::get().max_block;
}

impl pallet_scheduler::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	type ScheduleOrigin = EnsureRoot<AccountId>;
	type OriginPrivilegeCmp = EqualPrivilegeOnly;
	type MaxScheduledPerBlock = ConstU32<50>;
	type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

impl pallet_conviction_voting::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_conviction_voting::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type Polls = Referenda;
	type MaxTurnout = TotalIssuanceOf<Balances, AccountId>;
	type MaxVotes = ConstU32<512>;
	type VoteLockingPeriod = ConstU32<DAYS>;
	type BlockNumberProvider = System;
	type VotingHooks = ();
}

/// The only track: Root, which carries runtime upgrades and every other Root call.
pub const ROOT_TRACK: u16 = 0;

/// Referendum tracks: one, Root, whose periods are the network's (`GovernancePeriods`, set by
/// the chain spec's preset: minutes on a development chain, days on a public one).
pub struct TracksInfo;

impl pallet_referenda::TracksInfo<Balance, BlockNumber> for TracksInfo {
	type Id = u16;
	type RuntimeOrigin = <RuntimeOrigin as frame_support::traits::OriginTrait>::PalletsOrigin;

	fn tracks() -> impl Iterator<Item = Cow<'static, Track<Self::Id, Balance, BlockNumber>>> {
		let periods = crate::governance_periods::Periods::<Runtime>::get();
		core::iter::once(Cow::Owned(Track {
			id: ROOT_TRACK,
			info: TrackInfo {
				name: str_array("root"),
				max_deciding: 1,
				decision_deposit: 100 * UNIT,
				prepare_period: periods.prepare,
				decision_period: periods.decision,
				confirm_period: periods.confirm,
				min_enactment_period: periods.min_enactment,
				min_approval: Curve::LinearDecreasing {
					length: Perbill::from_percent(100),
					floor: Perbill::from_percent(50),
					ceil: Perbill::from_percent(100),
				},
				min_support: Curve::LinearDecreasing {
					length: Perbill::from_percent(100),
					floor: Perbill::from_percent(1),
					ceil: Perbill::from_percent(50),
				},
			},
		}))
	}

	fn track_for(origin: &Self::RuntimeOrigin) -> Result<Self::Id, ()> {
		match frame_system::RawOrigin::try_from(origin.clone()) {
			Ok(frame_system::RawOrigin::Root) => Ok(ROOT_TRACK),
			_ => Err(()),
		}
	}
}

impl crate::governance_periods::Config for Runtime {}

impl pallet_referenda::Config for Runtime {
	type RuntimeCall = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_referenda::weights::SubstrateWeight<Runtime>;
	type Scheduler = Scheduler;
	type Currency = Balances;
	type SubmitOrigin = EnsureSigned<AccountId>;
	type CancelOrigin = RootOrCouncilTwoThirds;
	type KillOrigin = EnsureRoot<AccountId>;
	type Slash = Treasury;
	type Votes = pallet_conviction_voting::VotesOf<Runtime>;
	type Tally = pallet_conviction_voting::TallyOf<Runtime>;
	type SubmissionDeposit = ConstU128<{ 10 * UNIT }>;
	type MaxQueued = ConstU32<100>;
	type UndecidingTimeout = ConstU32<{ 14 * DAYS }>;
	type AlarmInterval = ConstU32<1>;
	type Tracks = TracksInfo;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}
