//! Benchmarks of `pallet_gateway`: every call at its largest inputs, or along the inputs its
//! weight depends on, and the block hook.

use super::*;
use crate::types::AgendaTask;
use alloc::vec;
use baton_primitives::{
	genesis_hash, receipt_message,
	sealing::{CallEnvelope, SealTerms},
	RequestStatus, ResultStatus, GATEWAY_KEY_TYPE,
};
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::Mutate, Hooks},
};
use frame_system::{pallet_prelude::BlockNumberFor, Pallet as System, RawOrigin};
use sp_runtime::{
	traits::{Bounded, Zero},
	Perbill,
};

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let _ = T::Currency::mint_into(&who, BalanceOf::<T>::max_value() / 1_000u32.into());
	who
}

/// The largest valid spec: every method, the longest URL and every ignored field.
fn spec<T: Config>() -> ApiSpec<T> {
	let mut url = b"https://".to_vec();
	url.resize(T::MaxUrlLen::get() as usize, b'a');
	let fields = (0..T::MaxIgnoredFields::get())
		.map(|i| {
			let mut field = vec![b'f'; 63];
			field.extend_from_slice(&[b'0' + (i % 10) as u8]);
			field[0] = b'a' + (i / 10 % 26) as u8;
			field.try_into().expect("64 bytes fit")
		})
		.collect::<vec::Vec<_>>();
	ApiSpec {
		base_url: url.try_into().expect("fits"),
		methods: vec![
			HttpMethod::Get,
			HttpMethod::Post,
			HttpMethod::Put,
			HttpMethod::Patch,
			HttpMethod::Delete,
		]
		.try_into()
		.expect("five methods"),
		price_per_call: 1_000u32.into(),
		max_response_bytes: T::MaxResponseLen::get(),
		timeout_ms: T::MaxTimeoutMs::get(),
		default_redundancy: 1,
		min_reputation: Perbill::zero(),
		ignored_fields: fields.try_into().expect("fits"),
		confidential_path: false,
	}
}

/// The largest envelope, sealed to the encryption key the benchmark helper's operators have.
fn envelope() -> baton_primitives::sealing::Envelope {
	baton_primitives::sealing::Envelope {
		recipient: [7; 32],
		encapped: [1; 32],
		ciphertext: BoundedVec::truncate_from(vec![
			0;
			baton_primitives::sealing::MAX_SEALED_BYTES
				as usize
		]),
	}
}

/// A call of `len` bytes of ciphertext sealed to the benchmark helper's operators' key.
fn call_envelope(len: usize) -> CallEnvelope {
	CallEnvelope {
		recipient: [7; 32],
		encapped: [1; 32],
		ciphertext: BoundedVec::truncate_from(vec![0; len]),
	}
}

/// A sealed request of `client` to `api` through `redundancy` operators (and as many backups as
/// there are), not sealed yet; returns its id.
fn sealed_request<T: Config>(client: &T::AccountId, api: ApiId, redundancy: u32) -> RequestId {
	let id = NextRequestId::<T>::get();
	let request = NewRequest {
		headers: Default::default(),
		body: Default::default(),
		sealed: Some(SealTerms { client_key: [3; 32], content_hash: [4; 32] }),
		..new_request::<T>(1, redundancy)
	};
	Pallet::<T>::do_submit_request(client, api, request).expect("routed");
	id
}

/// Registers the largest spec as a new API; returns its id.
fn api<T: Config>() -> ApiId {
	let owner = funded::<T>("publisher", 0);
	let id = NextApiId::<T>::get();
	Pallet::<T>::do_register_api(&owner, spec::<T>()).expect("valid spec");
	id
}

/// `count` operators serving `api`, each with a gateway key in the keystore.
fn operators<T: Config>(
	api: ApiId,
	count: u32,
) -> vec::Vec<(T::AccountId, sp_core::ed25519::Public)> {
	(0..count)
		.map(|i| {
			let who = funded::<T>("operator", i);
			let public = sp_io::crypto::ed25519_generate(GATEWAY_KEY_TYPE, None);
			T::BenchmarkHelper::operator(&who, public.0, api);
			(who, public)
		})
		.collect()
}

/// The largest request a client may send: path, headers and body, in bytes.
type PathOf<T> = BoundedVec<u8, <T as Config>::MaxPathLen>;
type BodyOf<T> = BoundedVec<u8, <T as Config>::MaxBodyLen>;
type ReportsOf<T> = BoundedVec<(RequestId, Report<T>), <T as Config>::MaxReportsPerCall>;

fn max_request_bytes<T: Config>() -> u32 {
	T::MaxPathLen::get() + 2 * T::MaxHeaders::get() * T::MaxHeaderLen::get() + T::MaxBodyLen::get()
}

/// A request of exactly `size` bytes (`size >= 1`): the path fills first, then the body, then
/// headers of up to the longest name and value.
fn request_of<T: Config>(size: u32) -> (PathOf<T>, HeadersOf<T>, BodyOf<T>) {
	let path_len = size.min(T::MaxPathLen::get());
	let body_len = (size - path_len).min(T::MaxBodyLen::get());
	let mut rest = size - path_len - body_len;
	let mut path = vec![b'p'; path_len as usize];
	path[0] = b'/';
	let mut headers = vec::Vec::new();
	while rest > 0 {
		let name_len = rest.min(T::MaxHeaderLen::get());
		let value_len = (rest - name_len).min(T::MaxHeaderLen::get());
		rest -= name_len + value_len;
		headers.push((
			vec![b'x'; name_len as usize].try_into().expect("fits"),
			vec![b'v'; value_len as usize].try_into().expect("fits"),
		));
	}
	(
		path.try_into().expect("fits"),
		headers.try_into().expect("fits"),
		vec![b'b'; body_len as usize].try_into().expect("fits"),
	)
}

/// A JSON object of exactly `len` bytes (`len >= 8`) holding the ignored fields' names.
fn json_body(len: usize) -> vec::Vec<u8> {
	let mut body = br#"{"a":""#.to_vec();
	body.resize(len - 2, b'x');
	body.extend_from_slice(br#""}"#);
	body
}

/// A request of `bytes` bytes through `redundancy` operators, with the latest deadline.
fn new_request<T: Config>(bytes: u32, redundancy: u32) -> NewRequest<T> {
	let (path, headers, body) = request_of::<T>(bytes);
	NewRequest {
		method: HttpMethod::Post,
		path,
		headers,
		body,
		redundancy,
		max_fee: BalanceOf::<T>::max_value(),
		deadline: System::<T>::block_number() + T::MaxDeadline::get(),
		sealed: None,
	}
}

fn submit<T: Config>(client: &T::AccountId, api: ApiId, redundancy: u32) -> RequestId {
	let id = NextRequestId::<T>::get();
	Pallet::<T>::do_submit_request(
		client,
		api,
		new_request::<T>(max_request_bytes::<T>(), redundancy),
	)
	.expect("a valid request");
	id
}

/// A request through one of two fresh operators, and that operator's key account and gateway
/// key: what the handover pallet's benchmarks need, made through this pallet.
pub fn assigned_request<T: Config>() -> (RequestId, T::AccountId, baton_primitives::GatewayKey) {
	let api = api::<T>();
	let operators = operators::<T>(api, 2);
	let id = submit::<T>(&funded::<T>("client", 0), api, 1);
	let assigned = Requests::<T>::get(id).expect("submitted").assigned[0].clone();
	let (_, key) = operators.into_iter().find(|(who, _)| *who == assigned).expect("one of two");
	(id, T::Operators::signer_of(&key.0), key.0)
}

/// An API served by `MaxCandidates` operators, the most routing looks at, each with a gateway
/// key in the keystore, with a secret sealed to as many of them as may hold it (so routing
/// checks each candidate for it): what the relay pallet's benchmarks open sessions on, made
/// through this pallet.
pub fn busiest_api<T: Config>() -> ApiId {
	let api = api::<T>();
	let serving = operators::<T>(api, T::MaxCandidates::get());
	seal_to::<T>(api, &serving);
	api
}

/// Seals a secret of API `api` to the first `MaxSecretHolders` of `serving`.
fn seal_to<T: Config>(api: ApiId, serving: &[(T::AccountId, sp_core::ed25519::Public)]) {
	let owner = Apis::<T>::get(api).expect("registered").owner;
	let holders = serving
		.iter()
		.take(T::MaxSecretHolders::get() as usize)
		.map(|(who, _)| (who.clone(), envelope()))
		.collect::<vec::Vec<_>>();
	Pallet::<T>::do_set_api_secret(&owner, api, &holders).expect("sealed to their keys");
}

fn signed_report<T: Config>(
	request_id: RequestId,
	operator: &T::AccountId,
	key: &sp_core::ed25519::Public,
	body: vec::Vec<u8>,
) -> Report<T> {
	let status = ResultStatus::Response { code: 200 };
	let response_hash = sp_io::hashing::blake2_256(&body);
	let request_hash = Requests::<T>::get(request_id).expect("submitted").request_hash;
	let message = receipt_message(
		&genesis_hash::<T>(),
		request_id,
		&request_hash,
		&response_hash,
		&status,
		operator,
	);
	let signature =
		sp_io::crypto::ed25519_sign(GATEWAY_KEY_TYPE, key, &message).expect("key in keystore");
	Report {
		status,
		response_hash,
		latency_ms: 100,
		body: body.try_into().expect("fits"),
		signature: signature.0,
		sealed: None,
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_api() {
		let owner = funded::<T>("publisher", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), spec::<T>());

		assert!(Apis::<T>::contains_key(0));
	}

	#[benchmark]
	fn update_api() {
		let id = api::<T>();
		let owner = Apis::<T>::get(id).unwrap().owner;

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, spec::<T>());
	}

	#[benchmark]
	fn pause_api() {
		let id = api::<T>();
		let owner = Apis::<T>::get(id).unwrap().owner;

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, true);

		assert!(Apis::<T>::get(id).unwrap().paused);
	}

	/// A request of `s` bytes (path, headers and body) through `r` operators, routed among
	/// `c` candidates (never fewer than `r`) that hold the API's secret.
	#[benchmark]
	fn submit_request(
		c: Linear<{ T::MaxRedundancy::get() }, { T::MaxCandidates::get() }>,
		s: Linear<1, { max_request_bytes::<T>() }>,
		r: Linear<1, { T::MaxRedundancy::get() }>,
	) {
		let id = api::<T>();
		// An API with a secret: routing also checks that each candidate holds it.
		seal_to::<T>(id, &operators::<T>(id, c));
		let client = funded::<T>("client", 0);
		let deadline = System::<T>::block_number() + T::MaxDeadline::get();
		let (path, headers, body) = request_of::<T>(s);
		assert_eq!(requests::request_bytes::<T>(&path, &headers, &body), s);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(client),
			id,
			HttpMethod::Post,
			path,
			headers,
			body,
			r,
			BalanceOf::<T>::max_value(),
			deadline,
		);

		assert_eq!(Requests::<T>::get(0).unwrap().assigned.len() as u32, r);
	}

	/// `n` of the smallest one-operator requests of one client, routed to the one operator
	/// serving the API; more operators and bytes cost what they cost `submit_request`, and the
	/// sampling of more candidates what `sample_operators` measures.
	#[benchmark]
	fn submit_requests(n: Linear<1, { T::MaxRequestsPerCall::get() }>) {
		let id = api::<T>();
		operators::<T>(id, 1);
		let client = funded::<T>("client", 0);
		let requests: vec::Vec<_> = (0..n).map(|_| new_request::<T>(1, 1)).collect();
		let requests: BoundedVec<_, T::MaxRequestsPerCall> = requests.try_into().expect("n fit");

		#[extrinsic_call]
		_(RawOrigin::Signed(client), id, requests);

		assert_eq!(NextRequestId::<T>::get(), n as RequestId);
	}

	/// Routing's weighted sampling of one request's operators and backups among `c` eligible
	/// operators already read: what each further request of a `submit_requests` call costs per
	/// candidate.
	#[benchmark]
	fn sample_operators(c: Linear<1, { T::MaxCandidates::get() }>) {
		let id = api::<T>();
		operators::<T>(id, c);
		let eligible = Pallet::<T>::eligible(id, &Apis::<T>::get(id).expect("registered"));
		let count = c.min(T::MaxRedundancy::get() + T::MaxBackups::get());
		let chosen;

		#[block]
		{
			chosen = Pallet::<T>::sample(&eligible.eligible, b"baton/route", count);
		}

		assert_eq!(chosen.len() as u32, count);
	}

	/// A proof that an operator signed two results for one request: two signature checks and
	/// the offence report.
	#[benchmark]
	fn report_equivocation() {
		let api = api::<T>();
		let (operator, key) = operators::<T>(api, 1).remove(0);
		let client = funded::<T>("client", 0);
		let request_id = submit::<T>(&client, api, 1);
		let request_hash = Requests::<T>::get(request_id).expect("submitted").request_hash;
		let signed = |body: &[u8]| {
			let report = signed_report::<T>(request_id, &operator, &key, body.to_vec());
			SignedResult {
				status: report.status,
				response_hash: report.response_hash,
				signature: report.signature,
			}
		};
		let (first, second) = (signed(br#"{"price":1}"#), signed(br#"{"price":2}"#));
		let reporter = funded::<T>("reporter", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(reporter), request_id, request_hash, operator.clone(), first, second);
	}

	/// The last report of a request with `k` operators, which settles it; its body is `b`
	/// bytes of JSON the API ignores fields of. Backups are armed beside as many of its
	/// operators as there are backups, and the reports come from them first: the settlement
	/// frees every operator that did not report.
	#[benchmark]
	fn report_result(
		k: Linear<1, { T::MaxRedundancy::get() }>,
		b: Linear<8, { T::MaxResponseLen::get() }>,
	) {
		let api = api::<T>();
		let ops = operators::<T>(api, k + k.min(T::MaxBackups::get()));
		let client = funded::<T>("client", 0);
		let request_id = submit::<T>(&client, api, k);
		Pallet::<T>::arm_backups(request_id);
		let body = json_body(b as usize);
		let request = Requests::<T>::get(request_id).unwrap();
		let reporters: vec::Vec<_> = request
			.armed
			.iter()
			.map(|(backup, _)| backup)
			.chain(request.assigned.iter())
			.take(k as usize)
			.collect();
		let key_of =
			|who: &T::AccountId| ops.iter().find(|(o, _)| o == who).expect("an operator").1;
		for who in reporters.iter().take(k as usize - 1) {
			let report = signed_report::<T>(request_id, who, &key_of(who), body.clone());
			let signer = T::Operators::signer_of(&key_of(who).0);
			Pallet::<T>::do_report_result(&signer, request_id, report).expect("a valid report");
		}
		let last = (*reporters.last().expect("k > 0")).clone();
		let report = signed_report::<T>(request_id, &last, &key_of(&last), body);
		let signer = T::Operators::signer_of(&key_of(&last).0);

		#[extrinsic_call]
		_(RawOrigin::Signed(signer), request_id, report);

		assert!(matches!(
			Requests::<T>::get(request_id).unwrap().status,
			RequestStatus::Completed { .. }
		));
	}

	/// `n` reports of one operator, each settling a request of its own with the smallest body.
	/// Each request is another client's call to another API: nothing but the operator and the
	/// treasury is shared. More operators per request and larger bodies cost what they cost
	/// `report_result`, which the call's weight adds.
	#[benchmark]
	fn report_results(n: Linear<1, { T::MaxReportsPerCall::get() }>) {
		let (signer, reports) = reports_of_one_operator::<T>(n, false);
		let ids: vec::Vec<RequestId> = reports.iter().map(|(id, _)| *id).collect();

		#[extrinsic_call]
		_(RawOrigin::Signed(signer), reports);

		assert_completed::<T>(&ids);
	}

	/// `n` reports as in `report_results`, all on requests of one client to one API: what a
	/// report costs in a batch beyond the first of its (client, API) pair.
	#[benchmark]
	fn report_results_shared(n: Linear<1, { T::MaxReportsPerCall::get() }>) {
		let (signer, reports) = reports_of_one_operator::<T>(n, true);
		let ids: vec::Vec<RequestId> = reports.iter().map(|(id, _)| *id).collect();

		#[extrinsic_call]
		report_results(RawOrigin::Signed(signer), reports);

		assert_completed::<T>(&ids);
	}

	/// `s` requests whose deadline passed with no report from any of their operators, nor from
	/// the backups armed beside as many of them as there were backups, none left (their
	/// lifetime over): each settles, refunding the client, reporting every operator and
	/// freeing every armed backup.
	#[benchmark]
	fn expire_settling(s: Linear<0, { T::MaxExpiriesPerBlock::get() }>) {
		let api = api::<T>();
		let k = T::MaxRedundancy::get();
		let backups = k.min(T::MaxBackups::get());
		operators::<T>(api, k + backups);
		let client = funded::<T>("client", 0);
		System::<T>::set_block_number(T::MaxLifetime::get());
		let ids: vec::Vec<_> = (0..s)
			.map(|_| {
				let id = submit_unrouted::<T>(&client, api, k, backups);
				Pallet::<T>::arm_backups(id);
				id
			})
			.collect();
		let due = expire_at::<T>();
		// Their lifetime over, no armed backup can be given more time to report.
		for id in &ids {
			Requests::<T>::mutate(id, |request| {
				request.as_mut().expect("just made").submitted_at = Zero::zero();
			});
		}

		#[block]
		{
			Pallet::<T>::on_initialize(due);
		}

		for id in ids {
			assert!(matches!(
				Requests::<T>::get(id).unwrap().status,
				RequestStatus::Refunded { .. }
			));
		}
	}

	/// `s` requests whose deadline passed with no report from any of their operators: each
	/// operator's assignment passes to a backup.
	#[benchmark]
	fn expire_handing_over(s: Linear<0, { T::MaxExpiriesPerBlock::get() }>) {
		let api = api::<T>();
		let k = T::MaxRedundancy::get();
		let backups = k.min(T::MaxBackups::get());
		operators::<T>(api, k + backups);
		let client = funded::<T>("client", 0);
		let ids: vec::Vec<_> =
			(0..s).map(|_| submit_unrouted::<T>(&client, api, k, backups)).collect();
		let due = expire_at::<T>();

		#[block]
		{
			Pallet::<T>::on_initialize(due);
		}

		for id in ids {
			let request = Requests::<T>::get(id).unwrap();
			assert_eq!(request.status, RequestStatus::Pending);
			assert_ne!(request.assigned, request.routed);
		}
	}

	/// The end of the backup grace of `h` one-operator requests whose operator did not report:
	/// a backup is armed beside each, each backup another operator (their stake bounds their
	/// capacity). A request of more operators counts as one per backup it may arm, which
	/// charges it for reading the request more than once.
	#[benchmark]
	fn arm_backups(h: Linear<0, { T::MaxHedgesPerBlock::get() }>) {
		let api = api::<T>();
		operators::<T>(api, h + 1);
		let serving: vec::Vec<_> =
			(0..=h).filter_map(|slot| T::Operators::available_at(api, slot)).collect();
		let client = funded::<T>("client", 0);
		let ids: vec::Vec<_> = serving[1..]
			.iter()
			.map(|backup| {
				pending_request::<T>(&client, api, vec![serving[0].clone()], vec![backup.clone()])
			})
			.collect();
		let now = System::<T>::block_number();
		let requests = BoundedVec::truncate_from(ids.clone());
		Hedges::<T>::insert(now, HedgesDue { requests, backups: h });

		#[block]
		{
			Pallet::<T>::on_finalize(now);
		}

		for id in ids {
			assert_eq!(Requests::<T>::get(id).unwrap().armed.len(), 1);
		}
	}

	/// Governance sets the backup grace.
	#[benchmark]
	fn set_backup_grace() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 2u32.into());

		assert_eq!(BackupGrace::<T>::get(), 2u32.into());
		Ok(())
	}

	/// The owner replaces a secret held by `MaxSecretHolders` operators with one sealed to `n`.
	#[benchmark]
	fn set_api_secret(n: Linear<0, { T::MaxSecretHolders::get() }>) {
		let api_id = api::<T>();
		let owner = Apis::<T>::get(api_id).expect("registered").owner;
		let holders = operators::<T>(api_id, T::MaxSecretHolders::get());
		let sealed = |who: &T::AccountId| (who.clone(), envelope());
		let old = holders.iter().map(|(who, _)| sealed(who)).collect::<vec::Vec<_>>();
		Pallet::<T>::do_set_api_secret(&owner, api_id, &old).expect("sealed to their keys");
		let new = old[..n as usize].to_vec();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), api_id, new.try_into().expect("at most the maximum"));

		assert_eq!(ApiSecretHolders::<T>::get(api_id), (n > 0).then_some(n));
	}

	/// The owner grants the secret to one more operator.
	#[benchmark]
	fn grant_api_secret() {
		let api_id = api::<T>();
		let owner = Apis::<T>::get(api_id).expect("registered").owner;
		let holders = operators::<T>(api_id, T::MaxSecretHolders::get());
		let (newcomer, _) = holders.last().expect("MaxSecretHolders is not zero").clone();
		let old = holders[..holders.len() - 1]
			.iter()
			.map(|(who, _)| (who.clone(), envelope()))
			.collect::<vec::Vec<_>>();
		Pallet::<T>::do_set_api_secret(&owner, api_id, &old).expect("sealed to their keys");

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), api_id, newcomer.clone(), envelope());

		assert!(ApiSecrets::<T>::contains_key(api_id, &newcomer));
	}

	/// The client seals a request routed to `n` operators and backups with `b` bytes of
	/// ciphertext in all.
	#[benchmark]
	fn seal_request(
		n: Linear<1, { SealedEnvelopes::<T>::get() }>,
		b: Linear<0, { baton_primitives::sealing::MAX_SEALED_CALL_BYTES }>,
	) {
		let api = api::<T>();
		operators::<T>(api, n);
		let client = funded::<T>("client", 0);
		let id = sealed_request::<T>(&client, api, n.min(T::MaxRedundancy::get()));
		let request = Requests::<T>::get(id).expect("submitted");
		let routed: vec::Vec<_> = request.assigned.iter().chain(request.backups.iter()).collect();
		assert_eq!(routed.len() as u32, n);
		let envelopes: vec::Vec<_> = routed
			.into_iter()
			.map(|who| (who.clone(), call_envelope((b / n) as usize)))
			.collect();

		#[extrinsic_call]
		_(RawOrigin::Signed(client), id, envelopes.try_into().expect("one per operator"));

		assert_eq!(SealedCalls::<T>::iter_prefix(id).count() as u32, n);
	}

	/// `p` finished sealed requests whose retention ended, each with as many envelopes as it may
	/// have. Removing an envelope proves its key, not its value (up to 16 KiB): its proof is
	/// measured rather than bounded by the value's largest size.
	#[benchmark(pov_mode = MaxEncodedLen { Gateway::SealedCalls: Measured })]
	fn prune(p: Linear<0, { T::MaxTasksPerBlock::get() }>) {
		let api = api::<T>();
		let k = T::MaxRedundancy::get();
		operators::<T>(api, k);
		let client = funded::<T>("client", 0);
		let now = System::<T>::block_number();
		let ids: vec::Vec<_> = (0..p).map(|_| submit_unrouted::<T>(&client, api, k, 0)).collect();
		let due = now + T::Retention::get();
		for id in &ids {
			let mut request = Requests::<T>::get(id).expect("just made");
			request.sealed = Some(Sealing {
				terms: SealTerms { client_key: [3; 32], content_hash: [4; 32] },
				sealed_at: Some(now),
			});
			for i in 0..SealedEnvelopes::<T>::get() {
				SealedCalls::<T>::insert(id, funded::<T>("routed", i), call_envelope(0));
			}
			Agenda::<T>::remove(now + T::MinDeadline::get() + 1u32.into(), id);
			Pallet::<T>::settle(*id, &mut request, now);
			Requests::<T>::insert(id, request);
		}
		System::<T>::set_block_number(due);
		AgendaCursor::<T>::put(due);

		#[block]
		{
			Pallet::<T>::on_initialize(due);
		}

		assert!(ids.iter().all(|id| !Requests::<T>::contains_key(id)));
		assert!(SealedCalls::<T>::iter().next().is_none());
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::checked_ext(),
		crate::mock::Test,
		exec_name = execute_checked
	);
}

/// The gateway key's account of one operator and its reports, each settling a pending
/// one-operator request, beside whose silent operator it is armed, with the smallest body: all of one client to one API if `shared`,
/// else each of another client to another API.
fn reports_of_one_operator<T: Config>(n: u32, shared: bool) -> (T::AccountId, ReportsOf<T>) {
	let first_api = api::<T>();
	let mut serving = operators::<T>(first_api, 2);
	let (operator, key) = serving.remove(0);
	let silent = serving.remove(0).0;
	let first_client = funded::<T>("client", 0);
	let body = json_body(8);
	let reports: vec::Vec<_> = (0..n)
		.map(|i| {
			let (client, api) = if shared || i == 0 {
				(first_client.clone(), first_api)
			} else {
				(funded::<T>("client", i), api::<T>())
			};
			// The report is an armed backup's: settling frees the silent operator beside it.
			let request_id =
				pending_request::<T>(&client, api, vec![silent.clone()], vec![operator.clone()]);
			Pallet::<T>::arm_backups(request_id);
			(request_id, signed_report::<T>(request_id, &operator, &key, body.clone()))
		})
		.collect();
	(T::Operators::signer_of(&key.0), reports.try_into().expect("n fit"))
}

fn assert_completed<T: Config>(ids: &[RequestId]) {
	for id in ids {
		assert!(matches!(Requests::<T>::get(id).unwrap().status, RequestStatus::Completed { .. }));
	}
}

/// Moves to the first block after the deadline of requests made now by `submit_unrouted`.
fn expire_at<T: Config>() -> BlockNumberFor<T> {
	let due = System::<T>::block_number() + T::MinDeadline::get() + 1u32.into();
	System::<T>::set_block_number(due);
	AgendaCursor::<T>::put(due);
	due
}

/// A pending request assigned to the operators in the first `k` slots of `api`'s available
/// operators with the next `backups` as backups, without routing (so operators' capacity does
/// not limit how many a benchmark makes).
fn submit_unrouted<T: Config>(
	client: &T::AccountId,
	api: ApiId,
	k: u32,
	backups: u32,
) -> RequestId {
	let serving: vec::Vec<_> = (0..k + backups)
		.filter_map(|slot| T::Operators::available_at(api, slot))
		.collect();
	pending_request::<T>(
		client,
		api,
		serving[..k as usize].to_vec(),
		serving[k as usize..].to_vec(),
	)
}

/// A pending request of the largest size to `api`, assigned to `assigned` with `backups`, and
/// its fee in escrow.
fn pending_request<T: Config>(
	client: &T::AccountId,
	api: ApiId,
	assigned: vec::Vec<T::AccountId>,
	backups: vec::Vec<T::AccountId>,
) -> RequestId {
	let id = NextRequestId::<T>::get();
	let now = System::<T>::block_number();
	let deadline: BlockNumberFor<T> = now + T::MinDeadline::get();
	let call = new_request::<T>(max_request_bytes::<T>(), 0);
	let assigned: BoundedVec<_, _> = assigned.try_into().expect("k fit");
	let backups: BoundedVec<_, _> = backups.try_into().expect("backups fit");
	let registered = Apis::<T>::get(api).expect("registered");
	let (price, protocol_fee, fee) =
		requests::price::<T>(&registered, assigned.len() as u32).expect("no overflow");
	let terms = Terms::from(&registered.spec);
	let request_hash = requests::request_hash::<T>(client, api, &call, &terms, price);
	T::Escrow::hold(id, client, fee).expect("a funded client");
	for who in assigned.iter() {
		Pallet::<T>::assign(who, id);
	}
	Agenda::<T>::insert(deadline + 1u32.into(), id, AgendaTask::Settle);
	Requests::<T>::insert(
		id,
		Request {
			api_id: api,
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
			deadline,
			routed: assigned.clone(),
			assigned,
			backups,
			armed: Default::default(),
			reports: Default::default(),
			status: RequestStatus::Pending,
			served: None,
			sealed: None,
			#[cfg(feature = "upgrade-rehearsal")]
			spec_version: <T as frame_system::Config>::Version::get().spec_version,
		},
	);
	NextRequestId::<T>::put(id + 1);
	id
}
