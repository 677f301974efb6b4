//! Sealed requests: a client's headers and body sealed to each operator routing chose, and the
//! response sealed back to the client (see `docs/confidential.md`).
//!
//! Submission is in two steps because a client can seal only to operators it knows, and only
//! routing on-chain may choose them (a client choosing its operators could feed its own). So
//! `submit_sealed_request` routes, holds the fee and commits to the call's hash; the client then
//! seals to the operators it names, and `seal_request` checks one envelope per assigned operator
//! and backup, each to its current encryption key. Operators start only then, with the whole
//! deadline that is left (it must still cover the API's timeout, as at submission).

use alloc::vec::Vec;
use baton_primitives::{
	genesis_hash,
	sealing::{sealed_call_info, CallEnvelope, SealedCallRequest},
	Escrow, OnSettled, RequestId, RequestStatus,
};
use frame_support::{defensive, ensure, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Saturating;

use crate::{Agenda, AgendaTask, Config, Error, Event, Pallet, Request, Requests, SealedCalls};

impl<T: Config> Pallet<T> {
	/// Seals `client`'s request `request_id` with `envelopes`; see `seal_request`.
	pub(crate) fn do_seal_request(
		client: &T::AccountId,
		request_id: RequestId,
		envelopes: Vec<(T::AccountId, CallEnvelope)>,
	) -> DispatchResult {
		let mut request = Requests::<T>::get(request_id).ok_or(Error::<T>::UnknownRequest)?;
		ensure!(&request.client == client, Error::<T>::NotRequestClient);
		ensure!(request.status == RequestStatus::Pending, Error::<T>::RequestFinished);
		let sealing = request.sealed.as_mut().ok_or(Error::<T>::NotSealedRequest)?;
		ensure!(sealing.sealed_at.is_none(), Error::<T>::AlreadySealed);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			request.deadline >= Self::earliest_deadline(now, request.terms.timeout_ms),
			Error::<T>::DeadlineTooSoon
		);
		let routed = request.assigned.len() + request.backups.len();
		ensure!(envelopes.len() == routed, Error::<T>::EnvelopeCountMismatch);
		for (i, (operator, envelope)) in envelopes.iter().enumerate() {
			ensure!(
				request.assigned.contains(operator) || request.backups.contains(operator),
				Error::<T>::NotRouted
			);
			ensure!(
				!envelopes[..i].iter().any(|(earlier, _)| earlier == operator),
				Error::<T>::DuplicateEnvelope
			);
			Self::ensure_sealed_to(operator, &envelope.recipient)?;
		}

		sealing.sealed_at = Some(now);
		for (operator, envelope) in envelopes {
			SealedCalls::<T>::insert(request_id, operator, envelope);
		}
		Self::schedule_hedges(
			request_id,
			now,
			request.deadline,
			request.assigned.len() as u32,
			&request.backups,
		);
		Requests::<T>::insert(request_id, request);
		Self::deposit_event(Event::RequestSealed { request_id });
		Ok(())
	}

	/// A sealed request whose client never sealed it, at its deadline: the client gets the
	/// fee back but for the protocol fee, which pays for the operators' capacity it held; no
	/// operator is charged or credited.
	pub(crate) fn expire_unsealed(
		request_id: RequestId,
		mut request: Request<T>,
		now: BlockNumberFor<T>,
	) {
		if let Err(error) = T::Escrow::pay(request_id, &T::Treasury::get(), request.protocol_fee) {
			defensive!((request_id, error), "the escrow holds the protocol fee");
		}
		let amount = T::Escrow::refund(request_id);
		for operator in request.assigned.iter() {
			Self::unassign(operator, request_id);
		}
		request.status = RequestStatus::Refunded { at: now };
		Agenda::<T>::insert(now.saturating_add(T::Retention::get()), request_id, AgendaTask::Prune);
		let paid = request.protocol_fee;
		Requests::<T>::insert(request_id, request);
		Self::deposit_event(Event::RequestRefunded { request_id, amount });
		T::OnSettled::on_settled(request_id, None, paid);
	}

	/// The call of sealed request `request_id` sealed to `operator`, for its node to open.
	pub(crate) fn sealed_call(
		request_id: RequestId,
		request: &Request<T>,
		operator: &T::AccountId,
	) -> Option<SealedCallRequest> {
		let terms = request.sealed.as_ref()?.terms;
		let envelope = SealedCalls::<T>::get(request_id, operator)?;
		Some(SealedCallRequest {
			envelope,
			info: sealed_call_info(
				&genesis_hash::<T>(),
				request_id,
				&request.request_hash,
				operator,
			),
			content_hash: terms.content_hash,
			max_headers: T::MaxHeaders::get(),
			max_header_len: T::MaxHeaderLen::get(),
			max_body_len: T::MaxBodyLen::get(),
			max_path_len: T::MaxPathLen::get(),
			path_sealed: request.path.is_empty(),
		})
	}
}
