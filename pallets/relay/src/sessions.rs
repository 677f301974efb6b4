//! The life of a session: opened with operators chosen by routing and allowances held in
//! escrow, topped up, claimed from by its operators' vouchers, closed.

use baton_primitives::{
	genesis_hash, session_escrow, ticket_message, ApiId, Escrow, GatewayKeys, SessionId,
	SessionRouting,
};
use codec::Encode;
use frame_support::{defensive, ensure, pallet_prelude::*, traits::DefensiveResult};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Bounded, Saturating, Verify, Zero};

use crate::{
	Agenda, AgendaTask, BalanceOf, ClientSessions, Config, Error, Event, NextSessionId, Pallet,
	Session, SessionOf, SessionOperator, SessionReportOf, SessionStatus, Sessions, VoucherOf,
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_open_session(
		client: &T::AccountId,
		api_id: ApiId,
		operators: u32,
		allowance: BalanceOf<T>,
		blocks: BlockNumberFor<T>,
	) -> Result<SessionId, DispatchError> {
		ensure!(
			(1..=T::MaxOperators::get()).contains(&operators),
			Error::<T>::InvalidOperatorCount
		);
		ensure!(
			blocks >= T::MinSessionBlocks::get() && blocks <= T::MaxSessionBlocks::get(),
			Error::<T>::InvalidDuration
		);
		let price = T::Router::call_price(api_id)?;
		ensure!(allowance >= price.per_call(), Error::<T>::AllowanceTooSmall);
		let session_id = NextSessionId::<T>::get();
		// Held first: routing then counts the session against its operators' capacity, and a
		// failed call undoes both (a dispatch is transactional).
		let total = allowance.saturating_mul(operators.into());
		T::Escrow::hold(session_escrow(session_id), client, total)?;
		let subject = (b"baton/session", session_id).encode();
		let chosen = T::Router::route_session(api_id, &subject, operators)?;
		if chosen.len() != operators as usize {
			defensive!("routing returns as many operators as asked for, or fails");
			return Err(Error::<T>::Defensive.into());
		}
		let operators: BoundedVec<_, T::MaxOperators> = chosen
			.into_iter()
			.map(|operator| SessionOperator { operator, claimed_calls: 0, proven_wrong: false })
			.collect::<alloc::vec::Vec<_>>()
			.try_into()
			.defensive_map_err(|_| Error::<T>::Defensive)?;

		let now = frame_system::Pallet::<T>::block_number();
		let expires_at = now.saturating_add(blocks);
		let session = Session {
			client: client.clone(),
			api_id,
			price,
			allowance,
			operators,
			opened_at: now,
			expires_at,
			status: SessionStatus::Open,
		};
		let (due, task) = Self::agenda_entry(&session);
		Agenda::<T>::insert(due, session_id, task);
		ClientSessions::<T>::insert(client, session_id, ());
		NextSessionId::<T>::put(session_id.saturating_add(1));
		Self::deposit_event(Event::SessionOpened {
			session_id,
			client: client.clone(),
			api_id,
			operators: session.operators.iter().map(|o| o.operator.clone()).collect(),
			expires_at,
		});
		Sessions::<T>::insert(session_id, session);
		Ok(session_id)
	}

	pub(crate) fn do_top_up(
		client: &T::AccountId,
		session_id: SessionId,
		allowance: BalanceOf<T>,
	) -> DispatchResult {
		let mut session = Sessions::<T>::get(session_id).ok_or(Error::<T>::UnknownSession)?;
		ensure!(&session.client == client, Error::<T>::NotClient);
		ensure!(session.status == SessionStatus::Open, Error::<T>::SessionClosed);
		ensure!(!allowance.is_zero(), Error::<T>::ZeroTopUp);
		let total = allowance.saturating_mul((session.operators.len() as u32).into());
		T::Escrow::hold_more(session_escrow(session_id), client, total)?;
		session.allowance.saturating_accrue(allowance);
		Sessions::<T>::insert(session_id, session);
		Self::deposit_event(Event::ToppedUp { session_id, allowance });
		Ok(())
	}

	/// Closes `session_id` for `who` with its report (its client, or anyone once it expired
	/// with an empty report), or for the hook when `who` is `None`.
	pub(crate) fn do_close_session(
		who: Option<(&T::AccountId, SessionReportOf<T>)>,
		session_id: SessionId,
	) -> DispatchResult {
		let mut session = Sessions::<T>::get(session_id).ok_or(Error::<T>::UnknownSession)?;
		ensure!(session.status == SessionStatus::Open, Error::<T>::SessionClosed);
		let now = frame_system::Pallet::<T>::block_number();
		if let Some((who, report)) = who {
			let client = who == &session.client;
			ensure!(client || now > session.expires_at, Error::<T>::NotClient);
			ensure!(client || report.is_empty(), Error::<T>::ReportNotClient);
			Self::check_report(&session, &report)?;
			Self::take_report(session_id, &session, report)?;
		}
		for operator in &session.operators {
			T::Router::release_session(&operator.operator);
		}
		Agenda::<T>::remove(Self::agenda_entry(&session).0, session_id);
		session.status = SessionStatus::Closed { at: now };
		let (due, task) = Self::agenda_entry(&session);
		Agenda::<T>::insert(due, session_id, task);
		let claims_until = Self::claims_until(&session);
		Sessions::<T>::insert(session_id, session);
		Self::deposit_event(Event::SessionClosed { session_id, claims_until });
		Ok(())
	}

	/// Where `session` stands on the agenda: open, to expire in the block after its last;
	/// closed, to settle in the block after its claim window.
	pub(crate) fn agenda_entry(session: &SessionOf<T>) -> (BlockNumberFor<T>, AgendaTask) {
		let (last, task) = match session.status {
			SessionStatus::Open => (session.expires_at, AgendaTask::Expire),
			SessionStatus::Closed { .. } => (Self::claims_until(session), AgendaTask::Settle),
		};
		(last.saturating_add(1u32.into()), task)
	}

	/// The last block `session` takes claims in.
	pub(crate) fn claims_until(session: &SessionOf<T>) -> BlockNumberFor<T> {
		let closes_at = match session.status {
			SessionStatus::Open => session.expires_at,
			SessionStatus::Closed { at } => at,
		};
		closes_at.saturating_add(T::ClaimWindow::get())
	}

	pub(crate) fn do_claim(
		signer: &T::AccountId,
		session_id: SessionId,
		voucher: VoucherOf<T>,
	) -> DispatchResult {
		let (operator, _) =
			T::Operators::operator_of_signer(signer).ok_or(Error::<T>::NotGatewayKey)?;
		let mut session = Sessions::<T>::get(session_id).ok_or(Error::<T>::UnknownSession)?;
		let index = session
			.operators
			.iter()
			.position(|o| o.operator == operator)
			.ok_or(Error::<T>::NotSessionOperator)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now <= Self::claims_until(&session), Error::<T>::ClaimWindowOver);
		let message = ticket_message(
			&genesis_hash::<T>(),
			session_id,
			voucher.sequence,
			&operator,
			&voucher.request_hash,
			voucher.calls,
			&voucher.amount,
		);
		ensure!(voucher.signature.verify(&message[..], &session.client), Error::<T>::BadSignature);
		let payable = Self::payable_calls(&session, voucher.calls, voucher.amount);
		let claimed = session.operators[index].claimed_calls;
		ensure!(payable > claimed, Error::<T>::NothingToClaim);

		let calls = payable - claimed;
		let paid = session.price.operator.saturating_mul(Self::balance_of(calls));
		let protocol_fee = session.price.protocol_fee.saturating_mul(Self::balance_of(calls));
		let escrow = session_escrow(session_id);
		// The escrow holds every operator's allowance less what it was paid, and `payable`
		// stays within the allowance.
		if let Err(error) = T::Escrow::pay(escrow, &operator, paid) {
			defensive!((session_id, error), "the escrow holds the operator's allowance");
		}
		if let Err(error) = T::Escrow::pay(escrow, &T::Treasury::get(), protocol_fee) {
			defensive!((session_id, error), "the escrow holds the allowance's protocol fees");
		}
		session.operators[index].claimed_calls = payable;
		Sessions::<T>::insert(session_id, session);
		Self::deposit_event(Event::Claimed { session_id, operator, calls, paid, protocol_fee });
		Ok(())
	}

	/// The calls a voucher for `calls` calls and `amount` pays for in `session`: no more than
	/// the amount covers at the session's price, nor than the allowance does.
	pub(crate) fn payable_calls(session: &SessionOf<T>, calls: u64, amount: BalanceOf<T>) -> u64 {
		let cost = session.price.per_call();
		let covered = |funds: BalanceOf<T>| -> u64 {
			if cost.is_zero() {
				return u64::MAX;
			}
			(funds / cost).try_into().unwrap_or(u64::MAX)
		};
		calls.min(covered(amount)).min(covered(session.allowance))
	}

	/// A number of calls as a balance, to multiply prices with.
	pub(crate) fn balance_of(calls: u64) -> BalanceOf<T> {
		calls.try_into().unwrap_or_else(|_| BalanceOf::<T>::max_value())
	}
}
