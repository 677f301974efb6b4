//! Deadlines, in one place: the deadline a submission may set (fair to an operator that calls
//! the upstream for the API's whole timeout), and the agenda the block hook works through —
//! each request's deadline, where an operator that did not report passes to a backup
//! (failover.rs) or the request settles (settlement.rs), and its pruning once finished.

use alloc::vec::Vec;
use baton_primitives::{
	offchain::keys::response_storage_key, HandoverLog, RequestId, RequestStatus,
};
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{Saturating, Zero},
	SaturatedConversion,
};

use crate::{Agenda, AgendaCursor, AgendaTask, Config, Pallet, Requests, SealedCalls};

impl<T: Config> Pallet<T> {
	/// Blocks an upstream call of `timeout_ms` may take: the timeout in blocks, rounded up.
	pub(crate) fn timeout_blocks(timeout_ms: u32) -> BlockNumberFor<T> {
		let blocks = (timeout_ms as u64).div_ceil(T::MillisPerBlock::get());
		BlockNumberFor::<T>::saturated_from(blocks)
	}

	/// The earliest deadline fair to an operator that starts a call of `timeout_ms` in block
	/// `start`: the whole timeout, then a block for its report to land in. An operator whose
	/// deadline passes is charged, so no one may set a deadline its call could still be running
	/// at (a client could otherwise have an honest operator slashed at will).
	pub(crate) fn earliest_deadline(
		start: BlockNumberFor<T>,
		timeout_ms: u32,
	) -> BlockNumberFor<T> {
		start
			.saturating_add(Self::timeout_blocks(timeout_ms))
			.saturating_add(1u32.into())
	}

	/// Settles requests whose deadline passed — or hands them to backups — and prunes finished
	/// ones, from the agenda of the earliest unfinished block up to `now`: at most
	/// `MaxTasksPerBlock` tasks, of them at most `MaxExpiriesPerBlock` deadlines. Returns how
	/// many it settled and pruned.
	pub(crate) fn process_agenda(now: BlockNumberFor<T>) -> (u32, u32) {
		let budget = T::MaxTasksPerBlock::get();
		let (mut settled, mut pruned) = (0u32, 0u32);
		let mut block = AgendaCursor::<T>::get();
		if block.is_zero() {
			block = now;
		}
		'blocks: while block <= now {
			let due: Vec<(RequestId, AgendaTask)> = Agenda::<T>::iter_prefix(block)
				.take((budget - settled - pruned) as usize)
				.collect();
			for (request_id, task) in &due {
				if *task == AgendaTask::Settle && settled == T::MaxExpiriesPerBlock::get() {
					// The cursor stays on this block: the next one goes on from here.
					break 'blocks;
				}
				Agenda::<T>::remove(block, request_id);
				match task {
					AgendaTask::Settle => {
						Self::expire(*request_id, now);
						settled += 1;
					},
					AgendaTask::Prune => {
						// Every indexing node drops the bodies of the request's reports with it.
						for report in
							Requests::<T>::take(request_id).into_iter().flat_map(|r| r.reports)
						{
							sp_io::offchain_index::clear(&response_storage_key(
								*request_id,
								&report.operator,
							));
						}
						// Bounded: one envelope per operator and backup.
						let _ = SealedCalls::<T>::clear_prefix(
							request_id,
							crate::SealedEnvelopes::<T>::get(),
							None,
						);
						T::Handovers::forget(*request_id);
						pruned += 1;
					},
				}
			}
			if settled + pruned >= budget {
				break;
			}
			block.saturating_inc();
		}
		AgendaCursor::<T>::put(block.min(now.saturating_add(1u32.into())));
		(settled, pruned)
	}

	/// The first block after `request_id`'s deadline: passes the slot of each operator that did
	/// not report to the backup armed beside it, or else to the next backup, and settles when
	/// the request waits for no one.
	pub(crate) fn expire(request_id: RequestId, now: BlockNumberFor<T>) {
		let Some(request) = Requests::<T>::get(request_id) else { return };
		if request.status != RequestStatus::Pending {
			return;
		}
		// No operator could execute a request its client never sealed: nobody's fault.
		if !request.executable() {
			return Self::expire_unsealed(request_id, request, now);
		}
		let missing: Vec<T::AccountId> = request
			.assigned
			.iter()
			.filter(|who| !request.reported_by(who))
			.cloned()
			.collect();
		let mut waits = false;
		let mut stranded = Vec::new();
		for operator in missing {
			match Self::promote_armed(request_id, &operator) {
				Ok(promoted_waits) => waits |= promoted_waits,
				Err(_) => match Self::do_reassign(
					request_id,
					&operator,
					Self::silence_reason(&operator),
					None,
				) {
					Ok(_) => waits = true,
					Err(_) => stranded.push(operator),
				},
			}
		}
		let Some(mut request) = Requests::<T>::get(request_id) else { return };
		if waits {
			// The request goes on under a later deadline, which could otherwise settle it
			// within and spare them: those no one took over from are charged for this one now
			// (once per request, however often), and may still report until the new one.
			for operator in stranded {
				Self::missed_deadline(request_id, request.api_id, &operator, None);
			}
		} else {
			Self::settle(request_id, &mut request, now);
			Requests::<T>::insert(request_id, request);
		}
	}
}
