#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

use baton_primitives::{Escrow, RequestId};
use frame_support::traits::{
	fungible::{Inspect, MutateHold},
	tokens::{Fortitude, Precision, Preservation, Restriction},
};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError,
};

/// Balance of the escrowed currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;

	/// The layout of this pallet's storage; a change to it comes with a migration that
	/// raises it.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A client's payment for a request, until it is paid out or refunded.
		Escrow,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency escrowed.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, of which `Escrow` is one.
		type RuntimeHoldReason: From<HoldReason>;
	}

	/// An open escrow.
	#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
	pub struct EscrowInfo<AccountId, Balance> {
		/// Who paid in and gets the rest back.
		pub payer: AccountId,
		/// What is still held.
		pub amount: Balance,
	}

	/// Open escrows by id.
	#[pallet::storage]
	pub type Escrows<T: Config> =
		StorageMap<_, Twox64Concat, RequestId, EscrowInfo<T::AccountId, BalanceOf<T>>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A payer's funds were put in escrow.
		Held { id: RequestId, payer: T::AccountId, amount: BalanceOf<T> },
		/// Part of an escrow was paid out.
		Paid { id: RequestId, payee: T::AccountId, amount: BalanceOf<T> },
		/// What was left of an escrow went back to its payer; the escrow is closed.
		Refunded { id: RequestId, payer: T::AccountId, amount: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// An escrow with this id is open already.
		AlreadyOpen,
		/// No escrow with this id is open.
		NotOpen,
		/// The payer cannot spare that much (keeping its existential deposit).
		InsufficientFunds,
		/// The escrow holds less than that.
		Overdraw,
		/// An escrow of nothing.
		ZeroAmount,
		/// The escrow is someone else's.
		NotPayer,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<frame_system::pallet_prelude::BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(
			_n: frame_system::pallet_prelude::BlockNumberFor<T>,
		) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}
}

impl<T: Config> Escrow<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn hold(
		id: RequestId,
		payer: &T::AccountId,
		amount: BalanceOf<T>,
	) -> Result<(), DispatchError> {
		frame_support::ensure!(!Escrows::<T>::contains_key(id), Error::<T>::AlreadyOpen);
		Self::add_to(id, payer, Zero::zero(), amount)
	}

	fn pay(id: RequestId, payee: &T::AccountId, amount: BalanceOf<T>) -> Result<(), DispatchError> {
		let mut escrow = Escrows::<T>::get(id).ok_or(Error::<T>::NotOpen)?;
		frame_support::ensure!(amount <= escrow.amount, Error::<T>::Overdraw);
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::transfer_on_hold(
			&HoldReason::Escrow.into(),
			&escrow.payer,
			payee,
			amount,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Polite,
		)?;
		escrow.amount.saturating_reduce(amount);
		if escrow.amount.is_zero() {
			Escrows::<T>::remove(id);
		} else {
			Escrows::<T>::insert(id, escrow);
		}
		Self::deposit_event(Event::Paid { id, payee: payee.clone(), amount });
		Ok(())
	}

	fn refund(id: RequestId) -> BalanceOf<T> {
		let Some(escrow) = Escrows::<T>::take(id) else { return Zero::zero() };
		// The hold holds at least the escrow (the invariant), so the release is exact.
		let released = T::Currency::release(
			&HoldReason::Escrow.into(),
			&escrow.payer,
			escrow.amount,
			Precision::BestEffort,
		)
		.unwrap_or_default();
		Self::deposit_event(Event::Refunded { id, payer: escrow.payer, amount: released });
		released
	}

	fn held(id: RequestId) -> BalanceOf<T> {
		Escrows::<T>::get(id).map(|escrow| escrow.amount).unwrap_or_default()
	}

	fn hold_more(
		id: RequestId,
		payer: &T::AccountId,
		amount: BalanceOf<T>,
	) -> Result<(), DispatchError> {
		let held = match Escrows::<T>::get(id) {
			Some(escrow) => {
				frame_support::ensure!(&escrow.payer == payer, Error::<T>::NotPayer);
				escrow.amount
			},
			None => Zero::zero(),
		};
		Self::add_to(id, payer, held, amount)
	}
}

impl<T: Config> Pallet<T> {
	/// Holds `amount` more of `payer`'s free balance under escrow `id`, which holds `held`.
	fn add_to(
		id: RequestId,
		payer: &T::AccountId,
		held: BalanceOf<T>,
		amount: BalanceOf<T>,
	) -> Result<(), DispatchError> {
		frame_support::ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let spare =
			T::Currency::reducible_balance(payer, Preservation::Preserve, Fortitude::Polite);
		frame_support::ensure!(spare >= amount, Error::<T>::InsufficientFunds);
		T::Currency::hold(&HoldReason::Escrow.into(), payer, amount)?;
		Escrows::<T>::insert(id, EscrowInfo { payer: payer.clone(), amount: held + amount });
		Self::deposit_event(Event::Held { id, payer: payer.clone(), amount });
		Ok(())
	}

	/// Checks the invariants listed in the README.
	/// Built with `std` too: the other pallets' mocks and the runtime's tests, which build in
	/// release (no `debug_assertions`), check it after every test.
	#[cfg(any(feature = "std", feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		let mut per_payer = BTreeMap::<T::AccountId, BalanceOf<T>>::new();
		for (_, escrow) in Escrows::<T>::iter() {
			frame_support::ensure!(!escrow.amount.is_zero(), "an open escrow is empty");
			per_payer.entry(escrow.payer).or_default().saturating_accrue(escrow.amount);
		}
		// Every account, so that a hold with no open escrow behind it is caught too.
		for who in frame_system::Account::<T>::iter_keys() {
			let open = per_payer.remove(&who).unwrap_or_default();
			frame_support::ensure!(
				T::Currency::balance_on_hold(&HoldReason::Escrow.into(), &who) == open,
				"funds held under Escrow differ from the payer's open escrows"
			);
		}
		frame_support::ensure!(
			per_payer.is_empty(),
			"an open escrow of an account that does not exist"
		);
		Ok(())
	}
}
