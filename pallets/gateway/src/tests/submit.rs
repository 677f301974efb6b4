//! Submitting requests: the fee goes into escrow, operators are assigned, and every bad
//! argument is refused with nothing held.

use crate::{
	mock::*, Agenda, AgendaTask, Assignments, Error, Event, HttpMethod, Load, NewRequest, Requests,
};
use baton_primitives::{Escrow as _, RequestStatus};
use frame_support::{assert_noop, assert_ok, pallet_prelude::BoundedVec};

/// Submits with everything valid except what `change` alters.
fn submit_with(
	change: impl FnOnce(&mut Args),
) -> frame_support::dispatch::DispatchResultWithPostInfo {
	let mut args = Args {
		api_id: 0,
		method: HttpMethod::Get,
		path: b"/price".to_vec(),
		headers: vec![(b"Accept".to_vec(), b"application/json".to_vec())],
		body: vec![],
		redundancy: 1,
		max_fee: 10_000,
		deadline: System::block_number() + 5,
	};
	change(&mut args);
	let headers: Vec<_> = args
		.headers
		.into_iter()
		.map(|(n, v)| (n.try_into().unwrap(), v.try_into().unwrap()))
		.collect();
	Gateway::submit_request(
		RuntimeOrigin::signed(account(CLIENT)),
		args.api_id,
		args.method,
		args.path.try_into().unwrap(),
		BoundedVec::try_from(headers).unwrap(),
		args.body.try_into().unwrap(),
		args.redundancy,
		args.max_fee,
		args.deadline,
	)
}

struct Args {
	api_id: u32,
	method: HttpMethod,
	path: Vec<u8>,
	headers: Vec<(Vec<u8>, Vec<u8>)>,
	body: Vec<u8>,
	redundancy: u32,
	max_fee: Balance,
	deadline: u32,
}

#[test]
fn a_submission_is_charged_for_its_candidates_and_its_bytes() {
	build_and_execute(|| {
		setup(3);
		let info = submit_with(|args| args.body = vec![b'x'; 100]).unwrap();
		// "/price", "Accept: application/json" and the body.
		let bytes = 6 + 6 + 16 + 100;
		assert_eq!(
			info.actual_weight,
			Some(<() as crate::WeightInfo>::submit_request(3, bytes, 1))
		);
	});
}

#[test]
fn a_request_escrows_its_fee_and_assigns_operators() {
	build_and_execute(|| {
		setup(4);
		let before = Balances::free_balance(account(CLIENT));
		assert_ok!(submit_with(|a| a.redundancy = 2));
		// 2 × 100 for the operators + 10 % protocol fee.
		assert_eq!(Escrow::held(0), 220);
		assert_eq!(Balances::free_balance(account(CLIENT)), before - 220);
		let request = Requests::<Test>::get(0).unwrap();
		assert_eq!(request.assigned.len(), 2);
		assert_eq!(request.backups.len(), 2);
		assert_eq!(request.status, RequestStatus::Pending);
		for operator in &request.assigned {
			assert!(Assignments::<Test>::contains_key(operator, 0));
			assert_eq!(Load::<Test>::get(operator), 1);
			assert!(!request.backups.contains(operator));
		}
		assert_eq!(Agenda::<Test>::get(7, 0), Some(AgendaTask::Settle));
		System::assert_last_event(
			Event::RequestSubmitted {
				request_id: 0,
				api_id: 0,
				client: account(CLIENT),
				fee: 220,
				assigned: request.assigned.to_vec(),
			}
			.into(),
		);
	});
}

#[test]
fn redundancy_zero_means_the_apis_default() {
	build_and_execute(|| {
		setup(2);
		assert_ok!(submit_with(|a| a.redundancy = 0));
		assert_eq!(Requests::<Test>::get(0).unwrap().assigned.len(), 1);
		assert_eq!(Escrow::held(0), 110);
	});
}

#[test]
fn bad_requests_are_refused_and_hold_nothing() {
	build_and_execute(|| {
		setup(2);
		let now = System::block_number();
		type Case = (Box<dyn FnOnce(&mut Args)>, Error<Test>);
		let cases: Vec<Case> = vec![
			(Box::new(|a| a.api_id = 9), Error::UnknownApi),
			(Box::new(|a| a.method = HttpMethod::Delete), Error::MethodNotAllowed),
			(Box::new(|a| a.path = b"price".to_vec()), Error::InvalidPath),
			(Box::new(|a| a.path = b"/a b".to_vec()), Error::InvalidPath),
			(Box::new(|a| a.path = vec![]), Error::InvalidPath),
			(
				Box::new(|a| a.headers = vec![(b"Bad Name".to_vec(), b"x".to_vec())]),
				Error::InvalidHeader,
			),
			(Box::new(|a| a.headers = vec![(vec![], b"x".to_vec())]), Error::InvalidHeader),
			(
				Box::new(|a| a.headers = vec![(b"X-A".to_vec(), b"a\r\nb".to_vec())]),
				Error::InvalidHeader,
			),
			(
				Box::new(|a| a.headers = vec![(b"idempotency-KEY".to_vec(), b"1".to_vec())]),
				Error::ReservedHeader,
			),
			(Box::new(|a| a.redundancy = 4), Error::InvalidRedundancy),
			(Box::new(|a| a.redundancy = 3), Error::NotEnoughOperators),
			(Box::new(|a| a.max_fee = 109), Error::FeeAboveMax),
			(Box::new(move |a| a.deadline = now + 1), Error::DeadlineOutOfRange),
			(Box::new(move |a| a.deadline = now + 11), Error::DeadlineOutOfRange),
			// The API's timeout is 2 s, two blocks: the report needs a third.
			(Box::new(move |a| a.deadline = now + 2), Error::DeadlineTooSoon),
		];
		for (change, error) in cases {
			assert_noop!(submit_with(change), error);
		}
		assert_ok!(Gateway::pause_api(RuntimeOrigin::signed(account(PUBLISHER)), 0, true));
		assert_noop!(submit_with(|_| {}), Error::<Test>::ApiPaused);
	});
}

#[test]
fn a_client_that_cannot_pay_is_refused() {
	build_and_execute(|| {
		setup(1);
		assert_ok!(Balances::force_set_balance(RuntimeOrigin::root(), account(CLIENT), 100));
		assert_noop!(submit_with(|_| {}), pallet_escrow::Error::<Test>::InsufficientFunds);
	});
}

#[test]
fn requests_at_the_bounds_are_taken() {
	build_and_execute(|| {
		setup(1);
		assert_ok!(submit_with(|a| a.path = [b"/".to_vec(), vec![b'a'; 63]].concat()));
		assert_ok!(submit_with(|a| a.body = vec![b'x'; 128]));
		// The earliest deadline: the API's timeout (2 blocks) and a block for the report.
		assert_ok!(submit_with(|a| a.deadline = System::block_number() + 3));
		assert_ok!(submit_with(|a| a.deadline = System::block_number() + 10));
	});
}

#[test]
fn a_deadline_must_leave_the_apis_whole_timeout_and_a_block_to_report() {
	build_and_execute(|| {
		setup(1);
		let mut slow = spec();
		// Eight blocks of 1 s, rounded up.
		slow.timeout_ms = 7_500;
		assert_ok!(Gateway::update_api(RuntimeOrigin::signed(account(PUBLISHER)), 0, slow));
		let now = System::block_number();
		assert_noop!(submit_with(move |a| a.deadline = now + 8), Error::<Test>::DeadlineTooSoon);
		assert_ok!(submit_with(move |a| a.deadline = now + 9));
	});
}

#[test]
fn a_request_keeps_the_terms_it_was_submitted_under() {
	build_and_execute(|| {
		setup(1);
		assert_ok!(submit_with(|_| {}));
		let mut moved = spec();
		moved.base_url = b"https://moved.example".to_vec().try_into().unwrap();
		moved.timeout_ms = 4_000;
		moved.max_response_bytes = 64;
		assert_ok!(Gateway::update_api(
			RuntimeOrigin::signed(account(PUBLISHER)),
			0,
			moved.clone()
		));
		assert_eq!(Requests::<Test>::get(0).unwrap().terms, crate::Terms::from(&spec()));
		assert_ok!(submit_with(|_| {}));
		assert_eq!(Requests::<Test>::get(1).unwrap().terms, crate::Terms::from(&moved));
	});
}

/// `GET /price` through `redundancy` operators, valid from now on.
fn new_request(redundancy: u32) -> NewRequest<Test> {
	NewRequest {
		method: HttpMethod::Get,
		path: b"/price".to_vec().try_into().unwrap(),
		headers: Default::default(),
		body: Default::default(),
		redundancy,
		max_fee: 10_000,
		deadline: System::block_number() + 5,
		sealed: None,
	}
}

fn submit_batch(
	requests: Vec<NewRequest<Test>>,
) -> frame_support::dispatch::DispatchResultWithPostInfo {
	Gateway::submit_requests(
		RuntimeOrigin::signed(account(CLIENT)),
		0,
		requests.try_into().unwrap(),
	)
}

#[test]
fn a_batch_submits_each_request_as_submit_request_would() {
	build_and_execute(|| {
		setup(3);
		let before = Balances::free_balance(account(CLIENT));
		let info = submit_batch(vec![new_request(1), new_request(2), new_request(0)]).unwrap();

		// 1, 2 and the default 1 operators at 100, plus 10 % each.
		for (id, fee) in [(0, 110), (1, 220), (2, 110)] {
			assert_eq!(Escrow::held(id), fee);
			let request = Requests::<Test>::get(id).unwrap();
			assert_eq!(request.status, RequestStatus::Pending);
			for operator in &request.assigned {
				assert!(Assignments::<Test>::contains_key(operator, id));
			}
			System::assert_has_event(
				Event::RequestSubmitted {
					request_id: id,
					api_id: 0,
					client: account(CLIENT),
					fee,
					assigned: request.assigned.to_vec(),
				}
				.into(),
			);
		}
		assert_eq!(Balances::free_balance(account(CLIENT)), before - 440);
		let loads: u32 = (OP..OP + 3).map(|n| Load::<Test>::get(account(n))).sum();
		assert_eq!(loads, 4);
		// "/price" is 6 bytes.
		let charged = [(1, 6), (2, 6), (1, 6)];
		assert_eq!(
			info.actual_weight,
			Some(crate::submit_requests_weight::<Test>(3, charged.into_iter()))
		);
	});
}

#[test]
fn a_batch_with_a_bad_request_is_refused_whole_and_holds_nothing() {
	build_and_execute(|| {
		setup(2);
		let mut bad = new_request(1);
		bad.method = HttpMethod::Delete;
		assert_noop!(
			submit_batch(vec![new_request(1), bad, new_request(1)]),
			Error::<Test>::MethodNotAllowed
		);
		let mut dear = new_request(2);
		dear.max_fee = 219;
		assert_noop!(submit_batch(vec![new_request(1), dear]), Error::<Test>::FeeAboveMax);
		assert_noop!(submit_batch(vec![]), Error::<Test>::NoRequests);
		assert_noop!(
			Gateway::submit_requests(
				RuntimeOrigin::signed(account(CLIENT)),
				9,
				vec![new_request(1)].try_into().unwrap()
			),
			Error::<Test>::UnknownApi
		);
		assert_ok!(Gateway::pause_api(RuntimeOrigin::signed(account(PUBLISHER)), 0, true));
		assert_noop!(submit_batch(vec![new_request(1)]), Error::<Test>::ApiPaused);
	});
}

#[test]
fn an_empty_batch_is_weighed_as_no_more_than_one_request() {
	// Charged before dispatch, so that it reaches `NoRequests` rather than overflowing.
	let empty = crate::submit_requests_weight::<Test>(64, core::iter::empty());
	let one = crate::submit_requests_weight::<Test>(64, [(1, 1)].into_iter());
	assert!(empty.all_lte(one));
}

#[test]
fn a_batch_routes_no_operator_beyond_its_capacity() {
	build_and_execute(|| {
		register_api();
		for n in OP..OP + 2 {
			assert_ok!(OperatorStaking::bond(
				RuntimeOrigin::signed(account(n)),
				5_000,
				key(n),
				profile(1),
				key_proof(n)
			));
		}
		// Two operators of capacity 1 take two requests, not three.
		assert_noop!(submit_batch(vec![new_request(1); 3]), Error::<Test>::NotEnoughOperators);
		assert_ok!(submit_batch(vec![new_request(1); 2]));
		assert_eq!(Load::<Test>::get(account(OP)), 1);
		assert_eq!(Load::<Test>::get(account(OP + 1)), 1);
	});
}
