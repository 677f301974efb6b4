//! What other pallets and the runtime API see of operators.

use alloc::vec::Vec;
use baton_primitives::{
	sealing::EncryptionKey, ApiId, Candidate, EncryptionKeys, GatewayKey, GatewayKeys,
	OperatorRouting, OperatorView, ReputationView, SlashTarget,
};
use frame_support::traits::Imbalance;
use frame_support::{pallet_prelude::*, traits::fungible::Credit};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{Saturating, Zero},
	SaturatedConversion,
};

use crate::{
	asset, Available, AvailableCount, BalanceOf, Config, Error, Event, KeyOwners, Operator,
	OperatorStatus, Operators, Pallet, Params,
};

impl<T: Config> Pallet<T> {
	/// Requests `operator` may take at once: declared capacity, limited by stake.
	fn effective_capacity(operator: &Operator<T>) -> u32 {
		let per_slot = Params::<T>::get().stake_per_slot;
		if per_slot.is_zero() {
			return 0;
		}
		let by_stake: u128 = (operator.bonded / per_slot).saturated_into();
		operator.profile.capacity.min(by_stake.saturated_into())
	}

	/// The view of `who` served by the runtime API, with its reputation from `reputation`.
	pub fn view(
		who: &T::AccountId,
		reputation: impl Fn(&T::AccountId) -> ReputationView,
	) -> Option<OperatorView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		Operators::<T>::get(who).map(|operator| Self::view_of(who.clone(), operator, &reputation))
	}

	/// The views of the bonded operators that declared they serve `api`, read in one pass over
	/// the operators.
	pub fn views(
		api: ApiId,
		reputation: impl Fn(&T::AccountId) -> ReputationView,
	) -> Vec<OperatorView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		Operators::<T>::iter()
			.filter(|(_, operator)| operator.profile.apis.contains(&api))
			.map(|(who, operator)| Self::view_of(who, operator, &reputation))
			.collect()
	}

	fn view_of(
		who: T::AccountId,
		operator: Operator<T>,
		reputation: &impl Fn(&T::AccountId) -> ReputationView,
	) -> OperatorView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>> {
		OperatorView {
			reputation: reputation(&who),
			gateway_key: operator.gateway_key,
			bonded: operator.bonded,
			unbonding: operator.unbonding.iter().map(|c| (c.value, c.unlock_at)).collect(),
			available: Self::available(&operator),
			active: operator.status == OperatorStatus::Active,
			online: operator.online,
			last_heartbeat: operator.last_heartbeat,
			jailed_until: operator.jailed_until,
			capacity: Self::effective_capacity(&operator),
			endpoint: operator.profile.endpoint.to_vec(),
			region: operator.profile.region,
			apis: operator.profile.apis.to_vec(),
			operator: who,
		}
	}

	/// Checks the invariants listed in the README.
	/// Built with `std` too: the other pallets' mocks and the runtime's tests, which build in
	/// release (no `debug_assertions`), check it after every test.
	#[cfg(any(feature = "std", feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut count = 0u32;
		for (who, operator) in Operators::<T>::iter() {
			count += 1;
			ensure!(
				asset::held::<T>(&who) == operator.total_stake(),
				"held stake differs from the ledger"
			);
			ensure!(
				KeyOwners::<T>::get(Self::key_account(&operator.gateway_key)).as_ref()
					== Some(&who),
				"gateway key does not map back to its operator"
			);
			ensure!(
				operator.unbonding.windows(2).all(|w| w[0].unlock_at < w[1].unlock_at),
				"unbonding chunks out of order"
			);
		}
		ensure!(count == Operators::<T>::count(), "operator counter is off");
		ensure!(count <= T::MaxOperators::get(), "too many operators");
		ensure!(KeyOwners::<T>::iter().count() as u32 == count, "stray gateway key bindings");
		Self::ensure_index_consistent()
	}
}

impl<T: Config> SlashTarget<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
	type Balance = BalanceOf<T>;
	type Credit = Credit<T::AccountId, T::Currency>;

	fn slashable_stake(who: &T::AccountId) -> BalanceOf<T> {
		Operators::<T>::get(who)
			.map(|operator| operator.total_stake())
			.unwrap_or_default()
	}

	fn slash(who: &T::AccountId, amount: BalanceOf<T>) -> Self::Credit {
		let Some(mut operator) = Operators::<T>::get(who) else { return Default::default() };
		let before = operator.clone();
		let credit = asset::slash::<T>(who, amount.min(operator.total_stake()));
		let mut left = credit.peek();
		// Bonded stake first, then unbonding chunks, earliest first.
		let from_bonded = left.min(operator.bonded);
		operator.bonded.saturating_reduce(from_bonded);
		left.saturating_reduce(from_bonded);
		for chunk in operator.unbonding.iter_mut() {
			let take = left.min(chunk.value);
			chunk.value.saturating_reduce(take);
			left.saturating_reduce(take);
		}
		operator.unbonding.retain(|chunk| !chunk.value.is_zero());
		let chill = operator.status == OperatorStatus::Active
			&& operator.bonded < Params::<T>::get().min_bond;
		if chill {
			operator.status = OperatorStatus::Chilled;
		}
		Self::put_operator(who, Some(&before), Some(operator));
		// `slashing.Slashed` announces it, with the offence and where the stake went.
		if chill {
			Self::deposit_event(Event::Chilled { operator: who.clone() });
		}
		credit
	}

	fn jail(who: &T::AccountId, until: BlockNumberFor<T>) -> DispatchResult {
		let mut operator = Operators::<T>::get(who).ok_or(Error::<T>::NotOperator)?;
		let before = operator.clone();
		operator.status = OperatorStatus::Chilled;
		let until = operator.jailed_until.map_or(until, |current| current.max(until));
		operator.jailed_until = Some(until);
		Self::put_operator(who, Some(&before), Some(operator));
		Self::deposit_event(Event::Jailed { operator: who.clone(), until });
		Ok(())
	}

	fn jailed_until(who: &T::AccountId) -> Option<BlockNumberFor<T>> {
		Operators::<T>::get(who).and_then(|operator| operator.jailed_until)
	}

	fn lift_jail(who: &T::AccountId, until: BlockNumberFor<T>) {
		let now = frame_system::Pallet::<T>::block_number();
		Operators::<T>::mutate(who, |operator| {
			let Some(operator) = operator else { return };
			let Some(current) = operator.jailed_until else { return };
			if until >= current {
				return;
			}
			// It stays chilled: routing resumes when it calls `activate`.
			operator.jailed_until = (until > now).then_some(until);
			Self::deposit_event(Event::JailLifted {
				operator: who.clone(),
				until: operator.jailed_until,
			});
		});
	}
}

/// What an operator's record says; read by tests and tools, no other pallet needs these.
impl<T: Config> Pallet<T> {
	/// Whether `who` may be given work now: bonded, activated, online and not jailed.
	pub fn is_available(who: &T::AccountId) -> bool {
		Operators::<T>::get(who).is_some_and(|operator| Self::available(&operator))
	}

	/// Whether `who` is an operator at all (bonded, in any state).
	pub fn is_operator(who: &T::AccountId) -> bool {
		Operators::<T>::contains_key(who)
	}

	/// Stake `who` has bonded (not counting unbonding chunks).
	pub fn bonded(who: &T::AccountId) -> BalanceOf<T> {
		Operators::<T>::get(who).map(|operator| operator.bonded).unwrap_or_default()
	}

	/// Concurrent requests `who` may be given: its declared capacity, limited by its stake.
	pub fn capacity(who: &T::AccountId) -> u32 {
		Operators::<T>::get(who)
			.map(|operator| Self::effective_capacity(&operator))
			.unwrap_or(0)
	}

	/// Whether `who` declared that it serves `api`.
	pub fn serves(who: &T::AccountId, api: ApiId) -> bool {
		Operators::<T>::get(who).is_some_and(|operator| operator.profile.apis.contains(&api))
	}
}

impl<T: Config> OperatorRouting<T::AccountId> for Pallet<T> {
	type Balance = BalanceOf<T>;

	fn is_online(who: &T::AccountId) -> bool {
		Operators::<T>::get(who).is_some_and(|operator| operator.online)
	}

	fn available_count(api: ApiId) -> u32 {
		AvailableCount::<T>::get(api)
	}

	fn available_at(api: ApiId, slot: u32) -> Option<T::AccountId> {
		Available::<T>::get(api, slot)
	}

	fn candidate(who: &T::AccountId) -> Option<Candidate<BalanceOf<T>>> {
		let operator = Operators::<T>::get(who)?;
		Self::available(&operator).then(|| Candidate {
			bonded: operator.bonded,
			capacity: Self::effective_capacity(&operator),
			gateway_key: operator.gateway_key,
			has_encryption_key: operator.profile.encryption_key.is_some(),
		})
	}
}

impl<T: Config> GatewayKeys<T::AccountId> for Pallet<T> {
	fn gateway_key(who: &T::AccountId) -> Option<GatewayKey> {
		Operators::<T>::get(who).map(|operator| operator.gateway_key)
	}

	fn operator_of(key: &GatewayKey) -> Option<T::AccountId> {
		KeyOwners::<T>::get(Self::key_account(key))
	}

	fn signer_of(key: &GatewayKey) -> T::AccountId {
		Self::key_account(key)
	}

	fn operator_of_signer(signer: &T::AccountId) -> Option<(T::AccountId, GatewayKey)> {
		let who = KeyOwners::<T>::get(signer)?;
		let key = Operators::<T>::get(&who)?.gateway_key;
		Some((who, key))
	}
}

impl<T: Config> EncryptionKeys<T::AccountId> for Pallet<T> {
	fn encryption_key(who: &T::AccountId) -> Option<EncryptionKey> {
		Operators::<T>::get(who)?.profile.encryption_key.map(|bound| bound.key)
	}
}
