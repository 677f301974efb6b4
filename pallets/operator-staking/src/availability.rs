//! The availability index: for each API, the operators that serve it and may be given work now,
//! in numbered slots, so that routing can draw from exactly those at random without reading
//! the others. Every write of an operator goes through [`Pallet::put_operator`], which keeps the
//! index in step.

use baton_primitives::ApiId;

use crate::{
	Available, AvailableCount, AvailableSlot, Config, Operator, OperatorStatus, Operators, Pallet,
};

impl<T: Config> Pallet<T> {
	/// Whether routing may give `operator` work: active (which a jailed operator is not) and
	/// online.
	pub(crate) fn available(operator: &Operator<T>) -> bool {
		operator.status == OperatorStatus::Active && operator.online
	}

	/// Stores `after` as `who`'s record (removes it if `None`), where `before` is the record
	/// stored now, and moves `who` in the availability index to match.
	pub(crate) fn put_operator(
		who: &T::AccountId,
		before: Option<&Operator<T>>,
		after: Option<Operator<T>>,
	) {
		let apis = |operator: Option<&Operator<T>>| -> alloc::vec::Vec<ApiId> {
			operator
				.filter(|o| Self::available(o))
				.map(|o| o.profile.apis.to_vec())
				.unwrap_or_default()
		};
		let (was, is) = (apis(before), apis(after.as_ref()));
		for api in was.iter().filter(|api| !is.contains(api)) {
			Self::unlist(who, *api);
		}
		for api in is.iter().filter(|api| !was.contains(api)) {
			Self::list(who, *api);
		}
		match after {
			Some(operator) => Operators::<T>::insert(who, operator),
			None => Operators::<T>::remove(who),
		}
	}

	/// Takes `who` out of routing as offline, as the heartbeat check does after missed
	/// heartbeats but with no offence: the shortcut of tests and benchmarks, through the one
	/// door that keeps the availability index in step.
	#[cfg(any(feature = "std", feature = "runtime-benchmarks"))]
	pub fn set_offline(who: &T::AccountId) {
		let Some(before) = Operators::<T>::get(who) else { return };
		let mut after = before.clone();
		after.online = false;
		Self::put_operator(who, Some(&before), Some(after));
	}

	/// Puts `who` in the next free slot of `api`.
	fn list(who: &T::AccountId, api: ApiId) {
		let slot = AvailableCount::<T>::get(api);
		Available::<T>::insert(api, slot, who);
		AvailableSlot::<T>::insert(who, api, slot);
		AvailableCount::<T>::insert(api, slot.saturating_add(1));
	}

	/// Takes `who` out of `api`'s slots; the operator in the last slot moves into its place.
	fn unlist(who: &T::AccountId, api: ApiId) {
		let Some(slot) = AvailableSlot::<T>::take(who, api) else { return };
		let last = AvailableCount::<T>::get(api).saturating_sub(1);
		if let Some(moved) = Available::<T>::take(api, last) {
			if slot != last {
				Available::<T>::insert(api, slot, &moved);
				AvailableSlot::<T>::insert(&moved, api, slot);
			}
		}
		if last == 0 {
			AvailableCount::<T>::remove(api);
		} else {
			AvailableCount::<T>::insert(api, last);
		}
	}

	/// Checks that the index holds exactly the available operators of each API, each once, in
	/// slots `0..AvailableCount`.
	#[cfg(any(feature = "std", feature = "try-runtime"))]
	pub(crate) fn ensure_index_consistent() -> Result<(), sp_runtime::TryRuntimeError> {
		use frame_support::ensure;
		let mut listed = 0usize;
		for (api, count) in AvailableCount::<T>::iter() {
			ensure!(count > 0, "an empty API keeps a count");
			for slot in 0..count {
				let who =
					Available::<T>::get(api, slot).ok_or("a slot below the count is empty")?;
				ensure!(
					AvailableSlot::<T>::get(&who, api) == Some(slot),
					"a slot does not map back"
				);
				ensure!(
					Operators::<T>::get(&who)
						.is_some_and(|o| Self::available(&o) && o.profile.apis.contains(&api)),
					"the index lists an operator that is not available for the API"
				);
			}
			listed += count as usize;
		}
		ensure!(Available::<T>::iter().count() == listed, "a slot above the count is taken");
		ensure!(AvailableSlot::<T>::iter().count() == listed, "a stray slot record");
		let available: usize = Operators::<T>::iter_values()
			.filter(|o| Self::available(o))
			.map(|o| o.profile.apis.len())
			.sum();
		ensure!(available == listed, "an available operator is missing from the index");
		Ok(())
	}
}
