//! Disputes of relayed calls. Two different receipts for one call by one gateway key prove
//! equivocation: the operator commits `Equivocation` and the reporter gets the reward share of
//! its slash. A challenge re-executes a receipt's call as a settled request among other
//! operators: a majority that answers otherwise proves `WrongResult`, and the slash pays the
//! challenger back its fee and the reward share. Only GET calls, and only within
//! `ChallengeWindow` blocks of the block the receipt dates its answer in: the re-execution runs
//! when the challenge is sent, and must ask the upstream what the call asked, nearly when it
//! asked.
//!
//! The verdict takes three steps: the challenge submits the re-execution; its settlement tells
//! `OnSettled`, which only notes the outcome in `Verdicts` (the gateway's settlement stays as
//! cheap as any other); the next block's hook gives the verdict, weighed as
//! `settle_challenge`.

use alloc::vec::Vec;
use baton_primitives::{
	genesis_hash, CompensatedOffence, GatewayKeys, OffenceError, OffenceKind, OnSettled,
	ReportOffence, RequestId, Rerun, SessionId, SignedRelayReceipt,
};
use codec::Encode;
use frame_support::{ensure, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Saturating;

use crate::{
	AnsweredReceiptOf, BalanceOf, Challenge, ChallengedCalls, Challenges, Config, Error, Event,
	Pallet, RelayedCallOf, RerunOutcome, Sessions, Verdict, Verdicts, LOG_TARGET,
};

/// What an offence of `operator` in session `session_id` is about: once per operator and
/// session for each kind, however many of its calls were wrong.
fn session_subject(tag: &[u8], session_id: SessionId) -> [u8; 32] {
	sp_io::hashing::blake2_256(&(tag, session_id).encode())
}

impl<T: Config> From<OffenceError> for Error<T> {
	fn from(error: OffenceError) -> Self {
		match error {
			OffenceError::Duplicate => Error::<T>::OffenceAlreadyReported,
			// Only an operator has a gateway key to sign with.
			OffenceError::UnknownOffender => Error::<T>::NoGatewayKey,
		}
	}
}

impl<T: Config> Pallet<T> {
	pub(crate) fn do_report_equivocation(
		reporter: &T::AccountId,
		operator: &T::AccountId,
		a: &SignedRelayReceipt,
		b: &SignedRelayReceipt,
	) -> DispatchResult {
		let (first, second) = (&a.receipt, &b.receipt);
		ensure!(
			(first.session_id, first.sequence) == (second.session_id, second.sequence)
				&& (first.status, first.response_hash) != (second.status, second.response_hash),
			Error::<T>::NotEquivocation
		);
		let key = T::Operators::gateway_key(operator).ok_or(Error::<T>::NoGatewayKey)?;
		let genesis = genesis_hash::<T>();
		ensure!(
			a.signed_by(&key, &genesis) && b.signed_by(&key, &genesis),
			Error::<T>::BadReceiptSignature
		);
		// Once per operator and session, however many of its calls it answered twice: the
		// session is what the client trusted it with.
		let subject = session_subject(b"baton/offence/relay-equivocation", first.session_id);
		T::Offences::report_equivocation(subject, operator, reporter).map_err(Error::<T>::from)?;
		Self::deposit_event(Event::EquivocationReported {
			session_id: first.session_id,
			sequence: first.sequence,
			operator: operator.clone(),
			reporter: reporter.clone(),
		});
		Ok(())
	}

	/// Checks `receipt` against session `session_id` and the call `request`, and has the call
	/// re-executed as a settled request that `challenger` pays for; returns its id.
	pub(crate) fn do_challenge(
		challenger: &T::AccountId,
		session_id: SessionId,
		receipt: AnsweredReceiptOf<T>,
		request: RelayedCallOf<T>,
	) -> Result<RequestId, DispatchError> {
		let session = Sessions::<T>::get(session_id).ok_or(Error::<T>::UnknownSession)?;
		let signed = &receipt.signed.receipt;
		ensure!(signed.session_id == session_id, Error::<T>::ReceiptOfAnotherSession);
		let answered_at = BlockNumberFor::<T>::from(signed.answered_at);
		ensure!(
			frame_system::Pallet::<T>::block_number()
				<= answered_at.saturating_add(T::ChallengeWindow::get()),
			Error::<T>::ChallengeWindowClosed
		);
		ensure!(T::Reruns::is_safe(&request), Error::<T>::UnsafeMethod);
		ensure!(signed.status.is_response(), Error::<T>::NotAResponse);
		ensure!(
			sp_io::hashing::blake2_256(&receipt.body) == signed.response_hash,
			Error::<T>::BodyMismatch
		);
		ensure!(
			T::Reruns::relay_request_hash(&request) == signed.request_hash,
			Error::<T>::RequestMismatch
		);
		// A relay receipt names no operator: the session's whose key signed it is the one.
		let genesis = genesis_hash::<T>();
		let index = session
			.operators
			.iter()
			.position(|o| {
				T::Operators::gateway_key(&o.operator)
					.is_some_and(|key| receipt.signed.signed_by(&key, &genesis))
			})
			.ok_or(Error::<T>::NotSessionReceipt)?;
		let operator = session.operators[index].operator.clone();
		ensure!(!session.operators[index].proven_wrong, Error::<T>::AlreadyProven);
		let sequence = signed.sequence;
		let call = (session_id, operator.clone(), sequence);
		// Keyed by the receipt, not the operator: an operator challenging its own correct
		// receipts cannot hold off a challenge of another.
		ensure!(!ChallengedCalls::<T>::contains_key(&call), Error::<T>::ChallengePending);

		let (request_id, answer_key) = T::Reruns::rerun(
			challenger,
			session.api_id,
			request,
			&operator,
			T::MinChallengeRedundancy::get(),
			&signed.status,
			&receipt.body,
		)?;
		ChallengedCalls::<T>::insert(&call, request_id);
		Challenges::<T>::insert(
			request_id,
			Challenge {
				session_id,
				sequence,
				operator: operator.clone(),
				challenger: challenger.clone(),
				answer_key,
			},
		);
		Self::deposit_event(Event::Challenged {
			session_id,
			sequence,
			operator,
			challenger: challenger.clone(),
			request_id,
		});
		Ok(request_id)
	}

	/// Gives at most `MaxTasksPerBlock` challenges whose re-executions settled their verdicts;
	/// returns how many.
	pub(crate) fn give_verdicts() -> u32 {
		let due: Vec<_> =
			Verdicts::<T>::drain().take(T::MaxTasksPerBlock::get() as usize).collect();
		for (request_id, outcome) in &due {
			Self::settle_challenge(*request_id, outcome);
		}
		due.len() as u32
	}

	/// Gives the challenge that request `request_id` re-executed its verdict.
	pub(crate) fn settle_challenge(request_id: RequestId, outcome: &RerunOutcome<BalanceOf<T>>) {
		let Some(challenge) = Challenges::<T>::take(request_id) else {
			frame_support::defensive!("a verdict is noted only for a challenge");
			return;
		};
		ChallengedCalls::<T>::remove((
			challenge.session_id,
			challenge.operator.clone(),
			challenge.sequence,
		));
		let paid = outcome.paid;
		let verdict = match outcome.majority {
			Some(key) if key != challenge.answer_key => Verdict::Upheld,
			Some(_) => Verdict::Rejected,
			None => Verdict::Inconclusive,
		};
		if verdict == Verdict::Upheld {
			let subject =
				session_subject(b"baton/offence/relay-wrong-result", challenge.session_id);
			if let Err(error) = T::Offences::report_compensated_offence(
				OffenceKind::WrongResult,
				subject,
				&challenge.operator,
				challenge.challenger.clone(),
				paid,
			) {
				// An operator whose stake has all gone has nothing left to slash; one proven
				// wrong in the session by another challenge settled meanwhile counts once.
				log::warn!(
					target: LOG_TARGET,
					"WrongResult of {:?} in session {} not taken: {error:?}",
					challenge.operator,
					challenge.session_id
				);
			}
		}
		if verdict == Verdict::Upheld {
			// The session may have settled meanwhile; then there is nothing to mark.
			Sessions::<T>::mutate(challenge.session_id, |session| {
				let Some(session) = session else { return };
				if let Some(operator) =
					session.operators.iter_mut().find(|o| o.operator == challenge.operator)
				{
					operator.proven_wrong = true;
				}
			});
		}
		Self::deposit_event(Event::ChallengeSettled {
			session_id: challenge.session_id,
			sequence: challenge.sequence,
			operator: challenge.operator,
			request_id,
			verdict,
		});
	}
}

impl<T: Config> OnSettled<BalanceOf<T>> for Pallet<T> {
	fn on_settled(request_id: RequestId, majority: Option<[u8; 32]>, paid: BalanceOf<T>) {
		if Challenges::<T>::contains_key(request_id) {
			Verdicts::<T>::insert(request_id, RerunOutcome { majority, paid });
		}
	}

	fn weight() -> Weight {
		T::DbWeight::get().reads_writes(1, 1)
	}
}
