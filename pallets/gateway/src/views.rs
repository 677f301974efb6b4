//! What the runtime API serves, and the pallet's invariants.

use baton_primitives::{
	ApiId, ApiView, GatewayKeys, HandoverLog, ReportView, RequestId, RequestView, ResponseView,
};
use frame_system::pallet_prelude::BlockNumberFor;

use crate::{Apis, BalanceOf, Config, Pallet, Requests};

impl<T: Config> Pallet<T> {
	/// A request as `gateway_request` serves it.
	pub fn request_view(
		id: RequestId,
	) -> Option<RequestView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		use sp_runtime::traits::Saturating;
		let request = Requests::<T>::get(id)?;
		let operators = request.price.saturating_mul((request.assigned.len() as u32).into());
		Some(RequestView {
			id,
			api_id: request.api_id,
			client: request.client,
			method: request.method.as_str().as_bytes().to_vec(),
			path: request.path.to_vec(),
			request_hash: request.request_hash,
			assigned: request.assigned.to_vec(),
			backups: request.backups.to_vec(),
			armed: request.armed.to_vec(),
			reports: request
				.reports
				.iter()
				.map(|r| ReportView {
					operator: r.operator.clone(),
					status: r.status,
					response_hash: r.response_hash,
					latency_ms: r.latency_ms,
					at: r.at,
				})
				.collect(),
			fee: operators.saturating_add(request.protocol_fee),
			submitted_at: request.submitted_at,
			deadline: request.deadline,
			status: request.status,
			handovers: T::Handovers::history(id),
		})
	}

	/// The served result of a completed request, as `gateway_response` serves it.
	pub fn response_view(id: RequestId) -> Option<ResponseView<T::AccountId>> {
		let request = Requests::<T>::get(id)?;
		let report = request.reports.get(request.served? as usize)?;
		Some(ResponseView {
			operator: report.operator.clone(),
			request_hash: request.request_hash,
			gateway_key: T::Operators::gateway_key(&report.operator)?,
			status: report.status,
			response_hash: report.response_hash,
			signature: report.signature,
			plaintext_hash: report.plaintext_hash,
		})
	}

	/// A registered API as `GatewayApi::api` serves it.
	pub fn api_view(api_id: ApiId) -> Option<ApiView<T::AccountId, BalanceOf<T>>> {
		let api = Apis::<T>::get(api_id)?;
		Some(ApiView {
			owner: api.owner,
			paused: api.paused,
			base_url: api.spec.base_url.to_vec(),
			methods: api.spec.methods.iter().map(|m| m.as_str().as_bytes().to_vec()).collect(),
			price_per_call: api.spec.price_per_call,
			max_response_bytes: api.spec.max_response_bytes,
			timeout_ms: api.spec.timeout_ms,
			max_body_bytes: <T::MaxBodyLen as frame_support::traits::Get<u32>>::get(),
		})
	}

	/// Checks the invariants listed in the README.
	/// Built with `std` too: the other pallets' mocks and the runtime's tests, which build in
	/// release (no `debug_assertions`), check it after every test.
	#[cfg(any(feature = "std", feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use crate::{Agenda, AgendaTask, Apis, Assignments, HoldReason, Load, SessionLoad};
		use baton_primitives::{Escrow, RequestStatus};
		use frame_support::{
			ensure,
			traits::{fungible::InspectHold, Get},
		};
		use sp_runtime::traits::{Saturating, Zero};

		let mut open = 0u32;
		for (id, request) in Requests::<T>::iter() {
			let pending = request.status == RequestStatus::Pending;
			ensure!(
				pending != T::Escrow::held(id).is_zero(),
				"escrow is held exactly while a request is pending"
			);
			let armed_backups = request.armed.iter().map(|(backup, _)| backup);
			for operator in request.assigned.iter().chain(armed_backups) {
				ensure!(
					Assignments::<T>::contains_key(operator, id)
						== (pending && !request.reported_by(operator)),
					"an assignment is open exactly while its report is missing"
				);
			}
			ensure!(
				request.reports.iter().all(|r| request.executed_by(&r.operator)),
				"a report from an operator neither assigned nor armed"
			);
			// Replaying the handover log on the operators routing chose gives the assigned set
			// and the armed backups: a record to a backup armed beside `from` arms it, any
			// other passes `from`'s slot on (a backup armed, then given the slot at the
			// deadline, has the one record).
			let mut implied = request.routed.to_vec();
			let mut armed = alloc::vec::Vec::new();
			for record in T::Handovers::history(id) {
				let slot = implied.iter().position(|who| who == &record.from);
				ensure!(
					slot.is_some()
						&& !implied.contains(&record.to)
						&& !armed.iter().any(|(backup, _)| backup == &record.to),
					"the log does not fit the assignments"
				);
				let pair = (record.to, record.from);
				if request.armed.contains(&pair) {
					armed.push(pair);
				} else {
					implied[slot.unwrap_or_default()] = pair.0;
				}
			}
			ensure!(
				implied == request.assigned.to_vec() && armed == request.armed.to_vec(),
				"the assigned and armed operators are not the ones the log implies"
			);
			let task = if pending { AgendaTask::Settle } else { AgendaTask::Prune };
			ensure!(
				Agenda::<T>::iter()
					.filter(|(_, agenda_id, t)| *agenda_id == id && *t == task)
					.count() == 1,
				"a request is not on the agenda exactly once"
			);
			ensure!(
				matches!(request.status, RequestStatus::Completed { .. })
					== request.served.is_some(),
				"only completed requests serve a response"
			);
			let envelopes = crate::SealedCalls::<T>::iter_prefix(id).count() as u32;
			match &request.sealed {
				Some(sealing) => {
					ensure!(
						request.headers.is_empty() && request.body.is_empty(),
						"a sealed request has plaintext"
					);
					ensure!(
						envelopes <= crate::SealedEnvelopes::<T>::get(),
						"more envelopes than operators and backups"
					);
					let armed_backups = request.armed.iter().map(|(backup, _)| backup);
					let mut executing = request.assigned.iter().chain(armed_backups);
					ensure!(
						sealing.sealed_at.is_some() == (envelopes > 0)
							&& (sealing.sealed_at.is_none()
								|| executing
									.all(|who| crate::SealedCalls::<T>::contains_key(id, who))),
						"a sealed request's operators hold an envelope exactly once it is sealed"
					);
					ensure!(
						sealing.sealed_at.is_some() || request.reports.is_empty(),
						"a report on a request no operator could open"
					);
				},
				None => {
					ensure!(envelopes == 0, "envelopes for a plain request");
					ensure!(
						!request.path.is_empty(),
						"a plain request without a path (only a sealed request's is confidential)"
					);
				},
			}
			if pending {
				open += 1;
			}
		}
		ensure!(
			crate::SealedCalls::<T>::iter_keys().all(|(id, _)| Requests::<T>::contains_key(id)),
			"an envelope of no request"
		);
		let mut assignments = 0u32;
		for (operator, load) in Load::<T>::iter() {
			ensure!(load > 0, "a zero load is stored");
			let open = Assignments::<T>::iter_prefix(&operator).count() as u32;
			ensure!(
				open + SessionLoad::<T>::get(&operator) == load,
				"load differs from the open assignments and sessions"
			);
			assignments += open;
		}
		for (operator, sessions) in SessionLoad::<T>::iter() {
			ensure!(sessions > 0, "a zero session load is stored");
			ensure!(Load::<T>::get(&operator) >= sessions, "sessions missing from the load");
		}
		ensure!(Assignments::<T>::iter().count() as u32 == assignments, "assignments without load");
		// Every account, so that a deposit hold with no API behind it is caught too.
		let mut deposits = alloc::collections::BTreeMap::<T::AccountId, BalanceOf<T>>::new();
		for api in Apis::<T>::iter_values() {
			deposits.entry(api.owner).or_default().saturating_accrue(api.deposit);
		}
		for who in frame_system::Account::<T>::iter_keys() {
			let held = T::Currency::balance_on_hold(&HoldReason::ApiDeposit.into(), &who);
			ensure!(
				held == deposits.remove(&who).unwrap_or_default(),
				"API deposit holds differ from the owner's API deposits"
			);
		}
		ensure!(open as usize <= Agenda::<T>::iter().count(), "open requests outnumber the agenda");
		for (api_id, holders) in crate::ApiSecretHolders::<T>::iter() {
			ensure!(Apis::<T>::contains_key(api_id), "a secret for no API");
			ensure!(
				holders > 0 && holders <= T::MaxSecretHolders::get(),
				"a secret's holders are out of bounds"
			);
			ensure!(
				crate::ApiSecrets::<T>::iter_prefix(api_id).count() as u32 == holders,
				"a secret's holder count differs from its envelopes"
			);
		}
		ensure!(
			crate::ApiSecrets::<T>::iter_keys()
				.all(|(api_id, _)| crate::ApiSecretHolders::<T>::contains_key(api_id)),
			"an envelope of an API with no secret"
		);
		Ok(())
	}
}
