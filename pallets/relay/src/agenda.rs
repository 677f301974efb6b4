//! The block hook's agenda: sessions expire after their last block, and settle once their
//! claim window has passed. Bounded per block; what does not fit waits for the next one.

use alloc::vec::Vec;
use baton_primitives::{session_escrow, Escrow, SessionId};
use frame_support::{defensive, traits::Get};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, Zero};

use crate::{Agenda, AgendaCursor, AgendaTask, ClientSessions, Config, Event, Pallet, Sessions};

impl<T: Config> Pallet<T> {
	/// Works through the agenda from the earliest block that may hold tasks up to `now`, at
	/// most `MaxTasksPerBlock` tasks. Returns how many sessions it expired and settled.
	pub(crate) fn process_agenda(now: BlockNumberFor<T>) -> (u32, u32) {
		let budget = T::MaxTasksPerBlock::get();
		let (mut expired, mut settled) = (0u32, 0u32);
		let mut block = AgendaCursor::<T>::get();
		if block.is_zero() {
			block = now;
		}
		while block <= now {
			let due: Vec<(SessionId, AgendaTask)> = Agenda::<T>::iter_prefix(block)
				.take((budget - expired - settled) as usize)
				.collect();
			for (session_id, task) in due {
				Agenda::<T>::remove(block, session_id);
				match task {
					AgendaTask::Expire => {
						if let Err(error) = Self::do_close_session(None, session_id) {
							defensive!(
								(session_id, error),
								"closing removes a session's expiry from the agenda"
							);
						}
						expired += 1;
					},
					AgendaTask::Settle => {
						Self::settle(session_id);
						settled += 1;
					},
				}
			}
			if expired + settled >= budget {
				break;
			}
			block.saturating_inc();
		}
		AgendaCursor::<T>::put(block.min(now.saturating_add(1u32.into())));
		(expired, settled)
	}

	/// Refunds what a closed session's operators did not claim, feeds its report's outcomes to
	/// reputation and removes it.
	fn settle(session_id: SessionId) {
		let Some(session) = Sessions::<T>::take(session_id) else { return };
		ClientSessions::<T>::remove(&session.client, session_id);
		Self::apply_outcomes(session_id, &session);
		let refunded = T::Escrow::refund(session_escrow(session_id));
		Self::deposit_event(Event::SessionSettled { session_id, refunded });
	}
}
