//! The offchain worker of an operator's node: executes the requests assigned to the gateway
//! keys in the node's keystore and reports signed results.

use alloc::{
	collections::{BTreeMap, BTreeSet},
	vec::Vec,
};
use baton_primitives::{
	checkpoint_verifies,
	egress::{idempotency_key, EgressRequest, EgressResponse},
	genesis_hash,
	offchain::{
		health::{Breaker, Health},
		keys::{
			attempt_storage_key, executed_index_storage_key, executed_storage_key,
			execution_lock_key, health_storage_key, EXECUTION_SAMPLES_KEY,
		},
		metrics::{ExecutionSample, MAX_EXECUTION_SAMPLES},
		signer::{self, LocalKey, LocalSigner},
		sweep_index,
	},
	receipt_message,
	sealing::{sealed_response_hash, sealed_response_info, ResponseSeal, SEALED_RESPONSE_OVERHEAD},
	ApiId, GatewayKeys, HandoverLog, RequestId, RequestStatus, ResultStatus,
};
use codec::{Decode, Encode};
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	offchain::{
		storage::StorageValueRef,
		storage_lock::{StorageLock, Time},
		Duration,
	},
	traits::Saturating,
	RuntimeAppPublic, SaturatedConversion,
};

use crate::{
	settlement::result_key, Assignments, Call, Config, Pallet, Report, Request, Requests,
	SealedResult, LOG_TARGET,
};

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

type PublicOf<T> = LocalKey<T, <T as Config>::AuthorityId>;

/// The health of one gateway key's APIs, as far as a worker run touched them.
struct Healths {
	key: [u8; 32],
	apis: BTreeMap<ApiId, Health>,
}

impl Healths {
	fn load(key: [u8; 32]) -> Self {
		Self { key, apis: BTreeMap::new() }
	}

	/// The health of `api`, read from offchain storage the first time.
	fn of(&mut self, api: ApiId) -> &mut Health {
		let key = self.key;
		self.apis.entry(api).or_insert_with(|| {
			StorageValueRef::persistent(&health_storage_key(&key, api))
				.get()
				.ok()
				.flatten()
				.unwrap_or_default()
		})
	}

	fn save(self) {
		for (api, health) in self.apis {
			StorageValueRef::persistent(&health_storage_key(&self.key, api)).set(&health);
		}
	}
}

/// A request this node's worker calls the upstream for.
struct Job<T: Config> {
	/// Its id.
	request_id: RequestId,
	/// What the client asked for, under which terms.
	request: Request<T>,
}

impl<T: Config> Job<T> {
	/// Where the node keeps the report it sent for this job as gateway key `key`.
	fn executed_key(&self, key: &[u8; 32]) -> Vec<u8> {
		executed_storage_key(self.request_id, &self.request.request_hash, key)
	}
}

impl<T: Config> Pallet<T> {
	/// For each gateway key in the keystore whose operator has open assignments, executes up to
	/// `MaxExecutionsPerBlock` of them, all upstream calls at once, and reports the results.
	pub(crate) fn execute_assigned(now: BlockNumberFor<T>) {
		for key in PublicOf::<T>::all() {
			Self::execute_for(now, key);
		}
	}

	/// Executes the requests assigned to `key`'s operator: all upstream calls at once, then their
	/// signed reports, in as few transactions as `send_reports` can.
	fn execute_for(now: BlockNumberFor<T>, key: PublicOf<T>) {
		let Ok(raw) = <[u8; 32]>::try_from(key.to_raw_vec()) else { return };
		let Some(operator) = T::Operators::operator_of(&raw) else { return };
		let block: u32 = now.saturated_into();
		let mut health = Healths::load(raw);
		let mut probing = BTreeSet::new();
		let jobs: Vec<Job<T>> = Assignments::<T>::iter_key_prefix(&operator)
			.take(T::MaxExecutionsPerBlock::get() as usize)
			.filter_map(|id| Self::job(now, id))
			.filter(|job| match health.of(job.request.api_id).breaker(block) {
				Breaker::Closed => true,
				// The handover pallet's worker hands these over.
				Breaker::Open => false,
				// One probe per API and block; the others wait for its outcome.
				Breaker::HalfOpen => probing.insert(job.request.api_id),
			})
			.collect();

		// A lock per request keeps two workers (overlapping blocks, forks) from calling an
		// upstream twice; each is held until the request's report is recorded. Locks and
		// records are keyed by the request's content too: a request that got the same id on
		// another fork is another request.
		let lock_keys: Vec<Vec<u8>> = jobs
			.iter()
			.map(|job| execution_lock_key(job.request_id, &job.request.request_hash, &raw))
			.collect();
		let mut locks: Vec<StorageLock<Time>> = lock_keys
			.iter()
			.zip(&jobs)
			.map(|(lock_key, job)| {
				StorageLock::with_deadline(
					lock_key,
					Duration::from_millis(job.request.terms.timeout_ms as u64 + 5_000),
				)
			})
			.collect();
		let guards: Vec<_> = locks.iter_mut().map(|lock| lock.try_lock().ok()).collect();

		// Reports sent before a runtime upgrade were dropped with it: resent now, not after
		// `RESEND_AFTER`, which a deadline may not leave time for.
		let upgraded = signer::runtime_changed::<T>(&T::Operators::signer_of(&raw));
		let mut reports: Vec<(RequestId, Report<T>)> = Vec::new();
		let mut calls: Vec<Job<T>> = Vec::new();
		// The (request, content hash) this run left records for.
		let mut touched: Vec<(RequestId, [u8; 32])> = Vec::new();
		for (job, guard) in jobs.into_iter().zip(&guards) {
			if guard.is_none() {
				continue;
			}
			let record_key = job.executed_key(&raw);
			let record = StorageValueRef::persistent(&record_key);
			match record.get::<Executed<T>>() {
				Ok(Some(done))
					if !upgraded && now < done.sent_at.saturating_add(RESEND_AFTER.into()) => {},
				Ok(Some(done)) => {
					if !upgraded {
						// A late report is a sign of trouble too.
						let timeout = job.request.terms.timeout_ms;
						health.of(job.request.api_id).observe(block, timeout, true, timeout);
					}
					record.set(&Executed::<T> { sent_at: now, report: done.report.clone() });
					reports.push((job.request_id, done.report));
				},
				_ => {
					Self::check_checkpoint(&job, &operator);
					calls.push(job);
				},
			}
		}
		let results = Self::call_upstreams(&calls, &operator);
		Self::record_samples(
			results
				.iter()
				.map(|r| ExecutionSample { status: r.status, latency_ms: r.latency_ms }),
		);
		for (job, result) in calls.iter().zip(results) {
			// Only an unavailable upstream counts against the node's health: a refused, oversized
			// or non-UTF-8 answer is the API's, and a successor would get the same.
			let failed = matches!(result.status, ResultStatus::Timeout | ResultStatus::Unreachable);
			let api = health.of(job.request.api_id);
			api.observe(block, result.latency_ms, failed, job.request.terms.timeout_ms);
			if failed && api.breaker(block) == Breaker::Open {
				// Hand it over (step 1: the upstream was called) rather than report a failure
				// the next operator may not have.
				let state_hash = sp_io::hashing::blake2_256(&result.body);
				let attempt = attempt_storage_key(job.request_id, &job.request.request_hash, &raw);
				StorageValueRef::persistent(&attempt).set(&state_hash);
				touched.push((job.request_id, job.request.request_hash));
				continue;
			}
			if let Some(report) = Self::sign_report(&key, &operator, job, result) {
				StorageValueRef::persistent(&job.executed_key(&raw))
					.set(&Executed::<T> { sent_at: now, report: report.clone() });
				touched.push((job.request_id, job.request.request_hash));
				reports.push((job.request_id, report));
			}
		}
		drop(guards);
		health.save();
		Self::forget_finished(&raw, &operator, touched);
		if !reports.is_empty() {
			Self::send_reports(key, reports);
		}
	}

	/// `request_id`, if it is still open.
	fn job(now: BlockNumberFor<T>, request_id: RequestId) -> Option<Job<T>> {
		let request = Requests::<T>::get(request_id)?;
		if request.status != RequestStatus::Pending || now > request.deadline {
			return None;
		}
		// A sealed request waits for its client's envelopes.
		if !request.executable() {
			return None;
		}
		Some(Job { request_id, request })
	}

	/// Keeps this node's offchain storage bounded: the records of executed requests and of
	/// attempts left for a handover are kept in an index per key and dropped once the chain no
	/// longer assigns the request to the operator (it was reported, handed over or settled).
	fn forget_finished(
		raw: &[u8; 32],
		operator: &T::AccountId,
		touched: Vec<(RequestId, [u8; 32])>,
	) {
		sweep_index(&executed_index_storage_key(raw), touched, |id, request_hash| {
			let finished = !Assignments::<T>::contains_key(operator, id);
			if finished {
				StorageValueRef::persistent(&executed_storage_key(id, request_hash, raw)).clear();
				StorageValueRef::persistent(&attempt_storage_key(id, request_hash, raw)).clear();
			}
			finished
		});
	}

	/// Before resuming a request handed over to `operator`, checks the predecessor's checkpoint
	/// against the chain: signed by its gateway key, bound to this chain and to this request's
	/// content. The chain logged an invalid one as fraud already; this node says so in its log.
	fn check_checkpoint(job: &Job<T>, operator: &T::AccountId) {
		let request_id = job.request_id;
		let history = T::Handovers::history(request_id);
		let Some(record) = history.iter().rev().find(|r| &r.to == operator) else { return };
		let Some(checkpoint) = record.checkpoint else { return };
		let genesis = genesis_hash::<T>();
		let verified = T::Operators::gateway_key(&record.from).is_some_and(|key| {
			checkpoint_verifies(
				&genesis,
				request_id,
				&job.request.request_hash,
				&checkpoint,
				&record.from,
				&key,
			)
		});
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

	/// Leaves `new` for the node's Prometheus metrics, dropping the oldest beyond the cap.
	fn record_samples(new: impl ExactSizeIterator<Item = ExecutionSample>) {
		if new.len() == 0 {
			return;
		}
		let store = StorageValueRef::persistent(EXECUTION_SAMPLES_KEY);
		let _ = store.mutate(|samples: Result<Option<Vec<ExecutionSample>>, _>| {
			let mut samples = samples.ok().flatten().unwrap_or_default();
			samples.extend(new);
			let excess = samples.len().saturating_sub(MAX_EXECUTION_SAMPLES);
			samples.drain(..excess);
			Ok::<_, ()>(samples)
		});
	}

	/// Calls the upstreams of `jobs` through the node's egress policy, all at once, each under
	/// its request's terms (URL, timeout, size cap); never panics. The results are in the order
	/// of `jobs`. `operator`'s sealed API secrets go with them, for the node to open.
	fn call_upstreams(jobs: &[Job<T>], operator: &T::AccountId) -> Vec<EgressResponse> {
		if jobs.is_empty() {
			return Vec::new();
		}
		let calls = jobs.iter().map(|job| Self::egress_request(job, operator)).collect();
		baton_primitives::egress::upstream::fetch_all(calls)
			.into_iter()
			.map(|response| {
				let status = match response.status {
					ResultStatus::Response { .. }
						if core::str::from_utf8(&response.body).is_err() =>
					{
						ResultStatus::NotUtf8
					},
					status => status,
				};
				let (body, sealed_body) = if status.is_response() {
					(response.body, response.sealed_body)
				} else {
					(Vec::new(), None)
				};
				EgressResponse { status, body, latency_ms: response.latency_ms, sealed_body }
			})
			.collect()
	}

	/// The call `job` makes upstream: the request's method, its terms' URL and path, the
	/// idempotency key and the client's headers, and its body; the API's secret sealed to
	/// `operator`, if it has one. A sealed request's headers and body are in its envelope for
	/// `operator`, and its response is sealed to its client; the sealed body must fit a report,
	/// so the upstream's is capped below `MaxResponseLen` by the sealing's overhead.
	fn egress_request(job: &Job<T>, operator: &T::AccountId) -> EgressRequest {
		let request = &job.request;
		let url = [&request.terms.base_url[..], &request.path[..]].concat();
		let key = idempotency_key(job.request_id, &request.request_hash);
		let mut headers = alloc::vec![(b"Idempotency-Key".to_vec(), key.into_bytes())];
		headers.extend(request.headers.iter().map(|(name, value)| (name.to_vec(), value.to_vec())));
		let mut max_response_bytes = request.terms.max_response_bytes;
		let seal_response = request.sealed.as_ref().map(|sealing| {
			max_response_bytes = max_response_bytes
				.min(T::MaxResponseLen::get().saturating_sub(SEALED_RESPONSE_OVERHEAD));
			ResponseSeal {
				client_key: sealing.terms.client_key,
				info: sealed_response_info(
					&genesis_hash::<T>(),
					job.request_id,
					&request.request_hash,
					operator,
				),
			}
		});
		EgressRequest {
			method: request.method.as_str().as_bytes().to_vec(),
			url,
			headers,
			body: request.body.to_vec(),
			timeout_ms: request.terms.timeout_ms,
			max_response_bytes,
			secret: Self::sealed_secret(request.api_id, operator),
			sealed_call: Self::sealed_call(job.request_id, request, operator),
			seal_response,
		}
	}

	/// The report of `result` for `job`, with the receipt signed by `key`.
	fn sign_report(
		key: &PublicOf<T>,
		operator: &T::AccountId,
		job: &Job<T>,
		result: EgressResponse,
	) -> Option<Report<T>> {
		let plaintext_hash = sp_io::hashing::blake2_256(&result.body);
		// A sealed request's response goes on-chain sealed; what the majority compares and the
		// receipt signs is vouched for beside it (settlement.rs).
		let (response_hash, body, sealed) = match (&job.request.sealed, result.sealed_body) {
			(Some(_), Some(sealed_body)) if result.status.is_response() => {
				let sealed_hash = sp_io::hashing::blake2_256(&sealed_body);
				let ignored = &job.request.terms.ignored_fields;
				let sealed = SealedResult {
					plaintext_hash,
					result_key: result_key(&result.status, &result.body, ignored),
				};
				(sealed_response_hash(&plaintext_hash, &sealed_hash), sealed_body, Some(sealed))
			},
			// A sealed request's plaintext is never reported.
			(Some(_), _) if result.status.is_response() => return None,
			_ => (plaintext_hash, result.body, None),
		};
		let message = receipt_message(
			&genesis_hash::<T>(),
			job.request_id,
			&job.request.request_hash,
			&response_hash,
			&result.status,
			operator,
		);
		let signature = key.sign(&message)?;
		let signature: [u8; 64] = signature.encode().try_into().ok()?;
		let body = body.try_into().ok()?;
		Some(Report {
			status: result.status,
			response_hash,
			latency_ms: result.latency_ms,
			body,
			signature,
			sealed,
		})
	}

	/// Submits `reports` in transactions signed by `key`: `report_result` for a single one,
	/// `report_results` of up to `MaxReportsPerCall` otherwise.
	fn send_reports(key: PublicOf<T>, mut reports: Vec<(RequestId, Report<T>)>) {
		let signer = LocalSigner::<T, T::AuthorityId>::new(key);
		if reports.len() == 1 {
			let (request_id, report) = reports.remove(0);
			if !signer.send(Call::report_result { request_id, report }) {
				log::warn!(target: LOG_TARGET, "report of {request_id} not submitted");
			}
			return;
		}
		let per_call = T::MaxReportsPerCall::get().max(1) as usize;
		while !reports.is_empty() {
			let rest = reports.split_off(per_call.min(reports.len()));
			let count = reports.len();
			let batch: BoundedVec<_, T::MaxReportsPerCall> =
				reports.try_into().expect("split to the bound");
			if !signer.send(Call::report_results { reports: batch }) {
				log::warn!(target: LOG_TARGET, "{count} reports not submitted");
			}
			reports = rest;
		}
	}
}
