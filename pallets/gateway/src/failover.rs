//! Failover, one path for every way a request's work passes to a backup, each move logged in the
//! handover pallet:
//! - at the end of the backup grace, the next backup is armed beside each operator routing
//!   assigned that has not reported: both execute, and the first reports settle
//!   (`arm_backups`);
//! - at the deadline, an assigned operator that has not reported passes its slot to the backup
//!   armed beside it (`promote_armed`) or else to the next backup (`do_reassign`), and commits
//!   `MissedDeadline`;
//! - an operator hands its request over itself, with a checkpoint, through the handover pallet.
//!
//! When no backup is left the request settles with what it has, which refunds the client in
//! full unless a majority already answered.

use alloc::vec::Vec;
use baton_primitives::{
	Checkpoint, HandoverLog, HandoverReason, OffenceKind, OpenAssignment, OperatorRouting, Outcome,
	Reassign, ReputationSink, RequestId, RequestStatus,
};
use frame_support::{ensure, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Saturating;

use crate::{Agenda, AgendaTask, Assignments, Config, Error, Load, Pallet, Request, Requests};

impl<T: Config> Pallet<T> {
	/// Blocks a successor gets: the request's timeout in blocks, rounded up, plus the margin.
	fn extension(request: &Request<T>) -> BlockNumberFor<T> {
		Self::timeout_blocks(request.terms.timeout_ms).saturating_add(T::HandoverMargin::get())
	}

	/// Why an operator's silence passes its work on: `offline` when heartbeats marked it so,
	/// else `timeout`.
	pub(crate) fn silence_reason(operator: &T::AccountId) -> HandoverReason {
		if T::Operators::is_online(operator) {
			HandoverReason::Timeout
		} else {
			HandoverReason::Offline
		}
	}

	/// The deadline of a request whose slot passes to a successor now: the successor gets its
	/// whole timeout and a block to report in, within the request's lifetime, or the request is
	/// not handed to it (it would be charged for a deadline it could not meet).
	fn successor_deadline(
		request: &Request<T>,
		now: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let end_of_life = request.submitted_at.saturating_add(T::MaxLifetime::get());
		let deadline = now
			.saturating_add(Self::extension(request))
			.min(end_of_life)
			.max(request.deadline);
		ensure!(
			deadline >= Self::earliest_deadline(now, request.terms.timeout_ms),
			Error::<T>::LifetimeExhausted
		);
		Ok(deadline)
	}

	/// Moves `request`'s deadline, and its settlement on the agenda, to `deadline`.
	fn move_deadline(request_id: RequestId, request: &mut Request<T>, deadline: BlockNumberFor<T>) {
		if deadline != request.deadline {
			Agenda::<T>::remove(request.deadline.saturating_add(1u32.into()), request_id);
			Agenda::<T>::insert(
				deadline.saturating_add(1u32.into()),
				request_id,
				AgendaTask::Settle,
			);
			request.deadline = deadline;
		}
	}

	/// The first backup that may take work now and does not execute the request already; the
	/// backups before it (no longer available) are dropped with it.
	fn next_backup(request: &mut Request<T>) -> Option<T::AccountId> {
		let position = request.backups.iter().position(|who| {
			!request.executed_by(who)
				&& T::Operators::candidate(who)
					.is_some_and(|candidate| Load::<T>::get(who) < candidate.capacity)
		})?;
		let successor = request.backups[position].clone();
		let rest = request.backups.iter().skip(position + 1).cloned().collect();
		// Fewer than before: nothing is cut.
		request.backups = BoundedVec::truncate_from(rest);
		Some(successor)
	}

	pub(crate) fn do_reassign(
		request_id: RequestId,
		from: &T::AccountId,
		reason: HandoverReason,
		checkpoint: Option<Checkpoint>,
	) -> Result<T::AccountId, DispatchError> {
		let mut request = Requests::<T>::get(request_id).ok_or(Error::<T>::UnknownRequest)?;
		ensure!(request.status == RequestStatus::Pending, Error::<T>::RequestFinished);
		// An armed backup has an open assignment but no slot to pass on.
		ensure!(
			request.assigned.contains(from) && Assignments::<T>::contains_key(from, request_id),
			Error::<T>::NotAssigned
		);
		let now = frame_system::Pallet::<T>::block_number();
		let expired = matches!(reason, HandoverReason::Timeout | HandoverReason::Offline);
		ensure!(expired || now <= request.deadline, Error::<T>::DeadlinePassed);
		let deadline = Self::successor_deadline(&request, now)?;
		ensure!(T::Handovers::has_room(request_id), Error::<T>::TooManyHandovers);
		let to = Self::next_backup(&mut request).ok_or(Error::<T>::NoBackupLeft)?;

		// Every check passed. The log's record comes first: it is the one write that can still
		// fail (`has_room` said it would not), and a failure then leaves nothing half-done.
		T::Handovers::record(request_id, from, &to, reason, checkpoint)?;
		if let Some(slot) = request.assigned.iter_mut().find(|who| *who == from) {
			*slot = to.clone();
		}
		Self::unassign(from, request_id);
		Self::assign(&to, request_id);
		Self::move_deadline(request_id, &mut request, deadline);
		let api_id = request.api_id;
		Requests::<T>::insert(request_id, request);

		// The successor takes the fee at settlement and the beneficiary's share of the slash.
		match reason {
			HandoverReason::Timeout | HandoverReason::Offline => {
				Self::missed_deadline(request_id, api_id, from, Some(to.clone()));
			},
			HandoverReason::Fraud => {
				T::Reputation::record(from, api_id, Outcome::Failed);
				Self::report_for(
					OffenceKind::InvalidCheckpoint,
					request_id,
					from,
					Some(to.clone()),
				);
			},
			// Relay handovers come from a session's close report, never through here.
			HandoverReason::Voluntary | HandoverReason::Relay { .. } => {},
		}
		T::Reputation::record(from, api_id, Outcome::HandedOver);
		T::Reputation::record(&to, api_id, Outcome::TookOver);
		Ok(to)
	}

	/// The end of `request_id`'s backup grace: arms the next backup beside each operator
	/// routing assigned that has not reported, logged as a `timeout` (or `offline`) handover.
	/// The operator keeps its assignment and may still report; the backup executes and reports
	/// as an assigned operator does, and the first reports settle the request. An operator that
	/// took the request over since submission is left to its own deadline.
	pub(crate) fn arm_backups(request_id: RequestId) {
		let Some(mut request) = Requests::<T>::get(request_id) else { return };
		if request.status != RequestStatus::Pending {
			return;
		}
		let silent: Vec<T::AccountId> = request
			.assigned
			.iter()
			.zip(request.routed.iter())
			.filter(|(who, routed)| who == routed && !request.reported_by(who))
			.map(|(who, _)| who.clone())
			.collect();
		for from in silent {
			// As many armed as assigned operators at most, each beside one.
			if request.armed.is_full() || !T::Handovers::has_room(request_id) {
				break;
			}
			let Some(to) = Self::next_backup(&mut request) else { break };
			let reason = Self::silence_reason(&from);
			// The log's record first: the one write that can fail (`has_room` said it would
			// not), leaving nothing half-done.
			if T::Handovers::record(request_id, &from, &to, reason, None).is_err() {
				break;
			}
			if request.armed.try_push((to.clone(), from.clone())).is_err() {
				frame_support::defensive!("`is_full` said there was room");
				break;
			}
			Self::assign(&to, request_id);
			T::Reputation::record(&from, request.api_id, Outcome::HandedOver);
			T::Reputation::record(&to, request.api_id, Outcome::TookOver);
		}
		Requests::<T>::insert(request_id, request);
	}

	/// `from` let its deadline pass without reporting, and a backup is armed beside it: the
	/// backup takes `from`'s slot (the arm's record in the log is the slot's handover), and
	/// `from` commits `MissedDeadline` with the backup as beneficiary. A backup that has not
	/// reported yet gets a successor's time to. Returns whether the request waits for it.
	pub(crate) fn promote_armed(
		request_id: RequestId,
		from: &T::AccountId,
	) -> Result<bool, DispatchError> {
		let mut request = Requests::<T>::get(request_id).ok_or(Error::<T>::UnknownRequest)?;
		let backup = request.armed_beside(from).cloned().ok_or(Error::<T>::NoBackupLeft)?;
		let now = frame_system::Pallet::<T>::block_number();
		let waits = !request.reported_by(&backup);
		let deadline =
			if waits { Self::successor_deadline(&request, now)? } else { request.deadline };
		request.armed.retain(|(armed, _)| armed != &backup);
		if let Some(slot) = request.assigned.iter_mut().find(|who| *who == from) {
			*slot = backup.clone();
		}
		Self::unassign(from, request_id);
		Self::move_deadline(request_id, &mut request, deadline);
		let api_id = request.api_id;
		Requests::<T>::insert(request_id, request);
		Self::missed_deadline(request_id, api_id, from, Some(backup));
		Ok(waits)
	}
}

impl<T: Config> Reassign<T::AccountId> for Pallet<T> {
	fn reassign(
		request_id: RequestId,
		from: &T::AccountId,
		reason: HandoverReason,
		checkpoint: Option<Checkpoint>,
	) -> Result<T::AccountId, DispatchError> {
		Self::do_reassign(request_id, from, reason, checkpoint)
	}

	fn open_assignments(operator: &T::AccountId, max: u32) -> Vec<OpenAssignment> {
		Assignments::<T>::iter_key_prefix(operator)
			.filter_map(|request_id| {
				let request = Requests::<T>::get(request_id)?;
				// An armed backup's work is not its to hand over: it may simply not report.
				if !request.assigned.contains(operator) {
					return None;
				}
				let (request_hash, api_id, timeout_ms) =
					(request.request_hash, request.api_id, request.terms.timeout_ms);
				Some(OpenAssignment { request_id, request_hash, api_id, timeout_ms })
			})
			.take(max as usize)
			.collect()
	}

	fn request_hash(request_id: RequestId) -> Option<[u8; 32]> {
		Requests::<T>::get(request_id).map(|request| request.request_hash)
	}

	fn is_assigned(operator: &T::AccountId, request_id: RequestId) -> bool {
		Assignments::<T>::contains_key(operator, request_id)
	}
}
