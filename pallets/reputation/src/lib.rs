#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::Record;
pub use weights::WeightInfo;

use baton_primitives::{ApiId, Outcome, ReputationSink, ReputationSource, ReputationView};
use frame_support::traits::Get;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use sp_runtime::Perbill;

	/// The layout of this pallet's storage; a change to it comes with a migration that
	/// raises it.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Share of the evidence kept at each new success or failure (exponential decay).
		#[pallet::constant]
		type Decay: Get<Perbill>;

		/// How far a new latency sample moves the moving average.
		#[pallet::constant]
		type LatencyWeight: Get<Perbill>;

		/// Per-API records an operator may have.
		#[pallet::constant]
		type MaxApiRecords: Get<u32>;

		/// Who may reset an operator's reputation.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Reputation of each operator over all APIs.
	#[pallet::storage]
	pub type Reputations<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Record>;

	/// Reputation of each operator for each API it served.
	#[pallet::storage]
	pub type ApiReputations<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, ApiId, Record>;

	/// Number of per-API records of each operator.
	#[pallet::storage]
	pub type ApiRecordCount<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Governance wiped an operator's reputation.
		ReputationReset { operator: T::AccountId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The operator has no reputation to reset.
		NoReputation,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxApiRecords::get() > 0, "MaxApiRecords must allow at least one API");
			assert!(!T::LatencyWeight::get().is_zero(), "a zero LatencyWeight freezes latency");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Wipes `operator`'s reputation, overall and for every API.
		#[pallet::call_index(0)]
		#[pallet::weight(<T as Config>::WeightInfo::reset(T::MaxApiRecords::get()))]
		pub fn reset(origin: OriginFor<T>, operator: T::AccountId) -> DispatchResultWithPostInfo {
			T::AdminOrigin::ensure_origin(origin)?;
			let records = Self::do_reset(&operator)?;
			Ok(Some(<T as Config>::WeightInfo::reset(records)).into())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Removes every record of `operator`; returns how many per-API records there were.
	pub fn do_reset(operator: &T::AccountId) -> Result<u32, sp_runtime::DispatchError> {
		frame_support::ensure!(Reputations::<T>::contains_key(operator), Error::<T>::NoReputation);
		let records = ApiRecordCount::<T>::take(operator);
		Reputations::<T>::remove(operator);
		// The count bounds the records, so this removes them all.
		let _ = ApiReputations::<T>::clear_prefix(operator, records, None);
		Self::deposit_event(Event::ReputationReset { operator: operator.clone() });
		Ok(records)
	}

	/// Checks the invariants listed in the README.
	/// Built with `std` too: the other pallets' mocks and the runtime's tests, which build in
	/// release (no `debug_assertions`), check it after every test.
	#[cfg(any(feature = "std", feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use frame_support::ensure;
		use sp_runtime::FixedU128;

		for (operator, overall) in Reputations::<T>::iter() {
			ensure!(
				overall.successes <= FixedU128::from_u32(overall.completed)
					&& overall.failures <= FixedU128::from_u32(overall.failed),
				"evidence exceeds its count"
			);
			let mut records = 0u32;
			let mut sum = Record::default();
			for (_, record) in ApiReputations::<T>::iter_prefix(&operator) {
				records += 1;
				sum.completed += record.completed;
				sum.failed += record.failed;
				sum.handed_over += record.handed_over;
				sum.taken_over += record.taken_over;
			}
			ensure!(records == ApiRecordCount::<T>::get(&operator), "ApiRecordCount is off");
			ensure!(records <= T::MaxApiRecords::get(), "too many per-API records");
			ensure!(
				sum.completed <= overall.completed
					&& sum.failed <= overall.failed
					&& sum.handed_over <= overall.handed_over
					&& sum.taken_over <= overall.taken_over,
				"per-API counts exceed the overall counts"
			);
		}
		for (operator, _) in ApiRecordCount::<T>::iter() {
			ensure!(Reputations::<T>::contains_key(&operator), "per-API records of nobody");
		}
		Ok(())
	}
}

impl<T: Config> ReputationSink<T::AccountId> for Pallet<T> {
	fn record(who: &T::AccountId, api: ApiId, outcome: Outcome) {
		let (decay, weight) = (T::Decay::get(), T::LatencyWeight::get());
		Reputations::<T>::mutate(who, |record| {
			record.get_or_insert_with(Default::default).apply(outcome, decay, weight)
		});
		let known = ApiReputations::<T>::contains_key(who, api);
		if known || ApiRecordCount::<T>::get(who) < T::MaxApiRecords::get() {
			if !known {
				ApiRecordCount::<T>::mutate(who, |count| *count += 1);
			}
			ApiReputations::<T>::mutate(who, api, |record| {
				record.get_or_insert_with(Default::default).apply(outcome, decay, weight)
			});
		}
	}
}

impl<T: Config> ReputationSource<T::AccountId> for Pallet<T> {
	fn reputation(who: &T::AccountId) -> ReputationView {
		Reputations::<T>::get(who).unwrap_or_default().view()
	}

	fn reputation_for(who: &T::AccountId, api: ApiId) -> ReputationView {
		ApiReputations::<T>::get(who, api)
			.or_else(|| Reputations::<T>::get(who))
			.unwrap_or_default()
			.view()
	}
}
