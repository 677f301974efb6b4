//! The offchain worker: executes an assigned request with the exact HTTP call, reports a signed
//! result once, and reports failures as typed results.

use crate::{mock::*, Call, HttpMethod};
use baton_primitives::{
	egress::{EgressRequest, EgressResponse},
	offchain::{
		health::{Breaker, Health},
		keys::{attempt_storage_key, executed_storage_key, health_storage_key},
	},
	ResultStatus,
};
use codec::{Decode, Encode};
use frame_support::{assert_ok, traits::Hooks};
use sp_core::Pair;

/// The report in the `index`th submitted transaction.
pub(super) fn submitted_report(
	transactions: &[Vec<u8>],
	index: usize,
) -> (u64, crate::Report<Test>, AccountId) {
	let xt = Extrinsic::decode(&mut &transactions[index][..]).unwrap();
	let sp_runtime::generic::Preamble::Signed(signer, _, _) = xt.preamble else {
		panic!("a report is a signed transaction");
	};
	let RuntimeCall::Gateway(Call::report_result { request_id, report }) = xt.function else {
		panic!("not a report");
	};
	(request_id, report, signer)
}

/// Expects one call upstream under the API's terms (timeout 2 s, cap 128 bytes), answered
/// with `response`.
fn expect(
	upstream: &Upstream,
	method: &str,
	url: &str,
	headers: Vec<(&str, &str)>,
	body: &[u8],
	response: &[u8],
) {
	upstream
		.expected
		.lock()
		.push((call(method, url, headers, body, 2_000), answer(response)));
}

/// A 200 answer with `body`, 3 ms after the call.
pub(super) fn answer(body: &[u8]) -> EgressResponse {
	EgressResponse {
		status: ResultStatus::Response { code: 200 },
		body: body.to_vec(),
		latency_ms: 3,
		sealed_body: None,
	}
}

/// The call of request `id` of `submit`: `GET /price?coin=dot` with its idempotency key.
pub(super) fn price_call(id: u64) -> EgressRequest {
	let key = idempotency(id);
	call("GET", "https://api.example/price?coin=dot", vec![("Idempotency-Key", &key)], b"", 2_000)
}

/// Expects the call of request `id` of `submit`, answered with `response`.
pub(super) fn expect_price(upstream: &Upstream, id: u64, response: &[u8]) {
	upstream.expected.lock().push((price_call(id), answer(response)));
}

/// The egress request of a call with `timeout_ms` and the API's cap of 128 bytes.
fn call(
	method: &str,
	url: &str,
	headers: Vec<(&str, &str)>,
	body: &[u8],
	timeout_ms: u32,
) -> EgressRequest {
	EgressRequest {
		method: method.as_bytes().to_vec(),
		url: url.as_bytes().to_vec(),
		headers: headers
			.into_iter()
			.map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
			.collect(),
		body: body.to_vec(),
		timeout_ms,
		max_response_bytes: 128,
		secret: None,
		sealed_call: None,
		seal_response: None,
	}
}

#[test]
fn the_worker_calls_the_upstream_and_reports_a_signed_result_once() {
	with_offchain_worker_state(|state, submitted| {
		let id = crate::NextRequestId::<Test>::get();
		assert_ok!(Gateway::submit_request(
			RuntimeOrigin::signed(account(CLIENT)),
			0,
			HttpMethod::Post,
			b"/quote?x=1".to_vec().try_into().unwrap(),
			vec![(
				b"Content-Type".to_vec().try_into().unwrap(),
				b"application/json".to_vec().try_into().unwrap()
			)]
			.try_into()
			.unwrap(),
			br#"{"coin":"dot"}"#.to_vec().try_into().unwrap(),
			1,
			1_000,
			6,
		));
		expect(
			state,
			"POST",
			"https://api.example/quote?x=1",
			vec![
				("Idempotency-Key", idempotency(id).as_str()),
				("Content-Type", "application/json"),
			],
			br#"{"coin":"dot"}"#,
			br#"{"price":7.25}"#,
		);
		Gateway::offchain_worker(1);
		let transactions = submitted();
		assert_eq!(transactions.len(), 1);
		let (request_id, report, signer) = submitted_report(&transactions, 0);
		assert_eq!(request_id, id);
		assert_eq!(signer, key_account(OP));
		assert_eq!(report.status, ResultStatus::Response { code: 200 });
		assert_eq!(&report.body[..], br#"{"price":7.25}"#);
		assert_eq!(report.response_hash, sp_io::hashing::blake2_256(br#"{"price":7.25}"#));
		let message = receipt_of(OP, id, &report.status, &report.response_hash);
		assert!(sp_core::ed25519::Pair::verify(
			&sp_core::ed25519::Signature::from_raw(report.signature),
			&message,
			&pair(OP).public()
		));
		// The chain takes the report as it is.
		assert_ok!(Gateway::report_result(RuntimeOrigin::signed(signer), request_id, report));

		let request_hash = crate::Requests::<Test>::get(id).unwrap().request_hash;
		let record = executed_storage_key(id, &request_hash, &key(OP));
		let persistent = sp_core::offchain::StorageKind::PERSISTENT;
		assert!(sp_io::offchain::local_storage_get(persistent, &record).is_some());

		// Ran again, the worker neither calls the upstream nor reports twice, and forgets the
		// request now that the chain has its report.
		Gateway::offchain_worker(2);
		assert_eq!(submitted().len(), 1);
		assert!(sp_io::offchain::local_storage_get(persistent, &record).is_none());
	});
}

/// The reports in the `index`th submitted transaction, a `report_results`.
fn submitted_batch(transactions: &[Vec<u8>], index: usize) -> Vec<(u64, crate::Report<Test>)> {
	let xt = Extrinsic::decode(&mut &transactions[index][..]).unwrap();
	let RuntimeCall::Gateway(Call::report_results { reports }) = xt.function else {
		panic!("not a batch of reports");
	};
	reports.into_inner()
}

#[test]
fn several_reports_go_in_transactions_of_up_to_max_reports_per_call() {
	with_offchain_worker_state(|state, submitted| {
		// Four requests, all for OP (the only operator), as many as a worker executes in a block
		// in the mock; its report calls hold three.
		let ids: Vec<u64> = (0..4).map(|_| submit(1)).collect();
		// The worker calls them in the order of its assignments in storage.
		for id in crate::Assignments::<Test>::iter_key_prefix(account(OP)) {
			expect_price(state, id, b"{}");
		}
		Gateway::offchain_worker(1);
		let transactions = submitted();
		assert_eq!(transactions.len(), 2);
		let first = submitted_batch(&transactions, 0);
		let second = submitted_batch(&transactions, 1);
		assert_eq!((first.len(), second.len()), (3, 1));
		let reported: Vec<u64> = first.iter().chain(&second).map(|(id, _)| *id).collect();
		assert_eq!(
			reported.iter().copied().collect::<std::collections::BTreeSet<_>>(),
			ids.iter().copied().collect()
		);
		// The chain takes them as they are, free.
		for batch in [first, second] {
			let info = Gateway::report_results(
				RuntimeOrigin::signed(key_account(OP)),
				batch.try_into().unwrap(),
			)
			.unwrap();
			assert_eq!(info.pays_fee, frame_support::dispatch::Pays::No);
		}
		for id in ids {
			let status = crate::Requests::<Test>::get(id).unwrap().status;
			assert!(matches!(status, baton_primitives::RequestStatus::Completed { .. }));
		}
	});
}

#[test]
fn an_unlanded_report_is_resent_without_calling_the_upstream_again() {
	with_offchain_worker_state(|state, submitted| {
		let id = submit(1);
		expect_price(state, id, b"{}");
		Gateway::offchain_worker(1);
		assert_eq!(submitted().len(), 1);
		// The report did not land (e.g. its block was retracted); three blocks later it is sent
		// again from offchain storage. The upstream stand-in would panic on a second call.
		System::set_block_number(3);
		Gateway::offchain_worker(3);
		assert_eq!(submitted().len(), 1);
		System::set_block_number(4);
		Gateway::offchain_worker(4);
		let transactions = submitted();
		assert_eq!(transactions.len(), 2);
		assert_eq!(submitted_report(&transactions, 1).1, submitted_report(&transactions, 0).1);
		assert_eq!(submitted_report(&transactions, 1).0, id);
	});
}

/// The status the worker reports when the upstream answers `body`.
fn reported_status(body: &[u8]) -> (ResultStatus, usize) {
	let mut reported = None;
	with_offchain_worker_state(|state, submitted| {
		let id = submit(1);
		expect_price(state, id, body);
		Gateway::offchain_worker(1);
		let (request_id, report, _) = submitted_report(&submitted(), 0);
		assert_eq!(request_id, id);
		reported = Some((report.status, report.body.len()));
	});
	reported.unwrap()
}

#[test]
fn oversized_and_non_utf8_bodies_are_typed_failures() {
	// The API's cap is 128 bytes.
	assert_eq!(reported_status(&[b'a'; 128]), (ResultStatus::Response { code: 200 }, 128));
	assert_eq!(reported_status(&[b'a'; 129]), (ResultStatus::TooLarge, 0));
	assert_eq!(reported_status(&[0xff, 0xfe]), (ResultStatus::NotUtf8, 0));
}

#[test]
fn requests_of_other_operators_are_left_alone() {
	with_offchain_worker_state(|_state, submitted| {
		bond_operator(OP + 2, 5_000);
		OperatorStaking::chill(RuntimeOrigin::signed(account(OP))).unwrap();
		let id = submit(1);
		assert_eq!(crate::Requests::<Test>::get(id).unwrap().assigned[0], account(OP + 2));
		Gateway::offchain_worker(1);
		assert!(submitted().is_empty());
	});
}

#[test]
fn the_successor_resumes_with_the_same_idempotency_key() {
	with_offchain_worker_state(|state, submitted| {
		bond_operator(OP + 1, 5_000);
		let id = submit(1);
		let first = crate::Requests::<Test>::get(id).unwrap().assigned[0].clone();
		// Both keys are in this node's keystore: only the successor's is assigned after this.
		let from = if first == account(OP) { OP } else { OP + 1 };
		assert_ok!(Handover::hand_over(
			RuntimeOrigin::signed(key_account(from)),
			id,
			checkpoint_of(from, id, 1)
		));
		expect_price(state, id, b"{}");
		Gateway::offchain_worker(1);
		assert_eq!(submitted_report(&submitted(), 0).0, id);
	});
}

fn set_health(health: Health) {
	let key = health_storage_key(&key(OP), 0);
	sp_io::offchain::local_storage_set(
		sp_core::offchain::StorageKind::PERSISTENT,
		&key,
		&health.encode(),
	);
}

/// The health of operator `OP`'s node for `api`.
fn health(api: u32) -> Health {
	let key = health_storage_key(&key(OP), api);
	sp_io::offchain::local_storage_get(sp_core::offchain::StorageKind::PERSISTENT, &key)
		.map(|bytes| Health::decode(&mut &bytes[..]).unwrap())
		.unwrap_or_default()
}

/// Five fast calls and one failure: one more failure opens the breaker.
fn shaky() -> Health {
	let mut shaky = Health::default();
	(0..5).for_each(|_| shaky.observe(1, 10, false, 2_000));
	shaky.observe(1, 2_000, true, 2_000);
	assert_eq!(shaky.breaker(1), Breaker::Closed);
	shaky
}

/// Expects request `id`'s call to API 0, which fails with `status`.
fn expect_failure(upstream: &Upstream, id: u64, status: ResultStatus) {
	let url = "https://api.example/price?coin=dot";
	let call = call("GET", url, vec![("Idempotency-Key", idempotency(id).as_str())], b"", 2_000);
	upstream.expected.lock().push((call, EgressResponse::failed(status, 2_000)));
}

#[test]
fn a_node_whose_breaker_is_open_leaves_its_requests_to_be_handed_over() {
	with_offchain_worker_state(|_state, submitted| {
		let mut failing = shaky();
		failing.observe(1, 2_000, true, 2_000);
		set_health(failing);
		submit(1);
		// No upstream call is expected (the upstream stand-in would panic) and nothing is reported.
		Gateway::offchain_worker(1);
		assert!(submitted().is_empty());
	});
}

#[test]
fn a_failure_that_opens_the_breaker_is_not_reported() {
	with_offchain_worker_state(|state, submitted| {
		set_health(shaky());
		let id = submit(1);
		expect_failure(state, id, ResultStatus::Unreachable);
		Gateway::offchain_worker(1);
		assert!(submitted().is_empty());
		assert_eq!(health(0).breaker(1), Breaker::Open);
		// The handover pallet's worker will checkpoint step 1: the upstream was called.
		let request_hash = crate::Requests::<Test>::get(id).unwrap().request_hash;
		let attempt = attempt_storage_key(id, &request_hash, &key(OP));
		assert!(sp_io::offchain::local_storage_get(
			sp_core::offchain::StorageKind::PERSISTENT,
			&attempt
		)
		.is_some());
	});
}

#[test]
fn an_answer_the_api_gives_everyone_is_reported_and_does_not_open_the_breaker() {
	with_offchain_worker_state(|state, submitted| {
		set_health(shaky());
		let id = submit(1);
		// Oversized: a successor would get the same.
		expect_price(state, id, &[b'a'; 129]);
		Gateway::offchain_worker(1);
		assert_eq!(submitted_report(&submitted(), 0).1.status, ResultStatus::TooLarge);
		assert_eq!(health(0).breaker(1), Breaker::Closed);
	});
}

#[test]
fn one_failing_api_opens_its_own_breaker_and_a_probe_closes_it_once_the_upstream_recovers() {
	with_offchain_worker_state(|upstream, submitted| {
		// A second API served by the same node, whose upstream stays healthy.
		let mut other = spec();
		other.base_url = b"https://other.example".to_vec().try_into().unwrap();
		assert_ok!(Gateway::register_api(RuntimeOrigin::signed(account(PUBLISHER)), other));
		let mut serving_both = profile(8);
		serving_both.apis = vec![0, 1].try_into().unwrap();
		assert_ok!(OperatorStaking::update_profile(
			RuntimeOrigin::signed(account(OP)),
			serving_both
		));
		set_health(shaky());

		// Block 1: API 0's upstream fails and its breaker opens (for two blocks).
		let failed = submit(1);
		expect_failure(upstream, failed, ResultStatus::Unreachable);
		Gateway::offchain_worker(1);
		assert!(submitted().is_empty());
		assert_eq!((health(0).breaker(1), health(1).breaker(1)), (Breaker::Open, Breaker::Closed));

		// Block 2: API 1 is served; API 0's request waits (the stand-in would panic at a call).
		System::set_block_number(2);
		let served = submit_to(1, CLIENT, 1);
		let key = idempotency(served);
		expect(
			upstream,
			"GET",
			"https://other.example/price?coin=dot",
			vec![("Idempotency-Key", key.as_str())],
			b"",
			b"{}",
		);
		Gateway::offchain_worker(2);
		assert_eq!(submitted_report(&submitted(), 0).0, served);

		// Block 3: half-open; the probe (API 0's request again) succeeds and closes the breaker.
		System::set_block_number(3);
		expect_price(upstream, failed, b"{}");
		Gateway::offchain_worker(3);
		assert_eq!(submitted_report(&submitted(), 1).0, failed);
		assert_eq!(health(0).breaker(3), Breaker::Closed);
	});
}

#[test]
fn an_open_request_is_called_under_its_own_terms_after_the_api_changes() {
	with_offchain_worker_state(|upstream, submitted| {
		let id = submit(1);
		let mut moved = spec();
		moved.base_url = b"https://moved.example".to_vec().try_into().unwrap();
		moved.timeout_ms = 4_000;
		assert_ok!(Gateway::update_api(RuntimeOrigin::signed(account(PUBLISHER)), 0, moved));
		// The old URL with the old timeout; the stand-in would panic at any other call.
		expect_price(upstream, id, b"{}");
		Gateway::offchain_worker(1);
		assert_eq!(submitted_report(&submitted(), 0).0, id);
	});
}

#[test]
fn a_call_the_egress_policy_refuses_is_reported_as_forbidden_refunded_and_not_punished() {
	with_offchain_worker_state(|upstream, submitted| {
		let id = submit(1);
		let refused = EgressResponse::failed(ResultStatus::Forbidden, 0);
		let url = "https://api.example/price?coin=dot";
		upstream.expected.lock().push((
			call("GET", url, vec![("Idempotency-Key", idempotency(id).as_str())], b"", 2_000),
			refused,
		));
		Gateway::offchain_worker(1);
		let (request_id, report, signer) = submitted_report(&submitted(), 0);
		assert_eq!(
			(request_id, report.status, report.body.len()),
			(id, ResultStatus::Forbidden, 0)
		);
		let client = Balances::free_balance(account(CLIENT));
		assert_ok!(Gateway::report_result(RuntimeOrigin::signed(signer), request_id, report));
		assert_eq!(Balances::free_balance(account(CLIENT)), client + 110);
		assert!(matches!(
			crate::Requests::<Test>::get(id).unwrap().status,
			baton_primitives::RequestStatus::Refunded { .. }
		));
		assert!(offences().is_empty());
	});
}

#[test]
fn a_node_without_an_egress_client_refuses_every_call() {
	let calls = vec![call("GET", "https://api.example/", vec![], b"", 1_000)];
	let responses = sp_io::TestExternalities::default()
		.execute_with(|| baton_primitives::egress::upstream::fetch_all(calls));
	assert_eq!(responses, vec![EgressResponse::failed(ResultStatus::Forbidden, 0)]);
}
