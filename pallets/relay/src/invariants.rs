//! The invariants listed in the README, checked after every test and by `try-runtime`.

use baton_primitives::{session_escrow, Escrow};
use frame_support::ensure;
use sp_runtime::traits::{Saturating, Zero};

use crate::{
	Agenda, BalanceOf, ChallengedCalls, Challenges, ClientSessions, Config, Outcomes, Pallet,
	SessionStatus, Sessions, Verdicts,
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
		// Every challenge being settled is its receipt's one, and the other way round; a
		// noted verdict is a challenge's.
		let mut challenged = 0u32;
		for (request_id, challenge) in Challenges::<T>::iter() {
			let call = (challenge.session_id, challenge.operator, challenge.sequence);
			ensure!(
				ChallengedCalls::<T>::get(call) == Some(request_id),
				"a challenge its receipt does not name"
			);
			challenged += 1;
		}
		ensure!(
			ChallengedCalls::<T>::iter().count() as u32 == challenged,
			"a challenged receipt with no challenge"
		);
		for (request_id, _) in Verdicts::<T>::iter() {
			ensure!(Challenges::<T>::contains_key(request_id), "a verdict of no challenge");
		}
		for (_, session_id, ()) in ClientSessions::<T>::iter() {
			ensure!(Sessions::<T>::contains_key(session_id), "the client index names no session");
		}
		Ok(())
	}
}
