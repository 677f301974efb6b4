//! Reports and settlement: the majority is paid, the minority reported, failures refunded,
//! and every bad report refused.

use crate::{mock::*, Assignments, Error, Event, Load, Requests};
use baton_primitives::{
	receipt_message, Escrow as _, OffenceKind, RequestStatus, ReputationSource, ResultStatus,
};
use frame_support::{assert_noop, assert_ok, dispatch::Pays};
use sp_core::Pair;

const BODY: &[u8] = br#"{"price":7.25,"ts":1}"#;

fn setup(operators: u8) {
	register_api();
	for n in 0..operators {
		bond_operator(OP + n, 5_000);
	}
}

/// The operators assigned to `request_id`, as operator numbers.
fn assigned(request_id: u64) -> Vec<u8> {
	let request = Requests::<Test>::get(request_id).unwrap();
	request.assigned.iter().map(|who| (0..=255).find(|n| &account(*n) == who).unwrap()).collect()
}

#[test]
fn a_report_is_charged_the_settlement_of_its_own_redundancy() {
	build_and_execute(|| {
		setup(3);
		let id = submit(2);
		let first = assigned(id)[0];
		let info = report_ok(first, id, BODY).unwrap();
		assert_eq!(info.actual_weight, Some(<() as crate::WeightInfo>::report_result(2, BODY.len() as u32)));
	});
}

#[test]
fn one_report_completes_a_request_and_pays_everyone_exactly() {
	build_and_execute(|| {
		setup(1);
		let client = Balances::free_balance(account(CLIENT));
		let treasury = Balances::free_balance(account(TREASURY));
		let operator = Balances::free_balance(account(OP));
		let issuance = Balances::total_issuance();
		let id = submit(1);
		let info = report_ok(OP, id, BODY).unwrap();
		assert_eq!(info.pays_fee, Pays::No);

		assert_eq!(Balances::free_balance(account(CLIENT)), client - 110);
		assert_eq!(Balances::free_balance(account(OP)), operator + 100);
		assert_eq!(Balances::free_balance(account(TREASURY)), treasury + 10);
		assert_eq!(Balances::total_issuance(), issuance);
		assert_eq!(Escrow::held(id), 0);
		let request = Requests::<Test>::get(id).unwrap();
		let hash = sp_io::hashing::blake2_256(BODY);
		assert_eq!(request.status, RequestStatus::Completed { response_hash: hash, at: 1 });
		assert_eq!(request.served, Some(0));
		assert!(!Assignments::<Test>::contains_key(account(OP), id));
		assert_eq!(Load::<Test>::get(account(OP)), 0);
		assert_eq!(Reputation::reputation(&account(OP)).latency_ms, 120);
		System::assert_has_event(
			Event::ResultReported {
				request_id: id,
				operator: account(OP),
				status: ResultStatus::Response { code: 200 },
				response_hash: hash,
			}
			.into(),
		);
		System::assert_last_event(Event::RequestCompleted { request_id: id, response_hash: hash }.into());
		assert!(offences().is_empty());
	});
}

#[test]
fn the_receipt_verifies_with_the_gateway_key_alone() {
	build_and_execute(|| {
		setup(1);
		let id = submit(1);
		assert_ok!(report_ok(OP, id, BODY));
		let response = Gateway::response_view(id).unwrap();
		let message = receipt_message(id, &response.response_hash, &response.status, &response.operator);
		assert!(sp_core::ed25519::Pair::verify(
			&sp_core::ed25519::Signature::from_raw(response.signature),
			&message,
			&sp_core::ed25519::Public::from_raw(response.gateway_key),
		));
		assert_eq!(response.gateway_key, key(OP));
	});
}

#[test]
fn the_majority_is_paid_and_the_minority_reported() {
	build_and_execute(|| {
		setup(3);
		let id = submit(3);
		let ops = assigned(id);
		let before: Vec<_> = ops.iter().map(|n| Balances::free_balance(account(*n))).collect();
		let client = Balances::free_balance(account(CLIENT));
		assert_ok!(report_ok(ops[0], id, BODY));
		// Differs only in the ignored `ts` field: agrees.
		assert_ok!(report_ok(ops[1], id, br#"{"ts":99,"price":7.25}"#));
		assert_eq!(Requests::<Test>::get(id).unwrap().status, RequestStatus::Pending);
		assert_ok!(report_ok(ops[2], id, br#"{"price":9.99,"ts":1}"#));

		assert_eq!(Balances::free_balance(account(ops[0])), before[0] + 100);
		assert_eq!(Balances::free_balance(account(ops[1])), before[1] + 100);
		assert_eq!(Balances::free_balance(account(ops[2])), before[2]);
		// 330 was escrowed; the third operator's 100 came back.
		assert_eq!(Balances::free_balance(account(CLIENT)), client + 100);
		assert_eq!(offences(), vec![(OffenceKind::WrongResult, account(ops[2]))]);
		assert!(Reputation::reputation(&account(ops[2])).score < Reputation::reputation(&account(ops[0])).score);
		assert!(matches!(Requests::<Test>::get(id).unwrap().status, RequestStatus::Completed { .. }));
	});
}

#[test]
fn without_a_majority_the_client_is_refunded() {
	build_and_execute(|| {
		setup(3);
		let id = submit(3);
		let ops = assigned(id);
		let client = Balances::free_balance(account(CLIENT));
		for (i, n) in ops.iter().enumerate() {
			assert_ok!(report_ok(*n, id, format!(r#"{{"price":{i}}}"#).as_bytes()));
		}
		assert_eq!(Balances::free_balance(account(CLIENT)), client + 330);
		assert_eq!(Requests::<Test>::get(id).unwrap().status, RequestStatus::Refunded { at: 1 });
		System::assert_last_event(Event::RequestRefunded { request_id: id, amount: 330 }.into());
		assert!(offences().is_empty());
	});
}

#[test]
fn an_upstream_failure_is_refunded_and_not_punished() {
	build_and_execute(|| {
		setup(1);
		let id = submit(1);
		let client = Balances::free_balance(account(CLIENT));
		let report = report_of(OP, id, ResultStatus::Timeout, b"");
		assert_ok!(Gateway::report_result(RuntimeOrigin::signed(key_account(OP)), id, report));
		assert_eq!(Balances::free_balance(account(CLIENT)), client + 110);
		assert_eq!(Requests::<Test>::get(id).unwrap().status, RequestStatus::Refunded { at: 1 });
		assert!(offences().is_empty());
	});
}

#[test]
fn bad_reports_are_refused_and_change_nothing() {
	build_and_execute(|| {
		setup(3);
		let id = submit(2);
		let ops = assigned(id);
		let idle = (OP..OP + 3).find(|n| !ops.contains(n)).unwrap();
		let (a, b) = (ops[0], ops[1]);
		let ok = ResultStatus::Response { code: 200 };
		let signed = |n: u8| RuntimeOrigin::signed(key_account(n));

		// The operator's own account is not its gateway key.
		assert_noop!(
			Gateway::report_result(RuntimeOrigin::signed(account(a)), id, report_of(a, id, ok, BODY)),
			Error::<Test>::NotGatewayKey
		);
		assert_noop!(Gateway::report_result(signed(a), 99, report_of(a, 99, ok, BODY)), Error::<Test>::UnknownRequest);
		assert_noop!(
			Gateway::report_result(signed(idle), id, report_of(idle, id, ok, BODY)),
			Error::<Test>::NotAssigned
		);
		let mut wrong_hash = report_of(a, id, ok, BODY);
		wrong_hash.body = b"{}".to_vec().try_into().unwrap();
		assert_noop!(Gateway::report_result(signed(a), id, wrong_hash), Error::<Test>::HashMismatch);
		// Signed by another key, or over another request.
		let mut forged = report_of(a, id, ok, BODY);
		forged.signature = report_of(b, id, ok, BODY).signature;
		assert_noop!(Gateway::report_result(signed(a), id, forged), Error::<Test>::BadSignature);
		let mut replayed = report_of(a, id + 1, ok, BODY);
		replayed.response_hash = sp_io::hashing::blake2_256(BODY);
		assert_noop!(Gateway::report_result(signed(a), id, replayed), Error::<Test>::BadSignature);
		let too_large = vec![b'a'; 129];
		assert_noop!(
			Gateway::report_result(signed(a), id, report_of(a, id, ok, &too_large)),
			Error::<Test>::ResponseTooLarge
		);
		assert_noop!(
			Gateway::report_result(signed(a), id, report_of(a, id, ResultStatus::Timeout, b"x")),
			Error::<Test>::BodyWithFailure
		);

		assert_ok!(report_ok(a, id, BODY));
		assert_noop!(report_ok(a, id, BODY), Error::<Test>::AlreadyReported);
		assert_ok!(report_ok(b, id, BODY));
		// Settled: nothing more is taken.
		assert_noop!(report_ok(b, id, BODY), Error::<Test>::RequestFinished);
	});
}

#[test]
fn reports_after_the_deadline_are_refused() {
	build_and_execute(|| {
		setup(1);
		let id = submit(1);
		let deadline = Requests::<Test>::get(id).unwrap().deadline;
		System::set_block_number(deadline + 1);
		assert_noop!(report_ok(OP, id, BODY), Error::<Test>::DeadlinePassed);
	});
}
