//! Reports and settlement: the majority is paid, the minority reported, failures refunded,
//! and every bad report refused.

use crate::{mock::*, Assignments, Error, Event, Load, Report, Requests};
use baton_primitives::{
	receipt_message, Escrow as _, OffenceKind, ReputationSource, RequestStatus, ResultStatus,
};
use frame_support::{assert_noop, assert_ok, dispatch::Pays};
use sp_core::Pair;

const BODY: &[u8] = br#"{"price":7.25,"ts":1}"#;

/// The operators assigned to `request_id`, as operator numbers.
fn assigned(request_id: u64) -> Vec<u8> {
	let request = Requests::<Test>::get(request_id).unwrap();
	request
		.assigned
		.iter()
		.map(|who| (0..=255).find(|n| &account(*n) == who).unwrap())
		.collect()
}

#[test]
fn a_report_is_charged_the_settlement_of_its_own_redundancy() {
	build_and_execute(|| {
		setup(3);
		let id = submit(2);
		let first = assigned(id)[0];
		let info = report_ok(first, id, BODY).unwrap();
		assert_eq!(
			info.actual_weight,
			Some(<() as crate::WeightInfo>::report_result(2, BODY.len() as u32))
		);
	});
}

#[test]
fn reports_are_operational_so_new_submissions_cannot_crowd_them_out() {
	use frame_support::dispatch::{DispatchClass, GetDispatchInfo};
	let report = || Report::<Test> {
		status: ResultStatus::Response { code: 200 },
		response_hash: [0; 32],
		latency_ms: 1,
		body: Default::default(),
		signature: [0; 64],
		sealed: None,
	};
	let one = crate::Call::<Test>::report_result { request_id: 0, report: report() };
	let many =
		crate::Call::<Test>::report_results { reports: vec![(0, report())].try_into().unwrap() };
	assert_eq!(one.get_dispatch_info().class, DispatchClass::Operational);
	assert_eq!(many.get_dispatch_info().class, DispatchClass::Operational);
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
		System::assert_last_event(
			Event::RequestCompleted { request_id: id, response_hash: hash }.into(),
		);
		assert!(offences().is_empty());
	});
}

#[test]
fn a_receipt_for_another_chain_or_another_request_with_the_same_id_is_refused() {
	build_and_execute(|| {
		setup(1);
		let id = submit(1);
		let request_hash = Requests::<Test>::get(id).unwrap().request_hash;
		let genesis = baton_primitives::genesis_hash::<Test>();
		let status = ResultStatus::Response { code: 200 };
		let response_hash = sp_io::hashing::blake2_256(BODY);
		// Signed by the right key, over the right id, but for another fork's request or chain.
		for (genesis, request_hash) in
			[(genesis, [7; 32]), (sp_core::H256::repeat_byte(9), request_hash)]
		{
			let message =
				receipt_message(&genesis, id, &request_hash, &response_hash, &status, &account(OP));
			let report = Report::<Test> {
				status,
				response_hash,
				latency_ms: 1,
				body: BODY.to_vec().try_into().unwrap(),
				signature: pair(OP).sign(&message).0,
				sealed: None,
			};
			assert_noop!(
				Gateway::report_result(RuntimeOrigin::signed(key_account(OP)), id, report),
				Error::<Test>::BadSignature
			);
		}
	});
}

#[test]
fn the_receipt_verifies_with_the_gateway_key_alone() {
	build_and_execute(|| {
		setup(1);
		let id = submit(1);
		assert_ok!(report_ok(OP, id, BODY));
		let response = Gateway::response_view(id).unwrap();
		let genesis = baton_primitives::genesis_hash::<Test>();
		let request_hash = Requests::<Test>::get(id).unwrap().request_hash;
		assert_eq!(response.request_hash, request_hash);
		let message = receipt_message(
			&genesis,
			id,
			&request_hash,
			&response.response_hash,
			&response.status,
			&response.operator,
		);
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
		assert!(
			Reputation::reputation(&account(ops[2])).score
				< Reputation::reputation(&account(ops[0])).score
		);
		assert!(matches!(
			Requests::<Test>::get(id).unwrap().status,
			RequestStatus::Completed { .. }
		));
	});
}

#[test]
fn a_failure_in_the_minority_costs_reputation_but_is_no_wrong_result() {
	build_and_execute(|| {
		setup(3);
		let id = submit(3);
		let ops = assigned(id);
		let prior = Reputation::reputation(&account(ops[2]));
		assert_ok!(report_ok(ops[0], id, BODY));
		assert_ok!(report_ok(ops[1], id, BODY));
		let refused = report_of(ops[2], id, ResultStatus::Forbidden, b"");
		assert_ok!(Gateway::report_result(RuntimeOrigin::signed(key_account(ops[2])), id, refused));
		assert!(matches!(
			Requests::<Test>::get(id).unwrap().status,
			RequestStatus::Completed { .. }
		));
		// Only a different answer is an offence.
		assert!(offences().is_empty());
		assert!(Reputation::reputation(&account(ops[2])).score < prior.score);
	});
}

#[test]
fn settlement_compares_by_the_ignored_fields_the_request_was_submitted_under() {
	build_and_execute(|| {
		setup(2);
		let id = submit(2);
		let ops = assigned(id);
		// The publisher stops ignoring `ts` while the request is open.
		let mut strict = spec();
		strict.ignored_fields = Default::default();
		assert_ok!(Gateway::update_api(RuntimeOrigin::signed(account(PUBLISHER)), 0, strict));
		assert_ok!(report_ok(ops[0], id, BODY));
		assert_ok!(report_ok(ops[1], id, br#"{"ts":99,"price":7.25}"#));
		assert!(matches!(
			Requests::<Test>::get(id).unwrap().status,
			RequestStatus::Completed { .. }
		));
		assert!(offences().is_empty());
		// A request submitted now compares the whole body.
		let later = submit(2);
		let ops = assigned(later);
		assert_ok!(report_ok(ops[0], later, BODY));
		assert_ok!(report_ok(ops[1], later, br#"{"ts":99,"price":7.25}"#));
		assert!(matches!(
			Requests::<Test>::get(later).unwrap().status,
			RequestStatus::Refunded { .. }
		));
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
			Gateway::report_result(
				RuntimeOrigin::signed(account(a)),
				id,
				report_of(a, id, ok, BODY)
			),
			Error::<Test>::NotGatewayKey
		);
		assert_noop!(
			Gateway::report_result(signed(a), 99, report_of(a, 99, ok, BODY)),
			Error::<Test>::UnknownRequest
		);
		assert_noop!(
			Gateway::report_result(signed(idle), id, report_of(idle, id, ok, BODY)),
			Error::<Test>::NotAssigned
		);
		let mut wrong_hash = report_of(a, id, ok, BODY);
		wrong_hash.body = b"{}".to_vec().try_into().unwrap();
		assert_noop!(
			Gateway::report_result(signed(a), id, wrong_hash),
			Error::<Test>::HashMismatch
		);
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

/// Operator `n`'s `report_results` of `body` for `ids`.
fn report_batch(
	n: u8,
	ids: &[u64],
	body: &[u8],
) -> frame_support::dispatch::DispatchResultWithPostInfo {
	let reports: Vec<_> = ids
		.iter()
		.map(|id| (*id, report_of(n, *id, ResultStatus::Response { code: 200 }, body)))
		.collect();
	Gateway::report_results(RuntimeOrigin::signed(key_account(n)), reports.try_into().unwrap())
}

#[test]
fn report_results_settles_each_request_as_report_result_would_and_is_free() {
	build_and_execute(|| {
		setup(2);
		let client = Balances::free_balance(account(CLIENT));
		let treasury = Balances::free_balance(account(TREASURY));
		let operators =
			[Balances::free_balance(account(OP)), Balances::free_balance(account(OP + 1))];
		// Two requests of one operator and one of two, all answered by both operators.
		let ids = [submit(1), submit(1), submit(2)];
		let (first, second): (Vec<u64>, Vec<u64>) = (
			ids.iter().copied().filter(|id| assigned(*id).contains(&OP)).collect(),
			ids.iter().copied().filter(|id| assigned(*id).contains(&(OP + 1))).collect(),
		);
		let info = report_batch(OP, &first, BODY).unwrap();
		assert_eq!(info.pays_fee, Pays::No);
		let charged: Vec<(u32, u32)> =
			first.iter().map(|id| (assigned(*id).len() as u32, BODY.len() as u32)).collect();
		// All of one client and one API.
		assert_eq!(
			info.actual_weight,
			Some(crate::report_results_weight::<Test>(1, charged.into_iter()))
		);
		assert_ok!(report_batch(OP + 1, &second, BODY));

		let hash = sp_io::hashing::blake2_256(BODY);
		for id in ids {
			let request = Requests::<Test>::get(id).unwrap();
			assert_eq!(request.status, RequestStatus::Completed { response_hash: hash, at: 1 });
			System::assert_has_event(
				Event::RequestCompleted { request_id: id, response_hash: hash }.into(),
			);
		}
		// 4 operator shares of 100 and a protocol fee of 10 each.
		assert_eq!(Balances::free_balance(account(CLIENT)), client - 4 * 110);
		let paid = Balances::free_balance(account(OP)) + Balances::free_balance(account(OP + 1));
		assert_eq!(paid, operators[0] + operators[1] + 4 * 100);
		assert_eq!(Balances::free_balance(account(TREASURY)), treasury + 4 * 10);
		assert_eq!(Load::<Test>::get(account(OP)) + Load::<Test>::get(account(OP + 1)), 0);
	});
}

#[test]
fn report_results_is_charged_each_report_s_redundancy_and_body() {
	let single = |k, b| <() as crate::WeightInfo>::report_result(k, b);
	let batch = crate::report_results_weight::<Test>(2, [(1, 0), (3, 100)].into_iter());
	let extra = single(3, 100) - single(1, 0);
	assert_eq!(batch, <() as crate::WeightInfo>::report_results(2) + extra);
}

#[test]
fn reports_sharing_a_client_and_an_api_are_charged_as_the_shared_benchmark_measured() {
	use crate::WeightInfo;
	let reports = || [(1, 0); 3].into_iter();
	let distinct = crate::report_results_weight::<Test>(3, reports());
	let shared = crate::report_results_weight::<Test>(1, reports());
	assert_eq!(distinct, <() as WeightInfo>::report_results(3));
	// One report as the first of its pair, two more as in the benchmark of a shared pair.
	let further =
		<() as WeightInfo>::report_results_shared(3) - <() as WeightInfo>::report_results_shared(1);
	assert_eq!(shared, <() as WeightInfo>::report_results(1) + further);
	assert!(shared.ref_time() < distinct.ref_time());
}

#[test]
fn report_results_counts_the_client_and_api_pairs_of_its_reports() {
	build_and_execute(|| {
		setup(1);
		// Two requests of one client, one of another: two pairs.
		let ids = [submit(1), submit(1)];
		let other = submit_as(PUBLISHER, 1);
		let info = report_batch(OP, &[ids[0], ids[1], other], BODY).unwrap();
		let charged = [(1, BODY.len() as u32); 3];
		assert_eq!(
			info.actual_weight,
			Some(crate::report_results_weight::<Test>(2, charged.into_iter()))
		);
	});
}

#[test]
fn a_refused_report_in_report_results_changes_nothing_and_the_others_are_taken() {
	build_and_execute(|| {
		setup(1);
		let (good, bad) = (submit(1), submit(1));
		let request = Requests::<Test>::get(bad).unwrap();
		let held = Escrow::held(bad);
		let mut forged = report_of(OP, bad, ResultStatus::Response { code: 200 }, BODY);
		forged.signature[0] ^= 1;
		let reports = vec![
			(good, report_of(OP, good, ResultStatus::Response { code: 200 }, BODY)),
			(bad, forged),
		];
		let info = Gateway::report_results(
			RuntimeOrigin::signed(key_account(OP)),
			reports.try_into().unwrap(),
		)
		.unwrap();

		// A call with a refused report is paid for.
		assert_eq!(info.pays_fee, Pays::Yes);
		assert!(matches!(
			Requests::<Test>::get(good).unwrap().status,
			RequestStatus::Completed { .. }
		));
		assert_eq!(Requests::<Test>::get(bad).unwrap(), request);
		assert_eq!(Escrow::held(bad), held);
		assert!(Assignments::<Test>::contains_key(account(OP), bad));
		System::assert_has_event(
			Event::ReportRejected {
				request_id: bad,
				operator: account(OP),
				error: Error::<Test>::BadSignature.into(),
			}
			.into(),
		);
	});
}

#[test]
fn report_results_refuses_an_empty_call_and_a_signer_that_is_no_gateway_key() {
	build_and_execute(|| {
		setup(1);
		let id = submit(1);
		assert_noop!(report_batch(OP, &[], BODY), Error::<Test>::NoReports);
		let report = report_of(OP, id, ResultStatus::Response { code: 200 }, BODY);
		assert_noop!(
			Gateway::report_results(
				RuntimeOrigin::signed(account(CLIENT)),
				vec![(id, report)].try_into().unwrap()
			),
			Error::<Test>::NotGatewayKey
		);
	});
}
