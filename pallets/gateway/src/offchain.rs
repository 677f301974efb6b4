//! The offchain worker of an operator's node: executes the requests assigned to the gateway
//! keys in the node's keystore and reports signed results.

use alloc::{string::ToString, vec::Vec};
use baton_primitives::{
	attempt_storage_key, checkpoint_verifies, receipt_message, ExecutionSample, HandoverLog,
	Health, OperatorRegistry, RequestId, RequestStatus, ResultStatus, EXECUTION_SAMPLES_KEY,
	MAX_EXECUTION_SAMPLES,
};
use codec::{Decode, Encode};
use frame_support::pallet_prelude::*;
use frame_system::{
	offchain::{AppCrypto, SendSignedTransaction, Signer},
	pallet_prelude::BlockNumberFor,
};
use sp_runtime::{
	offchain::{
		http,
		storage::StorageValueRef,
		storage_lock::{StorageLock, Time},
		Duration,
	},
	traits::Saturating,
	RuntimeAppPublic,
};

use crate::{Api, Apis, Assignments, Call, Config, Pallet, Report, Request, Requests, LOG_TARGET};

/// Blocks after which a report that has not landed is sent again (it may have been dropped,
/// or the block that held it may have been retracted). The upstream is not called again.
const RESEND_AFTER: u32 = 3;

/// What an operator's node remembers about a request it executed.
#[derive(Encode, Decode)]
struct Executed<T: Config> {
	/// The block it last sent the report in.
	sent_at: BlockNumberFor<T>,
	/// The signed report, kept so that a resend does not call the upstream again.
	report: Report<T>,
}

/// An upstream answer, or how the call failed.
pub struct UpstreamResult {
	/// What happened.
	pub status: ResultStatus,
	/// The body, if the call succeeded.
	pub body: Vec<u8>,
	/// Milliseconds from sending the request to having the body.
	pub latency_ms: u32,
}

type PublicOf<T> = <<T as Config>::AuthorityId as AppCrypto<
	<T as frame_system::offchain::SigningTypes>::Public,
	<T as frame_system::offchain::SigningTypes>::Signature,
>>::RuntimeAppPublic;

impl<T: Config> Pallet<T> {
	/// For each gateway key in the keystore whose operator has open assignments, executes up to
	/// `MaxExecutionsPerBlock` of them and reports the results.
	pub(crate) fn execute_assigned(now: BlockNumberFor<T>) {
		for key in PublicOf::<T>::all() {
			let Ok(raw) = <[u8; 32]>::try_from(key.to_raw_vec()) else { continue };
			let Some(operator) = T::Operators::operator_of(&raw) else { continue };
			let open: Vec<RequestId> = Assignments::<T>::iter_key_prefix(&operator)
				.take(T::MaxExecutionsPerBlock::get() as usize)
				.collect();
			let health_key = Health::storage_key(&raw);
			let health_store = StorageValueRef::persistent(&health_key);
			let mut health: Health = health_store.get().ok().flatten().unwrap_or_default();
			let reports: Vec<(RequestId, Report<T>)> = open
				.into_iter()
				.filter_map(|id| Some((id, Self::execute_once(now, &key, &operator, id, &mut health)?)))
				.collect();
			health_store.set(&health);
			Self::forget_finished(&raw, &operator, reports.iter().map(|(id, _)| *id));
			if !reports.is_empty() {
				Self::send_reports(key, reports);
			}
		}
	}

	/// Keeps this node's offchain storage bounded: the records of executed requests are kept in
	/// an index per key and dropped once the chain no longer assigns the request to the operator
	/// (it was reported or settled).
	fn forget_finished(raw: &[u8; 32], operator: &T::AccountId, executed: impl Iterator<Item = RequestId>) {
		let index_key = (b"baton/executed-index/", raw).encode();
		let index = StorageValueRef::persistent(&index_key);
		let mut ids: Vec<RequestId> = index.get().ok().flatten().unwrap_or_default();
		for id in executed {
			if !ids.contains(&id) {
				ids.push(id);
			}
		}
		ids.retain(|id| {
			let open = Assignments::<T>::contains_key(operator, id);
			if !open {
				StorageValueRef::persistent(&Self::executed_key(*id, raw)).clear();
			}
			open
		});
		index.set(&ids);
	}

	fn executed_key(request_id: RequestId, raw: &[u8]) -> Vec<u8> {
		(b"baton/executed/", request_id, raw).encode()
	}

	/// Executes one request for one key unless this node already did, and returns the report to
	/// send. An offchain lock keeps two workers (overlapping blocks, forks) from calling the
	/// upstream twice. When `health` predicts failure the request is left to the handover
	/// pallet's worker, which hands it over.
	fn execute_once(
		now: BlockNumberFor<T>,
		key: &PublicOf<T>,
		operator: &T::AccountId,
		request_id: RequestId,
		health: &mut Health,
	) -> Option<Report<T>> {
		let request = Requests::<T>::get(request_id)?;
		if request.status != RequestStatus::Pending || now > request.deadline {
			return None;
		}
		let api = Apis::<T>::get(request.api_id)?;
		let timeout_ms = api.spec.timeout_ms;
		if health.predicts_failure(timeout_ms) {
			return None;
		}
		let raw = key.to_raw_vec();
		let lock_key = (b"baton/lock/", request_id, &raw).encode();
		let mut lock = StorageLock::<Time>::with_deadline(&lock_key, Duration::from_millis(api.spec.timeout_ms as u64 + 5_000));
		let _guard = lock.try_lock().ok()?;

		let store_key = Self::executed_key(request_id, &raw);
		let store = StorageValueRef::persistent(&store_key);
		let report = match store.get::<Executed<T>>() {
			Ok(Some(done)) if now < done.sent_at.saturating_add(RESEND_AFTER.into()) => return None,
			Ok(Some(done)) => {
				// A late report is a sign of trouble too.
				health.observe(timeout_ms, true);
				done.report
			},
			_ => {
				Self::check_checkpoint(request_id, operator);
				let result = Self::call_upstream(&api, &request, request_id);
				Self::record_sample(ExecutionSample { status: result.status, latency_ms: result.latency_ms });
				let failed = !result.status.is_response();
				health.observe(result.latency_ms, failed);
				if failed && health.predicts_failure(timeout_ms) {
					// Hand it over (step 1: the upstream was called) rather than report a failure
					// the next operator may not have.
					let raw: [u8; 32] = raw.clone().try_into().ok()?;
					let state_hash = sp_io::hashing::blake2_256(&result.body);
					StorageValueRef::persistent(&attempt_storage_key(request_id, &raw)).set(&state_hash);
					return None;
				}
				Self::sign_report(key, operator, request_id, result)?
			},
		};
		store.set(&Executed::<T> { sent_at: now, report: report.clone() });
		Some(report)
	}

	/// Before resuming a request handed over to `operator`, checks the predecessor's checkpoint
	/// against the chain: signed by its gateway key, bound to this request and its idempotency
	/// key. The chain logged an invalid one as fraud already; this node says so in its log.
	fn check_checkpoint(request_id: RequestId, operator: &T::AccountId) {
		let history = T::Handovers::history(request_id);
		let Some(record) = history.iter().rev().find(|r| &r.to == operator) else { return };
		let Some(checkpoint) = record.checkpoint else { return };
		let verified = T::Operators::gateway_key(&record.from)
			.is_some_and(|key| checkpoint_verifies(request_id, &checkpoint, &record.from, &key));
		if verified {
			log::info!(
				target: LOG_TARGET,
				"resuming {request_id} from {:?}'s checkpoint (step {}) with the same idempotency key",
				record.from, checkpoint.completed_steps,
			);
		} else {
			log::warn!(target: LOG_TARGET, "{request_id}: the checkpoint of {:?} does not verify", record.from);
		}
	}

	/// Leaves `sample` for the node's Prometheus metrics, dropping the oldest beyond the cap.
	fn record_sample(sample: ExecutionSample) {
		let store = StorageValueRef::persistent(EXECUTION_SAMPLES_KEY);
		let _ = store.mutate(|samples: Result<Option<Vec<ExecutionSample>>, _>| {
			let mut samples = samples.ok().flatten().unwrap_or_default();
			if samples.len() >= MAX_EXECUTION_SAMPLES {
				samples.remove(0);
			}
			samples.push(sample);
			Ok::<_, ()>(samples)
		});
	}

	/// Calls the upstream with the API's timeout and size cap; never panics.
	pub fn call_upstream(api: &Api<T>, request: &Request<T>, request_id: RequestId) -> UpstreamResult {
		let fail = |status, latency_ms| UpstreamResult { status, body: Vec::new(), latency_ms };
		let url = [&api.spec.base_url[..], &request.path[..]].concat();
		let Ok(url) = core::str::from_utf8(&url) else { return fail(ResultStatus::Unreachable, 0) };
		let idempotency_key = request_id.to_string();
		let started = sp_io::offchain::timestamp();
		let deadline = started.add(Duration::from_millis(api.spec.timeout_ms as u64));
		let elapsed = || sp_io::offchain::timestamp().diff(&started).millis().min(u32::MAX as u64) as u32;

		// An empty chunk ends the body on the wire, so an empty body is no chunk at all.
		let chunks: Vec<&[u8]> =
			if request.body.is_empty() { Vec::new() } else { alloc::vec![&request.body[..]] };
		let send = || {
			let mut http_request = http::Request::new(url)
				.method(Self::http_method(request))
				.add_header("Idempotency-Key", &idempotency_key)
				.body(chunks.clone())
				.deadline(deadline);
			for (name, value) in request.headers.iter() {
				if let (Ok(name), Ok(value)) = (core::str::from_utf8(name), core::str::from_utf8(value)) {
					http_request = http_request.add_header(name, value);
				}
			}
			let pending = http_request.send().map_err(|_| ResultStatus::Unreachable)?;
			match pending.try_wait(deadline) {
				Ok(Ok(response)) => Ok(response),
				Ok(Err(http::Error::DeadlineReached)) | Err(_) => Err(ResultStatus::Timeout),
				Ok(Err(_)) => Err(ResultStatus::Unreachable),
			}
		};
		// A connection the upstream closed while idle fails at once; one more try opens a new one
		// (the idempotency key makes the retry safe).
		let response = match send() {
			Err(ResultStatus::Unreachable) => send(),
			first => first,
		};
		let response = match response {
			Ok(response) => response,
			Err(status) => return fail(status, elapsed()),
		};
		let cap = api.spec.max_response_bytes as usize;
		let mut body = Vec::new();
		let mut chunks = response.body();
		chunks.deadline(deadline);
		for byte in chunks.by_ref() {
			if body.len() == cap {
				return fail(ResultStatus::TooLarge, elapsed());
			}
			body.push(byte);
		}
		match chunks.error() {
			Some(sp_core::offchain::HttpError::DeadlineReached) => return fail(ResultStatus::Timeout, elapsed()),
			Some(_) => return fail(ResultStatus::Unreachable, elapsed()),
			None => {},
		}
		if core::str::from_utf8(&body).is_err() {
			return fail(ResultStatus::NotUtf8, elapsed());
		}
		UpstreamResult { status: ResultStatus::Response { code: response.code }, body, latency_ms: elapsed() }
	}

	fn http_method(request: &Request<T>) -> http::Method {
		match request.method {
			crate::HttpMethod::Get => http::Method::Get,
			crate::HttpMethod::Post => http::Method::Post,
			crate::HttpMethod::Put => http::Method::Put,
			crate::HttpMethod::Patch => http::Method::Patch,
			crate::HttpMethod::Delete => http::Method::Delete,
		}
	}

	/// The report of `result`, with the receipt signed by `key`.
	fn sign_report(
		key: &PublicOf<T>,
		operator: &T::AccountId,
		request_id: RequestId,
		result: UpstreamResult,
	) -> Option<Report<T>> {
		let response_hash = sp_io::hashing::blake2_256(&result.body);
		let message = receipt_message(request_id, &response_hash, &result.status, operator);
		let signature = key.sign(&message)?;
		let signature: [u8; 64] = signature.encode().try_into().ok()?;
		let body = result.body.try_into().ok()?;
		Some(Report { status: result.status, response_hash, latency_ms: result.latency_ms, body, signature })
	}

	/// Submits `reports`, each as a transaction signed by `key`.
	fn send_reports(key: PublicOf<T>, reports: Vec<(RequestId, Report<T>)>) {
		let generic: <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::GenericPublic = key.into();
		let signer = Signer::<T, T::AuthorityId>::all_accounts().with_filter(alloc::vec![generic.into()]);
		for (request_id, report) in reports {
			let results = signer.send_signed_transaction(|_| Call::report_result { request_id, report: report.clone() });
			for (account, result) in results {
				if result.is_err() {
					log::warn!(target: LOG_TARGET, "report of {request_id} by {:?} not submitted", account.id);
				}
			}
		}
	}
}
