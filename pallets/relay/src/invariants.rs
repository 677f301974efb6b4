//! The invariants listed in the README, checked after every test and by `try-runtime`.

use baton_primitives::{session_escrow, Escrow};
use frame_support::ensure;
use sp_runtime::traits::{Saturating, Zero};

use crate::{
	Agenda, BalanceOf, ChallengeState, Challenges, ClientSessions, Config, Outcomes, Pallet,
	SessionStatus, Sessions,
};

impl<T: Config> Pallet<T> {
	/// Built with `std` too (the module is): the pallet's mock and the runtime's tests, which
	/// build in release (no `debug_assertions`), check it after every test.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		for (session_id, session) in Sessions::<T>::iter() {
			let cost = session.price.per_call();
			let mut unclaimed = BalanceOf::<T>::zero();
			for (i, operator) in session.operators.iter().enumerate() {
				let claimed = cost.saturating_mul(Self::balance_of(operator.claimed_calls));
				ensure!(claimed <= session.allowance, "an operator claimed beyond its allowance");
				unclaimed.saturating_accrue(session.allowance.saturating_sub(claimed));
				ensure!(
					session.operators.iter().skip(i + 1).all(|o| o.operator != operator.operator),
					"an operator twice in one session"
				);
				if let ChallengeState::Pending { request_id } = operator.challenge {
					let challenge =
						Challenges::<T>::get(request_id).ok_or("a pending challenge not kept")?;
					ensure!(
						(challenge.session_id, &challenge.operator)
							== (session_id, &operator.operator),
						"a pending challenge kept for another session or operator"
					);
				}
			}
			ensure!(
				T::Escrow::held(session_escrow(session_id)) == unclaimed,
				"a session's escrow differs from its unclaimed allowances"
			);
			ensure!(
				ClientSessions::<T>::contains_key(&session.client, session_id),
				"a session missing from its client's index"
			);
			// Open: due to expire, and not yet to settle; closed: due to settle once, so a
			// refunded session is never claimable (settling removes it).
			let (due, task) = Self::agenda_entry(&session);
			ensure!(
				Agenda::<T>::get(due, session_id) == Some(task),
				"a session missing from the agenda"
			);
		}
		for (block, session_id, _) in Agenda::<T>::iter() {
			let session = Sessions::<T>::get(session_id).ok_or("the agenda names no session")?;
			ensure!(block == Self::agenda_entry(&session).0, "a stale agenda entry");
		}
		for (session_id, _) in Outcomes::<T>::iter() {
			let session = Sessions::<T>::get(session_id).ok_or("outcomes of no session")?;
			ensure!(session.status != SessionStatus::Open, "outcomes of an open session");
		}
		for (request_id, challenge) in Challenges::<T>::iter() {
			// A session that settled before its challenge did is gone; one that is kept knows
			// its challenge.
			if let Some(session) = Sessions::<T>::get(challenge.session_id) {
				let pending = ChallengeState::Pending { request_id };
				ensure!(
					session
						.operators
						.iter()
						.any(|o| o.operator == challenge.operator && o.challenge == pending),
					"a challenge its session does not know of"
				);
			}
		}
		for (_, session_id, ()) in ClientSessions::<T>::iter() {
			ensure!(Sessions::<T>::contains_key(session_id), "the client index names no session");
		}
		Ok(())
	}
}
