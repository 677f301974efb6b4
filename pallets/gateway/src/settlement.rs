//! Reports and settlement: who is paid, refunded, credited or reported once a request's
//! reports are in or its deadline has passed (deadlines.rs decides when).

use baton_primitives::{
	genesis_hash, offchain::keys::response_storage_key, receipt_message,
	sealing::sealed_response_hash, signed_by_gateway_key, ApiId, Escrow, GatewayKey, GatewayKeys,
	OffenceKind, OnSettled, Outcome, ReportOffence, ReputationSink, RequestId, RequestStatus,
	ResultStatus,
};
use codec::Encode;
use frame_support::{defensive, ensure, pallet_prelude::*, traits::DefensiveResult};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, Zero};

use crate::{
	report_results_weight, Agenda, AgendaTask, BalanceOf, Config, Error, Event, Pallet, Report,
	Request, Requests, StoredReport, LOG_TARGET,
};

/// What results are compared by: the status, and for responses the body's hash after the
/// API's ignored top-level JSON fields are dropped (re-serialized with sorted keys).
pub fn result_key(status: &ResultStatus, body: &[u8], ignored: &[impl AsRef<[u8]>]) -> [u8; 32] {
	let body_hash = match status {
		ResultStatus::Response { .. } if !ignored.is_empty() => {
			match serde_json::from_slice::<serde_json::Value>(body) {
				Ok(serde_json::Value::Object(mut fields)) => {
					for field in ignored {
						if let Ok(name) = core::str::from_utf8(field.as_ref()) {
							fields.remove(name);
						}
					}
					let canonical = serde_json::to_vec(&fields).unwrap_or_default();
					sp_io::hashing::blake2_256(&canonical)
				},
				_ => sp_io::hashing::blake2_256(body),
			}
		},
		ResultStatus::Response { .. } => sp_io::hashing::blake2_256(body),
		_ => [0; 32],
	};
	sp_io::hashing::blake2_256(&(status, body_hash).encode())
}

/// What a taken report's weight depends on.
pub(crate) struct Taken<AccountId> {
	/// Operators of its request.
	pub redundancy: u32,
	/// Its request's client and API: reports sharing them share writes.
	pub party: (AccountId, ApiId),
}

impl<T: Config> Pallet<T> {
	/// Takes each of `reports` from `signer`'s operator on its own; see `report_results`.
	pub(crate) fn do_report_results(
		signer: &T::AccountId,
		reports: BoundedVec<(RequestId, Report<T>), T::MaxReportsPerCall>,
	) -> DispatchResultWithPostInfo {
		ensure!(!reports.is_empty(), Error::<T>::NoReports);
		let (operator, key) =
			T::Operators::operator_of_signer(signer).ok_or(Error::<T>::NotGatewayKey)?;
		let mut charged = alloc::vec::Vec::with_capacity(reports.len());
		// The (client, API) of each taken report: reports sharing both share writes.
		let mut parties = alloc::vec::Vec::with_capacity(reports.len());
		let mut rejected = 0u32;
		for (request_id, report) in reports {
			let body = report.body.len() as u32;
			match frame_support::storage::with_storage_layer(|| {
				Self::take_report(&operator, key, request_id, report)
			}) {
				Ok(taken) => {
					charged.push((taken.redundancy, body));
					parties.push(taken.party);
				},
				Err(error) => {
					// Refused before it settled anything.
					charged.push((1, body));
					rejected += 1;
					Self::deposit_event(Event::ReportRejected {
						request_id,
						operator: operator.clone(),
						error,
					});
				},
			}
		}
		parties.sort();
		parties.dedup();
		let all_taken = rejected == 0;
		let actual =
			report_results_weight::<T>(parties.len() as u32 + rejected, charged.into_iter());
		let pays_fee = if all_taken { Pays::No } else { Pays::Yes };
		Ok(frame_support::dispatch::PostDispatchInfo { actual_weight: Some(actual), pays_fee })
	}

	/// Takes `signer`'s report on `request_id`, settling the request when it is the last one
	/// needed: as many reports as assigned operators, from them or their armed backups.
	/// Returns the request's redundancy, which the weight depends on.
	pub(crate) fn do_report_result(
		signer: &T::AccountId,
		request_id: RequestId,
		report: Report<T>,
	) -> Result<u32, DispatchError> {
		let (operator, key) =
			T::Operators::operator_of_signer(signer).ok_or(Error::<T>::NotGatewayKey)?;
		Ok(Self::take_report(&operator, key, request_id, report)?.redundancy)
	}

	/// Takes the report of `operator`, whose gateway key is `key`, on `request_id`; see
	/// `do_report_result`. Changes nothing when it fails.
	pub(crate) fn take_report(
		operator: &T::AccountId,
		key: GatewayKey,
		request_id: RequestId,
		report: Report<T>,
	) -> Result<Taken<T::AccountId>, DispatchError> {
		let operator = operator.clone();
		let mut request = Requests::<T>::get(request_id).ok_or(Error::<T>::UnknownRequest)?;
		ensure!(request.status == RequestStatus::Pending, Error::<T>::RequestFinished);
		ensure!(request.executed_by(&operator), Error::<T>::NotAssigned);
		ensure!(request.executable(), Error::<T>::AwaitingSeal);
		ensure!(!request.reported_by(&operator), Error::<T>::AlreadyReported);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now <= request.deadline, Error::<T>::DeadlinePassed);
		ensure!(report.status.is_response() || report.body.is_empty(), Error::<T>::BodyWithFailure);
		let body_hash = sp_io::hashing::blake2_256(&report.body);
		// A sealed request's response is sealed to its client: the chain sees the sealed bytes,
		// and takes the plaintext's hash and result key on the operator's signature.
		let (result_key, plaintext_hash) =
			match (request.sealed.is_some() && report.status.is_response(), report.sealed) {
				(false, None) => {
					ensure!(
						report.body.len() <= request.terms.max_response_bytes as usize,
						Error::<T>::ResponseTooLarge
					);
					ensure!(body_hash == report.response_hash, Error::<T>::HashMismatch);
					let ignored = &request.terms.ignored_fields;
					(result_key(&report.status, &report.body, ignored), None)
				},
				(true, Some(sealed)) => {
					ensure!(
						report.body.len()
							<= request
								.terms
								.max_response_bytes
								.saturating_add(baton_primitives::sealing::SEALED_RESPONSE_OVERHEAD)
								as usize,
						Error::<T>::ResponseTooLarge
					);
					ensure!(
						sealed_response_hash(&sealed.plaintext_hash, &body_hash)
							== report.response_hash,
						Error::<T>::HashMismatch
					);
					(sealed.result_key, Some(sealed.plaintext_hash))
				},
				_ => return Err(Error::<T>::SealedResultMismatch.into()),
			};
		let message = receipt_message(
			&genesis_hash::<T>(),
			request_id,
			&request.request_hash,
			&report.response_hash,
			&report.status,
			&operator,
		);
		ensure!(signed_by_gateway_key(&key, &message, &report.signature), Error::<T>::BadSignature);

		// The body is kept offchain by every node that indexes; the chain keeps its hash.
		sp_io::offchain_index::set(&response_storage_key(request_id, &operator), &report.body);
		request
			.reports
			.try_push(StoredReport {
				operator: operator.clone(),
				status: report.status,
				response_hash: report.response_hash,
				result_key,
				latency_ms: report.latency_ms,
				signature: report.signature,
				at: now,
				plaintext_hash,
			})
			// A pending request has fewer reports than assigned operators: it settles with as
			// many.
			.defensive_map_err(|_| Error::<T>::Defensive)?;
		Self::unassign(&operator, request_id);
		Self::deposit_event(Event::ResultReported {
			request_id,
			operator,
			status: report.status,
			response_hash: report.response_hash,
		});
		if request.reports.len() == request.assigned.len() {
			Agenda::<T>::remove(request.deadline.saturating_add(1u32.into()), request_id);
			Self::settle(request_id, &mut request, now);
		}
		let taken = Taken {
			redundancy: request.assigned.len() as u32,
			party: (request.client.clone(), request.api_id),
		};
		Requests::<T>::insert(request_id, request);
		Ok(taken)
	}

	/// Settles `request`: pays a payable majority or refunds the client, feeds reputation,
	/// reports offences, frees its operators and schedules its pruning.
	pub(crate) fn settle(request_id: RequestId, request: &mut Request<T>, now: BlockNumberFor<T>) {
		let majority = Self::majority(request);
		let payable = majority.filter(|&index| request.reports[index].status.is_response());
		// What the client paid, for whoever hears of the settlement.
		let mut paid = BalanceOf::<T>::zero();
		match payable {
			Some(index) => {
				let key = request.reports[index].result_key;
				for report in request.reports.iter().filter(|r| r.result_key == key) {
					paid.saturating_accrue(request.price);
					if let Err(error) = T::Escrow::pay(request_id, &report.operator, request.price)
					{
						defensive!(
							(request_id, error),
							"the escrow holds the price of every assigned operator"
						);
					}
					T::Reputation::record(
						&report.operator,
						request.api_id,
						Outcome::Completed { latency_ms: report.latency_ms },
					);
				}
				if let Err(error) =
					T::Escrow::pay(request_id, &T::Treasury::get(), request.protocol_fee)
				{
					defensive!((request_id, error), "the escrow holds the protocol fee");
				}
				paid.saturating_accrue(request.protocol_fee);
				for report in request.reports.iter().filter(|r| r.result_key != key) {
					T::Reputation::record(&report.operator, request.api_id, Outcome::Failed);
					// Only a different answer is a wrong one: a typed failure (timeout, unreachable,
					// refused by the egress policy) may be the network's or the API's fault.
					if report.status.is_response() {
						Self::report(OffenceKind::WrongResult, request_id, &report.operator);
					}
				}
				let response_hash = request.reports[index].response_hash;
				request.served = Some(index as u32);
				request.status = RequestStatus::Completed { response_hash, at: now };
				// Whatever was priced for operators outside the majority goes back.
				T::Escrow::refund(request_id);
				Self::deposit_event(Event::RequestCompleted { request_id, response_hash });
			},
			None => {
				let amount = T::Escrow::refund(request_id);
				request.status = RequestStatus::Refunded { at: now };
				Self::deposit_event(Event::RequestRefunded { request_id, amount });
			},
		}
		// Settled before the deadline with armed backups' reports, an operator that has not
		// reported may still have been on its way: a late but correct report within the
		// deadline is no offence. One silent through the grace (a backup is armed beside it)
		// counts a failure in reputation; one that has just taken its slot over, nothing.
		let expired = now > request.deadline;
		for operator in request.assigned.iter() {
			if !request.reported_by(operator) {
				Self::unassign(operator, request_id);
				if expired {
					Self::missed_deadline(request_id, request.api_id, operator, None);
				} else if request.armed_beside(operator).is_some() {
					T::Reputation::record(operator, request.api_id, Outcome::Failed);
				}
			}
		}
		// An armed backup that has not reported was a hedge the settlement did not need.
		for (backup, _) in request.armed.iter() {
			Self::unassign(backup, request_id);
		}
		let prune_at = now.saturating_add(T::Retention::get());
		Agenda::<T>::insert(prune_at, request_id, AgendaTask::Prune);
		let majority = payable.map(|index| request.reports[index].result_key);
		T::OnSettled::on_settled(request_id, majority, paid);
	}

	/// Index of a report whose result more than half of the assigned operators share.
	fn majority(request: &Request<T>) -> Option<usize> {
		let needed = request.assigned.len() / 2 + 1;
		request.reports.iter().position(|candidate| {
			request.reports.iter().filter(|r| r.result_key == candidate.result_key).count()
				>= needed
		})
	}

	/// `operator` let its deadline on `request_id` pass without reporting: a failure in
	/// reputation, and `MissedDeadline`, whose slash gives `beneficiary` (its successor) the
	/// reward share.
	pub(crate) fn missed_deadline(
		request_id: RequestId,
		api_id: ApiId,
		operator: &T::AccountId,
		beneficiary: Option<T::AccountId>,
	) {
		T::Reputation::record(operator, api_id, Outcome::Failed);
		Self::report_for(OffenceKind::MissedDeadline, request_id, operator, beneficiary);
	}

	pub(crate) fn report(kind: OffenceKind, request_id: RequestId, offender: &T::AccountId) {
		Self::report_for(kind, request_id, offender, None)
	}

	/// Reports an offence on `request_id`; `beneficiary` gets the reporter's share of the slash.
	pub(crate) fn report_for(
		kind: OffenceKind,
		request_id: RequestId,
		offender: &T::AccountId,
		beneficiary: Option<T::AccountId>,
	) {
		let subject = sp_io::hashing::blake2_256(&(b"baton/offence/request", request_id).encode());
		if let Err(error) = T::Offences::report_offence(kind, subject, offender, beneficiary) {
			log::warn!(target: LOG_TARGET, "{kind:?} of {offender:?} on {request_id} not taken: {error:?}");
		}
	}
}
