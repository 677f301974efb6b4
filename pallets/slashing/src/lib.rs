#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

use baton_primitives::{
	OffenceError, OffenceKind, OffenceSubject, PendingSlash, ReportOffence, SlashTarget,
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{self, Balanced, Credit},
		Imbalance, OnUnbalanced,
	},
};
use frame_system::pallet_prelude::*;
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill,
};

/// Balance of the slashed currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// Funds taken by a slash.
pub type CreditOf<T> = Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;
/// A stored offence.
pub type OffenceRecordOf<T> =
	OffenceRecord<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
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
	pub type OffenceParamsOf<T: Config> =
		StorageMap<_, Twox64Concat, OffenceKind, OffenceParams<BlockNumberFor<T>>, ValueQuery>;

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
		pub offences: alloc::vec::Vec<(OffenceKind, OffenceParams<BlockNumberFor<T>>)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(self.params.slash_deferral <= T::MaxSlashDeferral::get(), "deferral too long");
			Params::<T>::put(self.params);
			for (kind, params) in &self.offences {
				assert!(params.jail <= T::MaxJail::get(), "jail too long");
				OffenceParamsOf::<T>::insert(kind, params);
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
		/// A cancelled offence took its jail with it: the operator's jail now ends at `until`.
		JailLifted { operator: T::AccountId, until: BlockNumberFor<T> },
		/// Governance set what a kind of offence costs.
		OffenceParamsSet { kind: OffenceKind, params: OffenceParams<BlockNumberFor<T>> },
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
		pub fn set_offence_params(
			origin: OriginFor<T>,
			kind: OffenceKind,
			params: OffenceParams<BlockNumberFor<T>>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(params.jail <= T::MaxJail::get(), Error::<T>::InvalidJail);
			OffenceParamsOf::<T>::insert(kind, params);
			Self::deposit_event(Event::OffenceParamsSet { kind, params });
			Ok(())
		}

		/// Sets the reward share and the deferral of slashes reported from now on.
		#[pallet::call_index(3)]
		pub fn set_params(
			origin: OriginFor<T>,
			params: SlashingParams<BlockNumberFor<T>>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(
				params.slash_deferral <= T::MaxSlashDeferral::get(),
				Error::<T>::DeferralTooLong
			);
			Params::<T>::put(params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	fn do_cancel(offence_id: OffenceId) -> DispatchResult {
		let mut record = Offences::<T>::get(offence_id).ok_or(Error::<T>::UnknownOffence)?;
		ensure!(record.status == SlashStatus::Pending, Error::<T>::NotPending);
		record.status = SlashStatus::Cancelled;
		Offences::<T>::insert(offence_id, &record);
		Self::deposit_event(Event::SlashCancelled { offence_id });
		let now = frame_system::Pallet::<T>::block_number();
		if let Some(until) = Self::settle(&record.offender, offence_id, SlashStatus::Cancelled, now)
		{
			T::Target::lift_jail(&record.offender, until);
			Self::deposit_event(Event::JailLifted { operator: record.offender, until });
		}
		Ok(())
	}

	/// Takes the settled offence `offence_id` off `offender`'s pending ones. An applied slash
	/// leaves its jail to run; a cancelled one takes it along, and if that shortens the jail
	/// returns when the jail now ends (`now` if nothing else keeps the operator jailed).
	fn settle(
		offender: &T::AccountId,
		offence_id: OffenceId,
		status: SlashStatus,
		now: BlockNumberFor<T>,
	) -> Option<BlockNumberFor<T>> {
		PendingSlashes::<T>::mutate(|n| n.saturating_dec());
		Offenders::<T>::mutate_exists(offender, |entry| {
			let mut pending = entry.take()?;
			let before = pending.jail_end();
			if let Some(until) = pending.take_jail(offence_id) {
				if status == SlashStatus::Applied {
					pending.jailed_until = pending.jailed_until.max(until);
				}
			}
			let after = pending.jail_end().max(now);
			pending.pending.saturating_dec();
			if pending.pending > 0 {
				*entry = Some(pending);
			}
			(after < before).then_some(after)
		})
	}

	fn do_jail(operator: &T::AccountId, duration: BlockNumberFor<T>) -> DispatchResult {
		ensure!(!duration.is_zero() && duration <= T::MaxJail::get(), Error::<T>::InvalidJail);
		let until = frame_system::Pallet::<T>::block_number().saturating_add(duration);
		T::Target::jail(operator, until)?;
		// No cancel lifts governance's jail.
		Offenders::<T>::mutate_extant(operator, |pending| {
			pending.jailed_until = pending.jailed_until.max(until);
		});
		Ok(())
	}

	/// Applies up to `max` slashes that are due, in id order; returns how many it looked at.
	pub(crate) fn apply_due(now: BlockNumberFor<T>, max: u32) -> u32 {
		let end = NextOffenceId::<T>::get();
		let mut next = NextToApply::<T>::get();
		let mut visited = 0;
		while visited < max && next < end {
			let Some(mut record) = Offences::<T>::get(next) else { break };
			if record.status == SlashStatus::Pending {
				if record.apply_at > now {
					break;
				}
				Self::apply(next, &record);
				record.status = SlashStatus::Applied;
				Self::settle(&record.offender, next, SlashStatus::Applied, now);
				Offences::<T>::insert(next, record);
			}
			next += 1;
			visited += 1;
		}
		NextToApply::<T>::put(next);
		visited
	}

	/// Takes the slash of `record` from the offender's stake and pays it out.
	fn apply(offence_id: OffenceId, record: &OffenceRecordOf<T>) {
		let stake = T::Target::slashable_stake(&record.offender);
		let credit = T::Target::slash(&record.offender, record.slash * stake);
		let amount = credit.peek();
		let mut to_beneficiary = Zero::zero();
		let rest = match &record.beneficiary {
			Some(beneficiary) => {
				let (reward, rest) = credit.split(Params::<T>::get().reward_share * amount);
				let reward_amount = reward.peek();
				match T::Currency::resolve(beneficiary, reward) {
					Ok(()) => {
						to_beneficiary = reward_amount;
						rest
					},
					// A reward too small to open the beneficiary's account goes to the treasury.
					Err(reward) => rest.merge(reward),
				}
			},
			None => credit,
		};
		let to_treasury = rest.peek();
		T::OnSlash::on_unbalanced(rest);
		Self::deposit_event(Event::Slashed {
			offence_id,
			offender: record.offender.clone(),
			amount,
			beneficiary: record.beneficiary.clone(),
			to_beneficiary,
			to_treasury,
		});
	}

	/// Prunes up to `max` settled records older than the retention; returns how many.
	pub(crate) fn prune(now: BlockNumberFor<T>, max: u32) -> u32 {
		let end = NextToApply::<T>::get();
		let mut next = NextToPrune::<T>::get();
		let mut pruned = 0;
		while pruned < max && next < end {
			let Some(record) = Offences::<T>::get(next) else { break };
			if record.reported_at.saturating_add(T::OffenceRetention::get()) > now {
				break;
			}
			Offences::<T>::remove(next);
			OffenceIndex::<T>::remove((record.kind, record.subject, record.offender));
			next += 1;
			pruned += 1;
		}
		NextToPrune::<T>::put(next);
		pruned
	}

	/// Checks the invariants listed in the README.
	/// Built with `std` too: the other pallets' mocks and the runtime's tests, which build in
	/// release (no `debug_assertions`), check it after every test.
	#[cfg(any(feature = "std", feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let (prune, apply, end) =
			(NextToPrune::<T>::get(), NextToApply::<T>::get(), NextOffenceId::<T>::get());
		ensure!(prune <= apply && apply <= end, "cursors out of order");
		let mut pending = 0u32;
		let mut pending_of = alloc::collections::BTreeMap::<T::AccountId, u32>::new();
		let mut records = 0u64;
		for (id, record) in Offences::<T>::iter() {
			records += 1;
			ensure!(prune <= id && id < end, "record outside the cursors");
			ensure!(
				OffenceIndex::<T>::get((record.kind, record.subject, record.offender.clone()))
					== Some(id),
				"record without its dedup entry"
			);
			if record.status == SlashStatus::Pending {
				ensure!(id >= apply, "pending slash behind the apply cursor");
				pending += 1;
				*pending_of.entry(record.offender).or_default() += 1;
			}
		}
		// A gap would stop the hook at it for good.
		ensure!(records == end - prune, "a record between the cursors is missing");
		for ((kind, subject, offender), id) in OffenceIndex::<T>::iter() {
			let record = Offences::<T>::get(id).ok_or("dedup entry without a record")?;
			ensure!(
				record.kind == kind && record.subject == subject && record.offender == offender,
				"dedup entry points at another offence"
			);
		}
		ensure!(pending == PendingSlashes::<T>::get(), "PendingSlashes is off");
		ensure!(
			Offenders::<T>::iter_keys().count() == pending_of.len(),
			"an offender without pending slashes is listed"
		);
		for (offender, count) in pending_of {
			let entry =
				Offenders::<T>::get(&offender).ok_or("offender with a pending slash unlisted")?;
			ensure!(entry.pending == count, "an offender's pending count is off");
			for (i, (id, _)) in entry.offence_jails.iter().enumerate() {
				ensure!(
					Offences::<T>::get(id).is_some_and(|record| {
						record.status == SlashStatus::Pending && record.offender == offender
					}),
					"a liftable jail of an offence that is not pending"
				);
				ensure!(
					entry.offence_jails[..i].iter().all(|(other, _)| other != id),
					"an offence's jail is listed twice"
				);
			}
		}
		Ok(())
	}
}

/// Sets up what the benchmarks need from the rest of the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes `who` a bonded operator with stake to slash.
	fn bonded_operator(who: &AccountId);
}

impl<T: Config> PendingSlash<T::AccountId> for Pallet<T> {
	fn has_pending_slash(who: &T::AccountId) -> bool {
		Offenders::<T>::contains_key(who)
	}
}

impl<T: Config> ReportOffence<T::AccountId> for Pallet<T> {
	fn report_offence(
		kind: OffenceKind,
		subject: OffenceSubject,
		offender: &T::AccountId,
		beneficiary: Option<T::AccountId>,
	) -> Result<(), OffenceError> {
		let key = (kind, subject, offender.clone());
		ensure!(!OffenceIndex::<T>::contains_key(&key), OffenceError::Duplicate);
		ensure!(!T::Target::slashable_stake(offender).is_zero(), OffenceError::UnknownOffender);

		let now = frame_system::Pallet::<T>::block_number();
		// Jails from before its first pending offence are none a cancel may lift.
		let mut pending = Offenders::<T>::get(offender).unwrap_or_else(|| {
			PendingOffender::new(T::Target::jailed_until(offender).unwrap_or_default())
		});
		pending.pending.saturating_inc();
		let costs = OffenceParamsOf::<T>::get(kind);
		let apply_at = now.saturating_add(Params::<T>::get().slash_deferral);
		let offence_id = NextOffenceId::<T>::mutate(|id| {
			let this = *id;
			*id += 1;
			this
		});
		Offences::<T>::insert(
			offence_id,
			OffenceRecord {
				kind,
				subject,
				offender: offender.clone(),
				beneficiary,
				slash: costs.slash,
				reported_at: now,
				apply_at,
				status: SlashStatus::Pending,
			},
		);
		OffenceIndex::<T>::insert(key, offence_id);
		PendingSlashes::<T>::mutate(|n| n.saturating_inc());
		Self::deposit_event(Event::OffenceReported {
			offence_id,
			kind,
			subject,
			offender: offender.clone(),
			slash: costs.slash,
			apply_at,
		});

		if !costs.jail.is_zero() {
			let until = now.saturating_add(costs.jail);
			// The offence stands even if the jail cannot be recorded.
			// The target announces the jail (`operatorStaking.Jailed`): it owns the record.
			if T::Target::jail(offender, until).is_ok() {
				pending.add_jail(offence_id, until, now);
			}
		}
		Offenders::<T>::insert(offender, pending);
		Ok(())
	}
}
