//! Equivocation: two different results signed for one request prove an offence, reported once,
//! with the reporter as the slash's beneficiary; anything less is refused and changes nothing.

use crate::{mock::*, Error, Event, Requests, SignedResult};
use baton_primitives::{OffenceKind, ResultStatus};
use frame_support::{assert_noop, assert_ok, dispatch::Pays};

fn signed(n: u8, request_id: u64, status: ResultStatus, body: &[u8]) -> SignedResult {
	let report = report_of(n, request_id, status, body);
	SignedResult { status, response_hash: report.response_hash, signature: report.signature }
}

fn setup() -> (u64, [u8; 32]) {
	register_api();
	bond_operator(OP, 5_000);
	let id = submit(1);
	(id, Requests::<Test>::get(id).unwrap().request_hash)
}

const OK: ResultStatus = ResultStatus::Response { code: 200 };

#[test]
fn two_results_for_one_request_are_an_equivocation_reported_once() {
	build_and_execute(|| {
		let (id, hash) = setup();
		let (first, second) =
			(signed(OP, id, OK, b"{\"price\":1}"), signed(OP, id, OK, b"{\"price\":2}"));
		let reporter = RuntimeOrigin::signed(account(CLIENT));
		let info =
			Gateway::report_equivocation(reporter.clone(), id, hash, account(OP), first, second)
				.unwrap();
		assert_eq!(info.pays_fee, Pays::No);
		assert_eq!(
			offences_with_beneficiaries(),
			vec![(OffenceKind::Equivocation, account(OP), Some(account(CLIENT)))]
		);
		System::assert_last_event(
			Event::EquivocationReported {
				request_id: id,
				operator: account(OP),
				reporter: account(CLIENT),
			}
			.into(),
		);
		// A response and a failure are two results as well; but the offence counts once.
		let failure = signed(OP, id, ResultStatus::Timeout, b"");
		assert_noop!(
			Gateway::report_equivocation(reporter, id, hash, account(OP), first, failure),
			Error::<Test>::OffenceAlreadyReported
		);
	});
}

#[test]
fn the_request_need_not_be_kept_any_more() {
	build_and_execute(|| {
		let (id, hash) = setup();
		let (first, second) =
			(signed(OP, id, OK, b"{\"price\":1}"), signed(OP, id, OK, b"{\"price\":2}"));
		assert_ok!(report_ok(OP, id, b"{\"price\":1}"));
		run_to_block(7);
		assert!(!Requests::<Test>::contains_key(id));
		assert_ok!(Gateway::report_equivocation(
			RuntimeOrigin::signed(account(CLIENT)),
			id,
			hash,
			account(OP),
			first,
			second
		));
	});
}

#[test]
fn anything_short_of_two_signed_results_is_refused_and_changes_nothing() {
	build_and_execute(|| {
		let (id, hash) = setup();
		bond_operator(OP + 1, 5_000);
		let first = signed(OP, id, OK, b"{\"price\":1}");
		let second = signed(OP, id, OK, b"{\"price\":2}");
		let mut forged = second;
		forged.signature[0] ^= 1;
		let report = |operator: u8, request_hash: [u8; 32], a: SignedResult, b: SignedResult| {
			Gateway::report_equivocation(
				RuntimeOrigin::signed(account(CLIENT)),
				id,
				request_hash,
				account(operator),
				a,
				b,
			)
		};
		// The same result twice.
		assert_noop!(report(OP, hash, first, first), Error::<Test>::NotEquivocation);
		// A signature that does not verify, results of another operator's key, another request.
		assert_noop!(report(OP, hash, first, forged), Error::<Test>::BadSignature);
		assert_noop!(report(OP + 1, hash, first, second), Error::<Test>::BadSignature);
		assert_noop!(report(OP, [9; 32], first, second), Error::<Test>::BadSignature);
		// Not an operator at all.
		assert_noop!(report(CLIENT, hash, first, second), Error::<Test>::NotGatewayKey);
		assert!(offences().is_empty());
	});
}
