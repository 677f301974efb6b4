//! A session's close report: its handovers go into the handover log when the session closes,
//! its outcomes into reputation when it settles, once its claims show what the client paid
//! for. The damage rule, so that a client moves an operator's score no more than its paid calls
//! justify (README, "Close reports"):
//! - at most one outcome per operator per session;
//! - `Failed` only if the client reported more failed calls for the operator than the operator
//!   was paid for, and paid the session's operators for at least as many calls in all;
//! - else `Completed` (at the reported latency, capped at the API's timeout) if it was paid
//!   for a call; else nothing.

use alloc::collections::BTreeSet;
use baton_primitives::{
	session_escrow, HandoverLog, HandoverReason, Outcome, ReputationSink, SessionId, SessionRouting,
};
use frame_support::{ensure, pallet_prelude::*};

use crate::{Config, Error, Outcomes, Pallet, SessionOf, SessionReportOf};

impl<T: Config> Pallet<T> {
	/// Checks `report` against `session`: every operator it names is the session's, nobody
	/// takes over from itself, handovers come in sequence order, one outcome per operator.
	pub(crate) fn check_report(
		session: &SessionOf<T>,
		report: &SessionReportOf<T>,
	) -> DispatchResult {
		let serves = |who: &T::AccountId| session.operators.iter().any(|o| &o.operator == who);
		let mut last = 0;
		for handover in &report.handovers {
			ensure!(serves(&handover.from) && serves(&handover.to), Error::<T>::NotSessionOperator);
			ensure!(handover.from != handover.to, Error::<T>::SelfHandover);
			ensure!(handover.sequence >= last, Error::<T>::HandoversOutOfOrder);
			last = handover.sequence;
		}
		let mut named = BTreeSet::new();
		for outcome in &report.outcomes {
			ensure!(serves(&outcome.operator), Error::<T>::NotSessionOperator);
			ensure!(named.insert(&outcome.operator), Error::<T>::DuplicateOutcome);
		}
		Ok(())
	}

	/// Logs a checked report's handovers under the session's escrow id (the handover log's
	/// subjects: request ids, and sessions' escrow ids, which never meet them) and keeps its
	/// outcomes for settlement.
	pub(crate) fn take_report(
		session_id: SessionId,
		session: &SessionOf<T>,
		report: SessionReportOf<T>,
	) -> DispatchResult {
		for handover in &report.handovers {
			let reason =
				HandoverReason::Relay { sequence: handover.sequence, cause: handover.cause };
			T::Handovers::record(
				session_escrow(session_id),
				&handover.from,
				&handover.to,
				reason,
				None,
			)?;
			T::Reputation::record(&handover.from, session.api_id, Outcome::HandedOver);
			T::Reputation::record(&handover.to, session.api_id, Outcome::TookOver);
		}
		if !report.outcomes.is_empty() {
			Outcomes::<T>::insert(session_id, report.outcomes);
		}
		Ok(())
	}

	/// Feeds a settling session's reported outcomes to reputation by the damage rule, and
	/// drops its handover log. Returns how many outcomes it recorded.
	pub(crate) fn apply_outcomes(session_id: SessionId, session: &SessionOf<T>) -> u32 {
		T::Handovers::forget(session_escrow(session_id));
		let Some(outcomes) = Outcomes::<T>::take(session_id) else { return 0 };
		let paid: u64 = session.operators.iter().map(|o| o.claimed_calls).sum();
		let timeout = T::Router::timeout_ms(session.api_id);
		let mut recorded = 0;
		for reported in outcomes {
			let Some(claimed) = Self::claimed_by(session, &reported.operator) else { continue };
			let outcome = if reported.failed_calls > claimed && reported.failed_calls <= paid {
				Outcome::Failed
			} else if claimed > 0 {
				let Some(timeout) = timeout else { continue };
				Outcome::Completed { latency_ms: reported.latency_ms.min(timeout) }
			} else {
				continue;
			};
			T::Reputation::record(&reported.operator, session.api_id, outcome);
			recorded += 1;
		}
		recorded
	}

	fn claimed_by(session: &SessionOf<T>, who: &T::AccountId) -> Option<u64> {
		session.operators.iter().find(|o| &o.operator == who).map(|o| o.claimed_calls)
	}
}
