//! Re-executions of relayed calls for challenges: routed without the challenged operator,
//! hashed as the relay hashes them, compared by the API's ignored fields, and announced when
//! they settle.

use crate::{mock::*, settlement::result_key, Error, HttpMethod, NewRequest, Requests};
use baton_primitives::{relay_request_hash, Escrow as _, Rerun, ResultStatus};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};

type Reruns = crate::Pallet<Test>;

const OK: ResultStatus = ResultStatus::Response { code: 200 };

/// `POST /price?coin=dot` with a signed header and a body, due in 10 blocks.
fn call(redundancy: u32, max_fee: Balance) -> NewRequest<Test> {
	NewRequest {
		method: HttpMethod::Post,
		path: b"/price?coin=dot".to_vec().try_into().unwrap(),
		headers: vec![(
			b"content-type".to_vec().try_into().unwrap(),
			b"text/plain".to_vec().try_into().unwrap(),
		)]
		.try_into()
		.unwrap(),
		body: b"dot".to_vec().try_into().unwrap(),
		redundancy,
		max_fee,
		deadline: System::block_number() + 10,
		sealed: None,
	}
}

#[test]
fn a_relayed_call_hashes_as_the_relay_endpoint_hashes_it() {
	build_and_execute(|| {
		let headers = vec![(b"content-type".to_vec(), b"text/plain".to_vec())];
		assert_eq!(
			Reruns::relay_request_hash(&call(0, 0)),
			relay_request_hash(b"POST", b"/price?coin=dot", &headers, b"dot")
		);
		let mut other = call(0, 0);
		other.method = HttpMethod::Get;
		assert_ne!(Reruns::relay_request_hash(&other), Reruns::relay_request_hash(&call(0, 0)));
		// What the re-execution asks for is no part of the call.
		let mut dearer = call(3, 9_999);
		dearer.deadline += 1;
		assert_eq!(Reruns::relay_request_hash(&dearer), Reruns::relay_request_hash(&call(0, 0)));
	});
}

#[test]
fn only_a_get_is_safe_to_run_again() {
	build_and_execute(|| {
		let with = |method| NewRequest { method, ..call(0, 0) };
		assert!(Reruns::is_safe(&with(HttpMethod::Get)));
		for method in [HttpMethod::Post, HttpMethod::Put, HttpMethod::Patch, HttpMethod::Delete] {
			assert!(!Reruns::is_safe(&with(method)));
		}
	});
}

#[test]
fn a_rerun_is_the_challengers_request_among_the_other_operators() {
	build_and_execute(|| {
		register_api();
		for n in 0..4 {
			bond_operator(OP + n, 5_000);
		}
		let body = br#"{"price":7,"ts":1}"#;
		let (request_id, key) =
			Reruns::rerun(&account(CLIENT), 0, call(3, 1_000), &account(OP), 1, &OK, body).unwrap();
		let request = Requests::<Test>::get(request_id).unwrap();
		assert_eq!(request.client, account(CLIENT));
		assert_eq!(request.assigned.len(), 3);
		assert!(
			!request.assigned.contains(&account(OP)) && !request.backups.contains(&account(OP))
		);
		assert_eq!(request.method, HttpMethod::Post);
		assert_eq!(request.deadline, 1 + 10);
		// Three operators at 100 and the 10% fee.
		assert_eq!(Escrow::held(request_id), 330);
		// The API ignores `ts`: an answer differing only there has the same key.
		assert_eq!(key, result_key(&OK, br#"{"ts":2,"price":7}"#, &[b"ts".to_vec()]));
		assert_ne!(key, result_key(&OK, br#"{"price":8,"ts":1}"#, &[b"ts".to_vec()]));

		// Each operator answers; the client paid three prices and the fee.
		for operator in request.assigned.iter() {
			let n = (OP..OP + 4).find(|n| &account(*n) == operator).unwrap();
			assert_ok!(report_ok(n, request_id, br#"{"price":8,"ts":5}"#));
		}
		let majority = result_key(&OK, br#"{"price":8}"#, &[b"ts".to_vec()]);
		assert_eq!(settled(), vec![(request_id, Some(majority), 330)]);
		assert_eq!(Balances::total_balance_on_hold(&account(CLIENT)), 0);
	});
}

#[test]
fn a_refunded_rerun_is_announced_with_no_majority() {
	build_and_execute(|| {
		register_api();
		for n in 0..2 {
			bond_operator(OP + n, 5_000);
		}
		let (request_id, _) =
			Reruns::rerun(&account(CLIENT), 0, call(1, 1_000), &account(OP), 1, &OK, b"x").unwrap();
		assert_eq!(
			Requests::<Test>::get(request_id).unwrap().assigned.to_vec(),
			vec![account(OP + 1)]
		);
		run_to_block(12);
		assert_eq!(settled(), vec![(request_id, None, 0)]);
	});
}

#[test]
fn a_rerun_is_refused_as_a_request_would_be() {
	build_and_execute(|| {
		register_api();
		bond_operator(OP, 5_000);
		bond_operator(OP + 1, 5_000);
		// Two operators serve the API; without the challenged one, one is left.
		assert_noop!(
			Reruns::rerun(&account(CLIENT), 0, call(2, 1_000), &account(OP), 1, &OK, b"x"),
			Error::<Test>::NotEnoughOperators
		);
		assert_noop!(
			Reruns::rerun(&account(CLIENT), 0, call(1, 10), &account(OP), 1, &OK, b"x"),
			Error::<Test>::FeeAboveMax
		);
		assert_noop!(
			Reruns::rerun(&account(CLIENT), 1, call(1, 1_000), &account(OP), 1, &OK, b"x"),
			Error::<Test>::UnknownApi
		);
		let mut late = call(1, 1_000);
		late.deadline += 1;
		assert_noop!(
			Reruns::rerun(&account(CLIENT), 0, late, &account(OP), 1, &OK, b"x"),
			Error::<Test>::DeadlineOutOfRange
		);
		let mut put = call(1, 1_000);
		put.method = HttpMethod::Put;
		assert_noop!(
			Reruns::rerun(&account(CLIENT), 0, put, &account(OP), 1, &OK, b"x"),
			Error::<Test>::MethodNotAllowed
		);
		// A verdict of at least three operators, asked of two, or of the API's default one.
		assert_noop!(
			Reruns::rerun(&account(CLIENT), 0, call(2, 1_000), &account(OP), 3, &OK, b"x"),
			Error::<Test>::RedundancyTooLow
		);
		assert_noop!(
			Reruns::rerun(&account(CLIENT), 0, call(0, 1_000), &account(OP), 3, &OK, b"x"),
			Error::<Test>::RedundancyTooLow
		);
		assert!(settled().is_empty());
	});
}
