#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod dispatchables;
mod invariants;
pub mod migrations;
#[cfg(test)]
mod mock;
mod reporting;
mod settling;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

use baton_primitives::{OffenceKind, OffenceSubject, SlashTarget};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{self, Balanced, Credit},
		OnUnbalanced,
	},
};
use frame_system::pallet_prelude::*;
use sp_runtime::Perbill;

/// Balance of the slashed currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// Funds taken by a slash.
pub type CreditOf<T> = Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;
/// A stored offence.
pub type OffenceRecordOf<T> =
	OffenceRecord<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
/// Key of the dedup index.
pub type OffenceKey<T> = (OffenceKind, OffenceSubject, <T as frame_system::Config>::AccountId);

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The layout of this pallet's storage; a change to it comes with a migration that
	/// raises it.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency stake is held in.
		type Currency: Balanced<Self::AccountId>;

		/// Operators' stake: where slashes are taken from and jails recorded.
		type Target: SlashTarget<
			Self::AccountId,
			BlockNumberFor<Self>,
			Balance = BalanceOf<Self>,
			Credit = CreditOf<Self>,
		>;

		/// Receives what a slash takes beyond the beneficiary's share: the treasury.
		type OnSlash: OnUnbalanced<CreditOf<Self>>;

		/// Who may cancel slashes, jail operators and set parameters.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Longest deferral governance may set; unbonding must outlast it.
		#[pallet::constant]
		type MaxSlashDeferral: Get<BlockNumberFor<Self>>;

		/// Longest jail governance may set or impose.
		#[pallet::constant]
		type MaxJail: Get<BlockNumberFor<Self>>;

		/// Blocks an offence record (and with it its dedup entry) is kept after its report.
		#[pallet::constant]
		type OffenceRetention: Get<BlockNumberFor<Self>>;

		/// Offences looked at for a due slash, and records pruned, in one block at most; a
		/// backlog waits for the next blocks.
		#[pallet::constant]
		type MaxSlashesPerBlock: Get<u32>;

		/// Pending offences per operator whose jail cancelling them lifts one by one; the jails
		/// of further ones stay whatever is cancelled.
		#[pallet::constant]
		type MaxJailedOffences: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Makes bonded operators for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Reward share and deferral of every slash.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, SlashingParams<BlockNumberFor<T>>, ValueQuery>;

	/// Slash fraction and jail duration of each kind of offence.
	#[pallet::storage]
	pub type Penalties<T: Config> =
		StorageMap<_, Twox64Concat, OffenceKind, Penalty<BlockNumberFor<T>>, ValueQuery>;

	/// Reported offences that are not yet pruned.
	#[pallet::storage]
	pub type Offences<T: Config> = StorageMap<_, Twox64Concat, OffenceId, OffenceRecordOf<T>>;

	/// The offence reported for each (kind, subject, offender): reports count once.
	#[pallet::storage]
	pub type OffenceIndex<T: Config> = StorageMap<_, Blake2_128Concat, OffenceKey<T>, OffenceId>;

	/// Id of the next offence reported.
	#[pallet::storage]
	pub type NextOffenceId<T> = StorageValue<_, OffenceId, ValueQuery>;

	/// First offence whose slash may still be pending.
	#[pallet::storage]
	pub type NextToApply<T> = StorageValue<_, OffenceId, ValueQuery>;

	/// First offence record not yet pruned.
	#[pallet::storage]
	pub type NextToPrune<T> = StorageValue<_, OffenceId, ValueQuery>;

	/// Slashes neither applied nor cancelled yet.
	#[pallet::storage]
	pub type PendingSlashes<T> = StorageValue<_, u32, ValueQuery>;

	/// Operators with slashes still to land, and what keeps them jailed: their stake cannot be
	/// withdrawn until then.
	#[pallet::storage]
	pub type Offenders<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, PendingOffender<T>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Reward share and deferral.
		pub params: SlashingParams<BlockNumberFor<T>>,
		/// Slash fraction and jail duration per kind; kinds not listed cost nothing.
		pub penalties: alloc::vec::Vec<(OffenceKind, Penalty<BlockNumberFor<T>>)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(self.params.slash_deferral <= T::MaxSlashDeferral::get(), "deferral too long");
			Params::<T>::put(self.params);
			for (kind, penalty) in &self.penalties {
				assert!(penalty.jail <= T::MaxJail::get(), "jail too long");
				Penalties::<T>::insert(kind, penalty);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An offence was reported; its slash is applied at `apply_at` unless cancelled.
		OffenceReported {
			offence_id: OffenceId,
			kind: OffenceKind,
			subject: OffenceSubject,
			offender: T::AccountId,
			slash: Perbill,
			apply_at: BlockNumberFor<T>,
		},
		/// A slash was applied: `amount` taken, split between the beneficiary and the treasury.
		Slashed {
			offence_id: OffenceId,
			offender: T::AccountId,
			amount: BalanceOf<T>,
			beneficiary: Option<T::AccountId>,
			to_beneficiary: BalanceOf<T>,
			to_treasury: BalanceOf<T>,
		},
		/// Governance cancelled a pending slash.
		SlashCancelled { offence_id: OffenceId },
		/// Governance set what a kind of offence costs.
		PenaltySet { kind: OffenceKind, penalty: Penalty<BlockNumberFor<T>> },
		/// Governance set the reward share and deferral.
		ParamsSet { params: SlashingParams<BlockNumberFor<T>> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No offence with this id (never reported, or pruned).
		UnknownOffence,
		/// The slash was already applied or cancelled.
		NotPending,
		/// The jail is longer than `MaxJail` or zero.
		InvalidJail,
		/// The deferral is longer than `MaxSlashDeferral`.
		DeferralTooLong,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let max = T::MaxSlashesPerBlock::get();
			let applied = Self::apply_due(now, max);
			let pruned = Self::prune(now, max);
			T::WeightInfo::on_initialize_idle()
				.saturating_add(T::WeightInfo::apply_slash().saturating_mul(applied.into()))
				.saturating_add(T::WeightInfo::prune_offence().saturating_mul(pruned.into()))
		}

		fn integrity_test() {
			assert!(T::MaxSlashesPerBlock::get() > 0, "slashes must make progress");
			assert!(T::MaxJailedOffences::get() > 0, "a cancel must be able to lift a jail");
			assert!(
				T::OffenceRetention::get() >= T::MaxSlashDeferral::get(),
				"records must outlive their deferral"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Cancels the slash of offence `offence_id` before it lands, and the jail the offence
		/// caused unless something else keeps the operator jailed.
		#[pallet::call_index(0)]
		pub fn cancel_deferred_slash(
			origin: OriginFor<T>,
			offence_id: OffenceId,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_cancel(offence_id)
		}

		/// Jails `operator` for `duration` blocks at once, e.g. when its node is compromised.
		#[pallet::call_index(1)]
		pub fn jail(
			origin: OriginFor<T>,
			operator: T::AccountId,
			duration: BlockNumberFor<T>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_jail(&operator, duration)
		}

		/// Sets the slash fraction and jail duration of one kind of offence.
		#[pallet::call_index(2)]
		pub fn set_penalty(
			origin: OriginFor<T>,
			kind: OffenceKind,
			penalty: Penalty<BlockNumberFor<T>>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_set_penalty(kind, penalty)
		}

		/// Sets the reward share and the deferral of slashes reported from now on.
		#[pallet::call_index(3)]
		pub fn set_params(
			origin: OriginFor<T>,
			params: SlashingParams<BlockNumberFor<T>>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_set_params(params)
		}
	}
}

/// Sets up what the benchmarks need from the rest of the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes `who` a bonded operator with stake to slash.
	fn bonded_operator(who: &AccountId);
}
