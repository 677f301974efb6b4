//! The operator node's proactive failover: when its health model predicts that it will fail
//! the requests it holds, it hands them over with a signed checkpoint before their deadline,
//! instead of letting them time out.

use alloc::vec::Vec;
use baton_primitives::{
	checkpoint_message,
	offchain::{
		health::{Breaker, Health},
		keys::{
			attempt_storage_key, handed_index_storage_key, handed_storage_key, health_storage_key,
		},
		signer::{LocalKey, LocalSigner},
		sweep_index,
	},
	Checkpoint, GatewayKeys, OpenAssignment, Reassign, RequestId,
};
use codec::Encode;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{offchain::storage::StorageValueRef, RuntimeAppPublic, SaturatedConversion};

use crate::{Call, Config, Pallet, LOG_TARGET};

type PublicOf<T> = LocalKey<T, <T as Config>::AuthorityId>;

/// Open requests one key hands over per block at most.
const MAX_HANDOVERS_PER_BLOCK: u32 = 64;

impl<T: Config> Pallet<T> {
	/// For each gateway key in the keystore, hands over the open requests of the APIs whose
	/// circuit breaker is open (the node predicts it would fail them), once each.
	pub(crate) fn hand_over_predicted_failures(now: BlockNumberFor<T>) {
		let block: u32 = now.saturated_into();
		for key in PublicOf::<T>::all() {
			let Ok(raw) = <[u8; 32]>::try_from(key.to_raw_vec()) else { continue };
			let Some(operator) = T::Operators::operator_of(&raw) else { continue };
			let open = |api| {
				let health: Option<Health> =
					StorageValueRef::persistent(&health_storage_key(&raw, api))
						.get()
						.ok()
						.flatten();
				health.is_some_and(|health| health.breaker(block) == Breaker::Open)
			};
			let claimed: Vec<OpenAssignment> =
				T::Requests::open_assignments(&operator, MAX_HANDOVERS_PER_BLOCK)
					.into_iter()
					.filter(|assignment| open(assignment.api_id))
					.filter(|open| Self::claim(open, &raw))
					.collect();
			Self::forget_handed(&raw, &operator, &claimed);
			let handovers: Vec<(RequestId, Checkpoint)> = claimed
				.iter()
				.filter_map(|open| {
					Some((open.request_id, Self::checkpoint(&key, &raw, &operator, open)?))
				})
				.collect();
			if handovers.is_empty() {
				continue;
			}
			log::info!(target: LOG_TARGET, "{operator:?} predicts failure: handing over {} requests", handovers.len());
			let signer = LocalSigner::<T, T::AuthorityId>::new(key);
			for (request_id, checkpoint) in handovers {
				if !signer.send(Call::hand_over { request_id, checkpoint }) {
					log::warn!(target: LOG_TARGET, "handover of {request_id} not submitted");
				}
			}
		}
	}

	/// Records in offchain storage that this node hands `open` over for `key`; false if it
	/// already did.
	fn claim(open: &OpenAssignment, key: &[u8; 32]) -> bool {
		let marker_key = handed_storage_key(open.request_id, &open.request_hash, key);
		StorageValueRef::persistent(&marker_key)
			.mutate(|done: Result<Option<bool>, _>| match done {
				Ok(Some(true)) => Err(()),
				_ => Ok(true),
			})
			.is_ok()
	}

	/// Keeps this node's offchain storage bounded: the markers of requests `key` handed over
	/// are kept in an index and dropped once the chain no longer assigns the request to
	/// `operator` (the handover landed, or the request settled).
	fn forget_handed(key: &[u8; 32], operator: &T::AccountId, claimed: &[OpenAssignment]) {
		let new = claimed.iter().map(|open| (open.request_id, open.request_hash));
		sweep_index(&handed_index_storage_key(key), new, |id, request_hash| {
			let finished = !T::Requests::is_assigned(operator, id);
			if finished {
				StorageValueRef::persistent(&handed_storage_key(id, request_hash, key)).clear();
			}
			finished
		});
	}

	/// The checkpoint of `open`: step 1 with the hash of what the upstream answered if the
	/// gateway's worker called it, step 0 otherwise; bound to the request's content and signed
	/// by `key`.
	fn checkpoint(
		key: &PublicOf<T>,
		raw: &[u8; 32],
		operator: &T::AccountId,
		open: &OpenAssignment,
	) -> Option<Checkpoint> {
		let attempt_key = attempt_storage_key(open.request_id, &open.request_hash, raw);
		let attempt: Option<[u8; 32]> =
			StorageValueRef::persistent(&attempt_key).get().ok().flatten();
		let mut checkpoint = Checkpoint {
			completed_steps: attempt.is_some() as u32,
			state_hash: attempt.unwrap_or_else(|| sp_io::hashing::blake2_256(b"")),
			request_hash: open.request_hash,
			signature: [0; 64],
		};
		let genesis = baton_primitives::genesis_hash::<T>();
		let signature =
			key.sign(&checkpoint_message(&genesis, open.request_id, &checkpoint, operator))?;
		checkpoint.signature = signature.encode().try_into().ok()?;
		Some(checkpoint)
	}
}
