//! Every movement of operators' stake goes through here.

use frame_support::traits::{
	fungible::{hold::Balanced as BalancedHold, Credit, Inspect, MutateHold},
	tokens::{Fortitude, Precision, Preservation},
};
use sp_runtime::DispatchResult;

use crate::{BalanceOf, Config, Error, HoldReason};

/// Holds `amount` of `who`'s free balance as stake, keeping its existential deposit free.
pub fn hold<T: Config>(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
	let spare = T::Currency::reducible_balance(who, Preservation::Preserve, Fortitude::Polite);
	frame_support::ensure!(spare >= amount, Error::<T>::InsufficientFunds);
	T::Currency::hold(&HoldReason::OperatorBond.into(), who, amount)
}

/// Releases `amount` of `who`'s stake to its free balance.
pub fn release<T: Config>(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
	T::Currency::release(&HoldReason::OperatorBond.into(), who, amount, Precision::Exact)?;
	Ok(())
}

/// Stake held for `who`.
#[cfg(any(feature = "std", feature = "try-runtime"))]
pub fn held<T: Config>(who: &T::AccountId) -> BalanceOf<T> {
	use frame_support::traits::fungible::InspectHold;
	T::Currency::balance_on_hold(&HoldReason::OperatorBond.into(), who)
}

/// Takes up to `amount` of `who`'s stake out of its account.
pub fn slash<T: Config>(
	who: &T::AccountId,
	amount: BalanceOf<T>,
) -> Credit<T::AccountId, T::Currency> {
	<T::Currency as BalancedHold<T::AccountId>>::slash(
		&HoldReason::OperatorBond.into(),
		who,
		amount,
	)
	.0
}
