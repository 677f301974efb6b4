//! The offchain worker: executes an assigned request with the exact HTTP call, reports a signed
//! result once, and reports failures as typed results.

use crate::{mock::*, Call, HttpMethod};
use baton_primitives::{receipt_message, ResultStatus, GATEWAY_KEY_TYPE};
use codec::{Decode, Encode};
use frame_support::{assert_ok, traits::Hooks};
use sp_core::{
	offchain::{testing, OffchainDbExt, OffchainWorkerExt, TransactionPoolExt},
	Pair,
};
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
use std::sync::Arc;

/// Runs `test` with a keystore holding operator `OP`'s gateway key, offchain storage, an HTTP
/// stand-in whose expected requests `test` sets, and a transaction pool `test` can list.
fn with_offchain_worker_state(test: impl FnOnce(&State, &dyn Fn() -> Vec<Vec<u8>>)) {
	let mut ext = new_test_ext();
	let keystore = MemoryKeystore::new();
	let public = keystore
		.ed25519_generate_new(GATEWAY_KEY_TYPE, Some(&format!("0x{}", hex(&[OP; 32]))))
		.unwrap();
	assert_eq!(public, pair(OP).public());
	// A second key, bound only when a test bonds operator OP + 1.
	keystore.ed25519_generate_new(GATEWAY_KEY_TYPE, Some(&format!("0x{}", hex(&[OP + 1; 32])))).unwrap();
	let (offchain, offchain_state) = testing::TestOffchainExt::new();
	let (pool, pool_state) = testing::TestTransactionPoolExt::new();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.register_extension(KeystoreExt(Arc::new(keystore)));
	ext.execute_with(|| {
		register_api();
		bond_operator(OP, 5_000);
		test(&offchain_state, &|| pool_state.read().transactions.clone());
		try_state();
	});
}

type State = Arc<parking_lot::RwLock<testing::OffchainState>>;

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The report in the `index`th submitted transaction.
fn submitted_report(transactions: &[Vec<u8>], index: usize) -> (u64, crate::Report<Test>, AccountId) {
	let xt = Extrinsic::decode(&mut &transactions[index][..]).unwrap();
	let sp_runtime::generic::Preamble::Signed(signer, _, _) = xt.preamble else {
		panic!("a report is a signed transaction");
	};
	let RuntimeCall::Gateway(Call::report_result { request_id, report }) = xt.function else {
		panic!("not a report");
	};
	(request_id, report, signer)
}

fn expect(state: &State, method: &str, uri: &str, headers: Vec<(&str, &str)>, body: &[u8], response: &[u8]) {
	state.write().expect_request(testing::PendingRequest {
		method: method.into(),
		uri: uri.into(),
		headers: headers.into_iter().map(|(n, v)| (n.into(), v.into())).collect(),
		body: body.to_vec(),
		response: Some(response.to_vec()),
		sent: true,
		..Default::default()
	});
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
			vec![(b"Content-Type".to_vec().try_into().unwrap(), b"application/json".to_vec().try_into().unwrap())]
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
			vec![("Idempotency-Key", "0"), ("Content-Type", "application/json")],
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
		let message = receipt_message(id, &report.response_hash, &report.status, &account(OP));
		assert!(sp_core::ed25519::Pair::verify(
			&sp_core::ed25519::Signature::from_raw(report.signature),
			&message,
			&pair(OP).public()
		));
		// The chain takes the report as it is.
		assert_ok!(Gateway::report_result(RuntimeOrigin::signed(signer), request_id, report));

		let record = (b"baton/executed/", id, &key(OP)[..]).encode();
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
			let key = id.to_string();
			expect(state, "GET", "https://api.example/price?coin=dot", vec![("Idempotency-Key", key.as_str())], b"", b"{}");
		}
		Gateway::offchain_worker(1);
		let transactions = submitted();
		assert_eq!(transactions.len(), 2);
		let first = submitted_batch(&transactions, 0);
		let second = submitted_batch(&transactions, 1);
		assert_eq!((first.len(), second.len()), (3, 1));
		let reported: Vec<u64> = first.iter().chain(&second).map(|(id, _)| *id).collect();
		assert_eq!(reported.iter().copied().collect::<std::collections::BTreeSet<_>>(), ids.iter().copied().collect());
		// The chain takes them as they are, free.
		for batch in [first, second] {
			let info = Gateway::report_results(RuntimeOrigin::signed(key_account(OP)), batch.try_into().unwrap()).unwrap();
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
		expect(state, "GET", "https://api.example/price?coin=dot", vec![("Idempotency-Key", "0")], b"", b"{}");
		Gateway::offchain_worker(1);
		assert_eq!(submitted().len(), 1);
		// The report did not land (e.g. its block was retracted); three blocks later it is sent
		// again from offchain storage. The HTTP stand-in would panic on a second call.
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
		expect(state, "GET", "https://api.example/price?coin=dot", vec![("Idempotency-Key", "0")], b"", body);
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
		let mut checkpoint = baton_primitives::Checkpoint {
			completed_steps: 1,
			state_hash: sp_io::hashing::blake2_256(b""),
			idempotency_key: id,
			signature: [0; 64],
		};
		checkpoint.signature =
			pair(from).sign(&baton_primitives::checkpoint_message(id, &checkpoint, &account(from))).0;
		assert_ok!(Handover::hand_over(RuntimeOrigin::signed(key_account(from)), id, checkpoint));
		expect(state, "GET", "https://api.example/price?coin=dot", vec![("Idempotency-Key", "0")], b"", b"{}");
		Gateway::offchain_worker(1);
		assert_eq!(submitted_report(&submitted(), 0).0, id);
	});
}

fn set_health(health: baton_primitives::Health) {
	let key = baton_primitives::Health::storage_key(&key(OP));
	sp_io::offchain::local_storage_set(sp_core::offchain::StorageKind::PERSISTENT, &key, &health.encode());
}

fn health() -> baton_primitives::Health {
	let key = baton_primitives::Health::storage_key(&key(OP));
	sp_io::offchain::local_storage_get(sp_core::offchain::StorageKind::PERSISTENT, &key)
		.map(|bytes| baton_primitives::Health::decode(&mut &bytes[..]).unwrap())
		.unwrap_or_default()
}

#[test]
fn a_node_that_predicts_failure_leaves_its_requests_to_be_handed_over() {
	with_offchain_worker_state(|_state, submitted| {
		let mut failing = baton_primitives::Health::default();
		(0..5).for_each(|_| failing.observe(10, false));
		(0..2).for_each(|_| failing.observe(2_000, true));
		set_health(failing);
		submit(1);
		// No upstream call is expected (the HTTP stand-in would panic) and nothing is reported.
		Gateway::offchain_worker(1);
		assert!(submitted().is_empty());
	});
}

#[test]
fn a_failure_that_makes_the_model_predict_failure_is_not_reported() {
	with_offchain_worker_state(|state, submitted| {
		let mut shaky = baton_primitives::Health::default();
		(0..5).for_each(|_| shaky.observe(10, false));
		shaky.observe(2_000, true);
		assert!(!shaky.predicts_failure(2_000));
		set_health(shaky);
		let id = submit(1);
		expect(state, "GET", "https://api.example/price?coin=dot", vec![("Idempotency-Key", "0")], b"", &[b'a'; 129]);
		Gateway::offchain_worker(1);
		assert!(submitted().is_empty());
		assert!(health().predicts_failure(2_000));
		// The handover pallet's worker will checkpoint step 1: the upstream was called.
		let attempt = baton_primitives::attempt_storage_key(id, &key(OP));
		assert!(sp_io::offchain::local_storage_get(sp_core::offchain::StorageKind::PERSISTENT, &attempt).is_some());
	});
}
