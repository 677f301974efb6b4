//! Heartbeats: the offchain worker that sends them and the block hook that notices when they
//! stop.

use baton_primitives::{
	offchain::{
		keys::heartbeat_storage_key,
		signer::{LocalKey, LocalSigner},
	},
	OffenceKind, ReportOffence,
};
use codec::Encode;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	offchain::storage::{MutateStorageError, StorageValueRef},
	traits::Saturating,
	RuntimeAppPublic,
};

use crate::{
	Call, Config, Event, HeartbeatCursor, KeyOwners, OperatorStatus, Operators, Pallet, Params,
	LOG_TARGET,
};

impl<T: Config> Pallet<T> {
	/// Marks offline every active operator, among at most `MaxHeartbeatChecks` visited in turn,
	/// whose last heartbeat is more than `max_missed_heartbeats` intervals old, and chills every
	/// active one whose bond is below `min_bond`. Returns how many it visited.
	pub(crate) fn check_heartbeats(now: BlockNumberFor<T>) -> u32 {
		let params = Params::<T>::get();
		let allowed = params.heartbeat_interval.saturating_mul(params.max_missed_heartbeats.into());
		let mut iter = match HeartbeatCursor::<T>::get() {
			Some(last) => Operators::<T>::iter_from(Operators::<T>::hashed_key_for(&last)),
			None => Operators::<T>::iter(),
		};
		let mut visited = 0;
		let mut cursor = None;
		while visited < T::MaxHeartbeatChecks::get() {
			let Some((who, mut operator)) = iter.next() else {
				// End of the map: the next block starts from the beginning.
				cursor = None;
				break;
			};
			visited += 1;
			let last_heartbeat = operator.last_heartbeat;
			let active = operator.status == OperatorStatus::Active;
			let went_offline =
				active && operator.online && now > last_heartbeat.saturating_add(allowed);
			// A raised minimum bond takes operators below it out of routing as this check
			// reaches them, as a slash below it does at once.
			let under_bonded = active && operator.bonded < params.min_bond;
			if went_offline || under_bonded {
				let before = operator.clone();
				operator.online &= !went_offline;
				if under_bonded {
					operator.status = OperatorStatus::Chilled;
				}
				Self::put_operator(&who, Some(&before), Some(operator));
			}
			if went_offline {
				Self::deposit_event(Event::WentOffline { operator: who.clone(), last_heartbeat });
				// One outage is one offence: it is named by the heartbeat it followed.
				let subject = sp_io::hashing::blake2_256(
					&(b"baton/offence/offline", last_heartbeat).encode(),
				);
				if let Err(error) =
					T::Offences::report_offence(OffenceKind::Offline, subject, &who, None)
				{
					log::warn!(target: LOG_TARGET, "offline offence of {who:?} not taken: {error:?}");
				}
			}
			if under_bonded {
				Self::deposit_event(Event::Chilled { operator: who.clone() });
			}
			cursor = Some(who);
		}
		match cursor {
			Some(who) => HeartbeatCursor::<T>::put(who),
			None => HeartbeatCursor::<T>::kill(),
		}
		visited
	}

	/// Offchain worker: sends a heartbeat for each gateway key in the local keystore whose
	/// operator is due one, at most once per interval even if the worker runs again on a fork.
	pub(crate) fn send_heartbeats(now: BlockNumberFor<T>) {
		let interval = Params::<T>::get().heartbeat_interval;
		for key in LocalKey::<T, T::AuthorityId>::all() {
			let Ok(raw) = <[u8; 32]>::try_from(key.to_raw_vec()) else { continue };
			let Some(operator) = KeyOwners::<T>::get(Self::key_account(&raw)) else { continue };
			let Some(info) = Operators::<T>::get(&operator) else { continue };
			let is_due = now >= info.last_heartbeat.saturating_add(interval);
			if is_due
				&& Self::claim_heartbeat_slot(&raw, now, interval)
				&& !LocalSigner::<T, T::AuthorityId>::new(key).send(Call::heartbeat {})
			{
				log::warn!(target: LOG_TARGET, "heartbeat of {operator:?} not submitted");
			}
		}
	}

	/// Records in offchain storage that `key` sends a heartbeat at `now`; false if it already
	/// did less than an interval ago (or another worker is doing it right now).
	fn claim_heartbeat_slot(
		key: &[u8; 32],
		now: BlockNumberFor<T>,
		interval: BlockNumberFor<T>,
	) -> bool {
		let storage_key = heartbeat_storage_key(key);
		let slot = StorageValueRef::persistent(&storage_key);
		let claimed = slot.mutate(|last: Result<Option<BlockNumberFor<T>>, _>| match last {
			Ok(Some(last)) if now < last.saturating_add(interval) => Err(()),
			_ => Ok(now),
		});
		match claimed {
			Ok(_) => true,
			Err(MutateStorageError::ValueFunctionFailed(())) => false,
			Err(MutateStorageError::ConcurrentModification(_)) => false,
		}
	}
}
