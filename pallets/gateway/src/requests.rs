//! Client requests: validation, pricing, escrow and assignment.

use alloc::vec::Vec;
use baton_primitives::{
	egress::{is_reserved_header, is_valid_header, is_valid_path},
	ApiId, Escrow, Quote, QuoteError, RequestId, RequestStatus,
};
use codec::Encode;
use frame_support::{ensure, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{CheckedMul, Saturating};

use crate::{
	routing::Candidates, Agenda, AgendaTask, Api, Apis, Assignments, BackupGrace, BalanceOf,
	Config, Error, Event, HeadersOf, Hedges, Load, NewRequest, NextRequestId, Pallet, Request,
	Requests, Sealing, Terms, WeightInfo,
};

/// What a submission's weight depends on.
pub(crate) struct Submitted {
	/// Operators routing looked at.
	pub candidates: u32,
	/// Operators assigned.
	pub redundancy: u32,
}

/// The bytes a client sends in a request (path, header names and values, body), which its
/// submission's weight depends on.
pub(crate) fn request_bytes<T: Config>(path: &[u8], headers: &HeadersOf<T>, body: &[u8]) -> u32 {
	let headers: usize = headers.iter().map(|(name, value)| name.len() + value.len()).sum();
	(path.len() + headers + body.len()) as u32
}

/// The operators a request asking for `redundancy` is charged for before its API is read: the
/// redundancy it names, or the most there may be for 0 (the API's default).
pub(crate) fn charged_redundancy<T: Config>(redundancy: u32) -> u32 {
	match redundancy {
		0 => T::MaxRedundancy::get(),
		n => n.min(T::MaxRedundancy::get()),
	}
}

/// The hash a request's content is known by: blake2-256 of the SCALE encoding of
/// `("baton/request", client, api_id, method, path, headers, body, terms, price)` (the tag is 13
/// raw bytes), or for a sealed request of `("baton/sealed-request", client, api_id, method,
/// path, seal terms, terms, price)`, whose seal terms commit to the sealed call's content.
/// Receipts and checkpoints sign it, so a report made for one request can never be taken for
/// another that got the same id on another fork.
pub fn request_hash<T: Config>(
	client: &T::AccountId,
	api_id: ApiId,
	call: &NewRequest<T>,
	terms: &Terms<T>,
	price: BalanceOf<T>,
) -> [u8; 32] {
	if let Some(seal) = &call.sealed {
		let content =
			(b"baton/sealed-request", client, api_id, call.method, &call.path, seal, terms, price);
		return sp_io::hashing::blake2_256(&content.encode());
	}
	let content = (
		b"baton/request",
		client,
		api_id,
		call.method,
		&call.path,
		&call.headers,
		&call.body,
		terms,
		price,
	);
	sp_io::hashing::blake2_256(&content.encode())
}

/// What a request costs: (price per operator, protocol fee, total).
pub(crate) fn price<T: Config>(
	api: &Api<T>,
	redundancy: u32,
) -> Option<(BalanceOf<T>, BalanceOf<T>, BalanceOf<T>)> {
	let price = api.spec.price_per_call;
	let operators = price.checked_mul(&redundancy.into())?;
	let protocol_fee = T::ProtocolFee::get() * operators;
	Some((price, protocol_fee, operators.checked_add(&protocol_fee)?))
}

impl<T: Config> Pallet<T> {
	/// Validates, prices, escrows and assigns `client`'s request to `api_id`. Returns what its
	/// weight depends on.
	pub(crate) fn do_submit_request(
		client: &T::AccountId,
		api_id: ApiId,
		request: NewRequest<T>,
	) -> Result<Submitted, DispatchError> {
		let api = Self::open_api(api_id)?;
		let mut eligible = Self::eligible(api_id, &api);
		Self::submit(client, api_id, &api, &mut eligible, request)
	}

	/// Submits `client`'s one `request` to `api_id`, charged for the candidates routing looked
	/// at, the request's bytes and its redundancy (`submit_request`, `submit_sealed_request`).
	pub(crate) fn submit_one(
		client: &T::AccountId,
		api_id: ApiId,
		request: NewRequest<T>,
	) -> DispatchResultWithPostInfo {
		let bytes = request.bytes();
		let submitted = Self::do_submit_request(client, api_id, request)?;
		let actual =
			T::WeightInfo::submit_request(submitted.candidates, bytes, submitted.redundancy);
		Ok(Some(actual).into())
	}

	/// Submits `client`'s `requests` to `api_id` in order, all or none: the first that fails
	/// fails the call. The API and its operators are read once. Returns what the weight
	/// depends on: the candidates routing looked at, and each request's redundancy and bytes.
	pub(crate) fn do_submit_requests(
		client: &T::AccountId,
		api_id: ApiId,
		requests: Vec<NewRequest<T>>,
	) -> Result<(u32, Vec<(u32, u32)>), DispatchError> {
		ensure!(!requests.is_empty(), Error::<T>::NoRequests);
		let api = Self::open_api(api_id)?;
		let mut eligible = Self::eligible(api_id, &api);
		let candidates = eligible.looked_at;
		let mut charged = Vec::with_capacity(requests.len());
		for request in requests {
			let bytes = request.bytes();
			let submitted = Self::submit(client, api_id, &api, &mut eligible, request)?;
			charged.push((submitted.redundancy, bytes));
		}
		Ok((candidates, charged))
	}

	/// The API `api_id`, if it takes requests.
	pub(crate) fn open_api(api_id: ApiId) -> Result<Api<T>, DispatchError> {
		let api = Apis::<T>::get(api_id).ok_or(Error::<T>::UnknownApi)?;
		ensure!(!api.paused, Error::<T>::ApiPaused);
		Ok(api)
	}

	/// Validates, prices, escrows and assigns a request to `api` among the `eligible`
	/// operators.
	pub(crate) fn submit(
		client: &T::AccountId,
		api_id: ApiId,
		api: &Api<T>,
		eligible: &mut Candidates<T>,
		call: NewRequest<T>,
	) -> Result<Submitted, DispatchError> {
		ensure!(api.spec.methods.contains(&call.method), Error::<T>::MethodNotAllowed);
		if api.spec.confidential_path {
			// An empty public path is how its operators know to take the sealed one.
			ensure!(call.sealed.is_some() && call.path.is_empty(), Error::<T>::ConfidentialPath);
		} else {
			ensure!(is_valid_path(&call.path), Error::<T>::InvalidPath);
		}
		Self::ensure_valid_headers(&call.headers)?;
		ensure!(
			call.sealed.is_none() || (call.headers.is_empty() && call.body.is_empty()),
			Error::<T>::PlaintextInSealedRequest
		);
		let redundancy = api.redundancy(call.redundancy);
		ensure!(redundancy <= T::MaxRedundancy::get(), Error::<T>::InvalidRedundancy);
		let (price, protocol_fee, fee) =
			price::<T>(api, redundancy).ok_or(sp_runtime::ArithmeticError::Overflow)?;
		ensure!(fee <= call.max_fee, Error::<T>::FeeAboveMax);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			call.deadline >= now.saturating_add(T::MinDeadline::get())
				&& call.deadline <= now.saturating_add(T::MaxDeadline::get()),
			Error::<T>::DeadlineOutOfRange
		);
		ensure!(
			call.deadline >= Self::earliest_deadline(now, api.spec.timeout_ms),
			Error::<T>::DeadlineTooSoon
		);

		let request_id = NextRequestId::<T>::get();
		let next_id = request_id.checked_add(1).ok_or(sp_runtime::ArithmeticError::Overflow)?;
		let routed = Self::route(eligible, request_id, redundancy, call.sealed.is_some())?;
		let terms = Terms::from(&api.spec);
		let request_hash = request_hash::<T>(client, api_id, &call, &terms, price);
		// The settlement runs in the first block after the deadline.
		let settle_at = call.deadline.saturating_add(1u32.into());
		T::Escrow::hold(request_id, client, fee)?;

		for operator in &routed.assigned {
			Self::assign(operator, request_id);
		}
		Agenda::<T>::insert(settle_at, request_id, AgendaTask::Settle);
		// A sealed request's operators start when it is sealed, and its grace with them.
		if call.sealed.is_none() {
			Self::schedule_hedges(request_id, now, call.deadline, redundancy, &routed.backups);
		}
		NextRequestId::<T>::put(next_id);
		let assigned: Vec<_> = routed.assigned.to_vec();
		Requests::<T>::insert(
			request_id,
			Request {
				api_id,
				client: client.clone(),
				method: call.method,
				path: call.path,
				headers: call.headers,
				body: call.body,
				terms,
				request_hash,
				price,
				protocol_fee,
				submitted_at: now,
				deadline: call.deadline,
				routed: routed.assigned.clone(),
				assigned: routed.assigned,
				backups: routed.backups,
				armed: Default::default(),
				reports: Default::default(),
				status: RequestStatus::Pending,
				served: None,
				sealed: call.sealed.map(|terms| Sealing { terms, sealed_at: None }),
				#[cfg(feature = "upgrade-rehearsal")]
				spec_version: <T as frame_system::Config>::Version::get().spec_version,
			},
		);
		Self::deposit_event(Event::RequestSubmitted {
			request_id,
			api_id,
			client: client.clone(),
			fee,
			assigned,
		});
		Ok(Submitted { candidates: routed.candidates, redundancy })
	}

	/// Arms `request_id`'s backups at the end of the grace that starts at block `start`, if a
	/// backup is left and its report can land before `deadline`. A block with more requests
	/// than the hedges it arms leaves the rest to their deadline's failover.
	pub(crate) fn schedule_hedges(
		request_id: RequestId,
		start: BlockNumberFor<T>,
		deadline: BlockNumberFor<T>,
		redundancy: u32,
		backups: &[T::AccountId],
	) {
		let hedge_at = start.saturating_add(BackupGrace::<T>::get());
		if !backups.is_empty() && hedge_at < deadline {
			Hedges::<T>::mutate(hedge_at, |due| {
				if due.requests.try_push(request_id).is_ok() {
					due.backups.saturating_accrue(redundancy.min(backups.len() as u32));
				}
			});
		}
	}

	/// What a request to `api_id` with `redundancy` operators (0: the default) costs now.
	pub fn quote(api_id: ApiId, redundancy: u32) -> Result<Quote<BalanceOf<T>>, QuoteError> {
		let api = Apis::<T>::get(api_id).ok_or(QuoteError::UnknownApi)?;
		if api.paused {
			return Err(QuoteError::ApiPaused);
		}
		let redundancy = api.redundancy(redundancy);
		let eligible_operators = Self::eligible(api_id, &api).eligible.len() as u32;
		if redundancy > T::MaxRedundancy::get() || redundancy > eligible_operators {
			return Err(QuoteError::InvalidRedundancy);
		}
		let (price_per_operator, protocol_fee, total) =
			price::<T>(&api, redundancy).ok_or(QuoteError::InvalidRedundancy)?;
		Ok(Quote { price_per_operator, protocol_fee, total, eligible_operators })
	}

	fn ensure_valid_headers(headers: &HeadersOf<T>) -> DispatchResult {
		for (name, value) in headers.iter() {
			ensure!(is_valid_header(name, value), Error::<T>::InvalidHeader);
			ensure!(!is_reserved_header(name), Error::<T>::ReservedHeader);
		}
		Ok(())
	}

	/// Opens `operator`'s assignment to `request_id` and counts it in its load.
	pub(crate) fn assign(operator: &T::AccountId, request_id: RequestId) {
		Assignments::<T>::insert(operator, request_id, ());
		Load::<T>::mutate(operator, |load| load.saturating_inc());
	}

	/// Removes `operator`'s open assignment to `request_id`, if any.
	pub(crate) fn unassign(operator: &T::AccountId, request_id: RequestId) {
		if Assignments::<T>::take(operator, request_id).is_some() {
			Load::<T>::mutate_exists(operator, decrement);
		}
	}
}

/// Takes one from a stored count, removing it at zero (no zero count is stored).
pub(crate) fn decrement(count: &mut Option<u32>) {
	*count = count.and_then(|n| n.checked_sub(1)).filter(|n| *n > 0);
}
