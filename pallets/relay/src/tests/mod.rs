//! Sessions opened, topped up, claimed from, closed, expired and settled; every refusal with
//! its error and nothing changed.

mod challenges;

use crate::{mock::*, Agenda, AgendaTask, Error, Event, SessionStatus, Sessions};
use baton_primitives::{session_escrow, Escrow as _};
use frame_support::{assert_noop, assert_ok, dispatch::Pays, traits::fungible::Inspect};

/// Client 1 opens a session of `operators` operators on API 0 for 10 blocks (to block 11),
/// with `allowance` each; returns its id.
fn open(operators: u32, allowance: Balance) -> u64 {
	let id = crate::NextSessionId::<Test>::get();
	assert_ok!(Relay::open_session(
		RuntimeOrigin::signed(client(CLIENT)),
		API,
		operators,
		allowance,
		10
	));
	id
}

fn free(who: &AccountId) -> Balance {
	Balances::balance(who)
}

#[test]
fn opening_holds_each_operators_allowance_and_routes_the_session() {
	build_and_execute(|| {
		let id = open(2, 110);
		assert_eq!(Escrow::held(session_escrow(id)), 220);
		assert_eq!(free(&client(CLIENT)), FUNDS - 220);
		let session = Sessions::<Test>::get(id).unwrap();
		assert_eq!(
			session.price,
			baton_primitives::CallPrice { operator: PRICE, protocol_fee: FEE }
		);
		assert_eq!(
			session.operators.iter().map(|o| o.operator.clone()).collect::<Vec<_>>(),
			vec![account(10), account(11)]
		);
		assert_eq!((session.expires_at, session.status), (11, SessionStatus::Open));
		assert_eq!(Agenda::<Test>::get(12, id), Some(AgendaTask::Expire));
		System::assert_last_event(
			Event::SessionOpened {
				session_id: id,
				client: client(CLIENT),
				api_id: API,
				operators: vec![account(10), account(11)],
				expires_at: 11,
			}
			.into(),
		);
	});
}

#[test]
fn opening_refuses_bad_input_and_changes_nothing() {
	build_and_execute(|| {
		let origin = || RuntimeOrigin::signed(client(CLIENT));
		assert_noop!(
			Relay::open_session(origin(), API, 0, 110, 10),
			Error::<Test>::InvalidOperatorCount
		);
		assert_noop!(
			Relay::open_session(origin(), API, 4, 110, 10),
			Error::<Test>::InvalidOperatorCount
		);
		assert_noop!(Relay::open_session(origin(), API, 1, 110, 1), Error::<Test>::InvalidDuration);
		assert_noop!(
			Relay::open_session(origin(), API, 1, 110, 101),
			Error::<Test>::InvalidDuration
		);
		// One call costs the price and the fee: 11.
		assert_noop!(
			Relay::open_session(origin(), API, 1, 10, 10),
			Error::<Test>::AllowanceTooSmall
		);
		assert_noop!(Relay::open_session(origin(), 7, 1, 110, 10), UNKNOWN_API);
		PAUSED.with(|p| *p.borrow_mut() = true);
		assert_noop!(Relay::open_session(origin(), API, 1, 110, 10), API_PAUSED);
		PAUSED.with(|p| *p.borrow_mut() = false);
		assert_noop!(
			Relay::open_session(RuntimeOrigin::signed(client(POOR)), API, 2, 50, 10),
			pallet_escrow::Error::<Test>::InsufficientFunds
		);
	});
}

#[test]
fn a_claim_pays_the_calls_its_voucher_counts_beyond_those_paid() {
	build_and_execute(|| {
		let id = open(2, 110);
		let result = Relay::claim(signed_by_key(10), id, voucher(CLIENT, id, 10, 3, 3, 33));
		assert_eq!(result.unwrap().pays_fee, Pays::No);
		assert_eq!((free(&account(10)), free(&account(TREASURY))), (1 + 30, 1 + 3));
		System::assert_last_event(
			Event::Claimed {
				session_id: id,
				operator: account(10),
				calls: 3,
				paid: 30,
				protocol_fee: 3,
			}
			.into(),
		);
		// A later voucher pays only its new calls.
		assert_ok!(Relay::claim(signed_by_key(10), id, voucher(CLIENT, id, 10, 9, 5, 55)));
		assert_eq!((free(&account(10)), free(&account(TREASURY))), (1 + 50, 1 + 5));
		assert_eq!(Escrow::held(session_escrow(id)), 220 - 55);
		// The other operator claims from its own allowance.
		assert_ok!(Relay::claim(signed_by_key(11), id, voucher(CLIENT, id, 11, 4, 1, 11)));
		assert_eq!(free(&account(11)), 1 + 10);
	});
}

#[test]
fn a_claim_is_capped_by_the_amount_signed_and_by_the_allowance() {
	build_and_execute(|| {
		let id = open(1, 110);
		// 20 calls at 11 would be 220; the voucher signs only 55: 5 calls.
		assert_ok!(Relay::claim(signed_by_key(10), id, voucher(CLIENT, id, 10, 20, 20, 55)));
		assert_eq!(free(&account(10)), 1 + 50);
		// The allowance (110) covers 10 calls: the rest of a voucher for 30 is not paid.
		assert_ok!(Relay::claim(signed_by_key(10), id, voucher(CLIENT, id, 10, 30, 30, 330)));
		assert_eq!((free(&account(10)), free(&account(TREASURY))), (1 + 100, 1 + 10));
		assert_eq!(Escrow::held(session_escrow(id)), 0);
		assert_noop!(
			Relay::claim(signed_by_key(10), id, voucher(CLIENT, id, 10, 31, 31, 341)),
			Error::<Test>::NothingToClaim
		);
		// A top-up opens the emptied escrow again and lets the operator claim more.
		assert_ok!(Relay::top_up(RuntimeOrigin::signed(client(CLIENT)), id, 22));
		assert_ok!(Relay::claim(signed_by_key(10), id, voucher(CLIENT, id, 10, 31, 31, 341)));
		assert_eq!(free(&account(10)), 1 + 120);
	});
}

#[test]
fn claims_refuse_what_the_client_did_not_sign_for_this_session_operator_and_chain() {
	build_and_execute(|| {
		let id = open(2, 110);
		let other = open(2, 110);
		assert_ok!(Relay::claim(signed_by_key(10), id, voucher(CLIENT, id, 10, 3, 3, 33)));
		let claim = |n: u8, voucher| Relay::claim(signed_by_key(n), id, voucher);
		// The same calls again, and fewer.
		assert_noop!(claim(10, voucher(CLIENT, id, 10, 3, 3, 33)), Error::<Test>::NothingToClaim);
		assert_noop!(claim(10, voucher(CLIENT, id, 10, 2, 2, 22)), Error::<Test>::NothingToClaim);
		// Signed by someone else, for another session, for another operator.
		assert_noop!(claim(10, voucher(POOR, id, 10, 4, 4, 44)), Error::<Test>::BadSignature);
		assert_noop!(claim(10, voucher(CLIENT, other, 10, 4, 4, 44)), Error::<Test>::BadSignature);
		assert_noop!(claim(10, voucher(CLIENT, id, 11, 4, 4, 44)), Error::<Test>::BadSignature);
		// Tampered after signing.
		let mut raised = voucher(CLIENT, id, 10, 4, 4, 44);
		raised.calls = 9;
		assert_noop!(claim(10, raised), Error::<Test>::BadSignature);
		// Not a gateway key, not one of the session's operators, no such session.
		assert_noop!(
			Relay::claim(RuntimeOrigin::signed(account(10)), id, voucher(CLIENT, id, 10, 4, 4, 44)),
			Error::<Test>::NotGatewayKey
		);
		assert_noop!(
			claim(12, voucher(CLIENT, id, 12, 4, 4, 44)),
			Error::<Test>::NotSessionOperator
		);
		assert_noop!(
			Relay::claim(signed_by_key(10), 99, voucher(CLIENT, 99, 10, 4, 4, 44)),
			Error::<Test>::UnknownSession
		);
	});
}

#[test]
fn top_ups_raise_every_allowance_of_an_open_session() {
	build_and_execute(|| {
		let id = open(2, 110);
		assert_ok!(Relay::top_up(RuntimeOrigin::signed(client(CLIENT)), id, 55));
		assert_eq!(Sessions::<Test>::get(id).unwrap().allowance, 165);
		assert_eq!(Escrow::held(session_escrow(id)), 330);
		System::assert_last_event(Event::ToppedUp { session_id: id, allowance: 55 }.into());

		let top_up =
			|n: u8, id, amount| Relay::top_up(RuntimeOrigin::signed(client(n)), id, amount);
		assert_noop!(top_up(POOR, id, 1), Error::<Test>::NotClient);
		assert_noop!(top_up(CLIENT, id, 0), Error::<Test>::ZeroTopUp);
		assert_noop!(top_up(CLIENT, 99, 1), Error::<Test>::UnknownSession);
		assert_noop!(top_up(CLIENT, id, FUNDS), pallet_escrow::Error::<Test>::InsufficientFunds);
		assert_ok!(Relay::close_session(
			RuntimeOrigin::signed(client(CLIENT)),
			id,
			Default::default()
		));
		assert_noop!(top_up(CLIENT, id, 1), Error::<Test>::SessionClosed);
	});
}

#[test]
fn a_closed_session_takes_claims_for_the_window_then_refunds_the_rest() {
	build_and_execute(|| {
		let id = open(2, 110);
		run_to_block(3);
		assert_ok!(Relay::close_session(
			RuntimeOrigin::signed(client(CLIENT)),
			id,
			Default::default()
		));
		System::assert_last_event(Event::SessionClosed { session_id: id, claims_until: 8 }.into());
		assert_eq!(Sessions::<Test>::get(id).unwrap().status, SessionStatus::Closed { at: 3 });
		assert_noop!(
			Relay::close_session(RuntimeOrigin::signed(client(CLIENT)), id, Default::default()),
			Error::<Test>::SessionClosed
		);
		run_to_block(8);
		assert_ok!(Relay::claim(signed_by_key(10), id, voucher(CLIENT, id, 10, 3, 3, 33)));
		run_to_block(9);
		System::assert_last_event(
			Event::SessionSettled { session_id: id, refunded: 220 - 33 }.into(),
		);
		assert!(Sessions::<Test>::get(id).is_none());
		assert_eq!(free(&client(CLIENT)), FUNDS - 33);
		assert_noop!(
			Relay::claim(signed_by_key(11), id, voucher(CLIENT, id, 11, 4, 1, 11)),
			Error::<Test>::UnknownSession
		);
	});
}

#[test]
fn claims_after_the_window_are_refused() {
	build_and_execute(|| {
		let id = open(1, 110);
		assert_ok!(Relay::close_session(
			RuntimeOrigin::signed(client(CLIENT)),
			id,
			Default::default()
		));
		// Closed in block 1: claims until block 6, settled in block 7's hook.
		System::set_block_number(7);
		assert_noop!(
			Relay::claim(signed_by_key(10), id, voucher(CLIENT, id, 10, 3, 3, 33)),
			Error::<Test>::ClaimWindowOver
		);
	});
}

#[test]
fn only_the_client_closes_a_session_before_it_expires_and_anyone_after() {
	build_and_execute(|| {
		let id = open(1, 110);
		let stranger = RuntimeOrigin::signed(client(POOR));
		assert_noop!(
			Relay::close_session(stranger.clone(), id, Default::default()),
			Error::<Test>::NotClient
		);
		assert_noop!(
			Relay::close_session(stranger.clone(), 99, Default::default()),
			Error::<Test>::UnknownSession
		);
		// Block 12 would close it in its hook; a call in the block after expiry comes first
		// when the hook is behind.
		System::set_block_number(12);
		assert_ok!(Relay::close_session(stranger, id, Default::default()));
		assert_eq!(Agenda::<Test>::get(12, id), None);
		assert_eq!(Agenda::<Test>::get(18, id), Some(AgendaTask::Settle));
	});
}

#[test]
fn sessions_expire_after_their_last_block_and_settle_after_the_window() {
	build_and_execute(|| {
		let id = open(3, 110);
		run_to_block(11);
		assert_eq!(Sessions::<Test>::get(id).unwrap().status, SessionStatus::Open);
		run_to_block(12);
		assert_eq!(Sessions::<Test>::get(id).unwrap().status, SessionStatus::Closed { at: 12 });
		assert!(SESSION_LOAD.with(|load| load.borrow().is_empty()));
		assert_ok!(Relay::claim(signed_by_key(12), id, voucher(CLIENT, id, 12, 1, 1, 11)));
		run_to_block(18);
		assert!(Sessions::<Test>::get(id).is_none());
		assert_eq!(free(&client(CLIENT)), FUNDS - 11);
		assert!(crate::ClientSessions::<Test>::iter().next().is_none());
	});
}

#[test]
fn the_hook_does_at_most_max_tasks_per_block_and_the_rest_next_block() {
	build_and_execute(|| {
		let ids = [open(1, 110), open(1, 110), open(1, 110)];
		run_to_block(12);
		let open_ids: Vec<_> = ids
			.iter()
			.filter(|id| Sessions::<Test>::get(**id).unwrap().status == SessionStatus::Open)
			.collect();
		assert_eq!(open_ids.len(), 1, "two of three expire in block 12");
		run_to_block(13);
		assert!(ids
			.iter()
			.all(|id| Sessions::<Test>::get(id).unwrap().status != SessionStatus::Open));
	});
}

#[test]
fn the_view_shows_a_session_its_operators_keys_and_where_it_stands() {
	build_and_execute(|| {
		assert_eq!(Relay::session_view(0), None);
		let id = open(2, 110);
		let view = Relay::session_view(id).unwrap();
		assert_eq!((view.id, view.client.clone(), view.api_id), (id, client(CLIENT), API));
		assert_eq!((view.price_per_call, view.protocol_fee, view.allowance), (PRICE, FEE, 110));
		assert_eq!(
			view.operators
				.iter()
				.map(|o| (o.operator.clone(), o.gateway_key))
				.collect::<Vec<_>>(),
			vec![(account(10), Some(key(10))), (account(11), Some(key(11)))]
		);
		assert_eq!(
			(view.opened_at, view.expires_at, view.closed_at, view.claims_until),
			(1, 11, None, None)
		);
		assert_ok!(Relay::close_session(
			RuntimeOrigin::signed(client(CLIENT)),
			id,
			Default::default()
		));
		let view = Relay::session_view(id).unwrap();
		assert_eq!((view.closed_at, view.claims_until), (Some(1), Some(6)));
		assert_eq!(Relay::session_views(&client(CLIENT)), vec![view]);
		assert_eq!(Relay::session_views(&client(POOR)), vec![]);
	});
}

/// Keeps `voucher` as the relay endpoint does, for `served` calls of `operator` in `id`.
fn keep_served(id: u64, operator: u8, voucher: crate::VoucherOf<Test>, served: u64) {
	use baton_primitives::offchain::keys::{relay_voucher_key, RELAY_VOUCHER_INDEX_KEY};
	use sp_runtime::offchain::storage::StorageValueRef;
	StorageValueRef::persistent(&relay_voucher_key(id, &account(operator)))
		.set(&baton_primitives::ServedVoucher { voucher, served });
	StorageValueRef::persistent(RELAY_VOUCHER_INDEX_KEY).set(&vec![(id, account(operator))]);
}

#[test]
fn the_worker_claims_what_the_endpoint_served_once_the_session_closed() {
	let mut ext = new_test_ext();
	let (_, pool) = baton_primitives::testing::offchain_worker_ext(
		&mut ext,
		&[&baton_primitives::testing::gateway_suri(10)],
	);
	ext.execute_with(|| {
		let id = open(1, 110);
		keep_served(id, 10, voucher(CLIENT, id, 10, 6, 7, 77), 7);
		Relay::claim_served(1);
		assert!(pool().is_empty(), "no claim while the session is open");

		assert_ok!(Relay::close_session(
			RuntimeOrigin::signed(client(CLIENT)),
			id,
			Default::default()
		));
		Relay::claim_served(1);
		let sent = pool();
		assert_eq!(sent.len(), 1);
		Relay::claim_served(2);
		assert_eq!(pool().len(), 1, "not sent again before it could land");
		// Closed in block 1, the session takes claims until block 6.
		Relay::claim_served(1 + crate::offchain::RESEND_AFTER);
		assert_eq!(pool().len(), 2, "sent again once it did not land");

		// The claim the worker signed pays the operator for its 7 calls.
		let xt: Extrinsic = codec::Decode::decode(&mut &sent[0][..]).unwrap();
		let signer = key_account_of_extrinsic(&xt);
		assert_eq!(signer, baton_primitives::testing::key_account(&key(10)));
		let RuntimeCall::Relay(call) = xt.function else { panic!("a relay call") };
		assert_ok!(frame_support::traits::UnfilteredDispatchable::dispatch_bypass_filter(
			call,
			RuntimeOrigin::signed(signer)
		));
		assert_eq!(Sessions::<Test>::get(id).unwrap().operators[0].claimed_calls, 7);
		Relay::claim_served(6);
		assert_eq!(pool().len(), 2, "nothing left to claim");
		try_state();
	});
}

/// The account that signed `xt`.
fn key_account_of_extrinsic(xt: &Extrinsic) -> AccountId {
	match &xt.preamble {
		sp_runtime::generic::Preamble::Signed(address, ..) => address.clone(),
		_ => panic!("a signed extrinsic"),
	}
}

/// A report of client 1 on a session of operators 10, 11 and 12.
fn report(
	handovers: Vec<(u8, u8, u64)>,
	outcomes: Vec<(u8, u64, u32)>,
) -> crate::SessionReportOf<Test> {
	let handovers: Vec<_> = handovers
		.into_iter()
		.map(|(from, to, sequence)| crate::RelayHandover {
			from: account(from),
			to: account(to),
			sequence,
			cause: crate::RelayFault::Late,
		})
		.collect();
	let outcomes: Vec<_> = outcomes
		.into_iter()
		.map(|(n, failed_calls, latency_ms)| crate::OperatorOutcome {
			operator: account(n),
			failed_calls,
			latency_ms,
		})
		.collect();
	crate::SessionReport {
		handovers: handovers.try_into().unwrap(),
		outcomes: outcomes.try_into().unwrap(),
	}
}

fn outcomes() -> Vec<(AccountId, u32, baton_primitives::Outcome)> {
	OUTCOMES.with(|o| o.borrow().clone())
}

#[test]
fn a_close_report_logs_handovers_at_close_and_outcomes_at_settlement() {
	use baton_primitives::{HandoverReason, Outcome};
	build_and_execute(|| {
		let id = open(3, 1_100);
		let close =
			report(vec![(10, 11, 4), (11, 12, 9)], vec![(10, 1, 80), (11, 5, 90), (12, 0, 5_000)]);
		assert_ok!(Relay::close_session(RuntimeOrigin::signed(client(CLIENT)), id, close));
		let late = |sequence| HandoverReason::Relay { sequence, cause: crate::RelayFault::Late };
		assert_eq!(
			handovers(session_escrow(id)),
			vec![(account(10), account(11), late(4)), (account(11), account(12), late(9))]
		);
		assert_eq!(
			outcomes(),
			vec![
				(account(10), API, Outcome::HandedOver),
				(account(11), API, Outcome::TookOver),
				(account(11), API, Outcome::HandedOver),
				(account(12), API, Outcome::TookOver),
			]
		);
		// Paid: 10 for 4 calls, 11 for 2, 12 for 3 (9 in all).
		assert_ok!(Relay::claim(signed_by_key(10), id, voucher(CLIENT, id, 10, 3, 4, 44)));
		assert_ok!(Relay::claim(signed_by_key(11), id, voucher(CLIENT, id, 11, 8, 2, 22)));
		assert_ok!(Relay::claim(signed_by_key(12), id, voucher(CLIENT, id, 12, 11, 3, 33)));
		OUTCOMES.with(|o| o.borrow_mut().clear());
		run_to_block(7);
		// 10 failed 1 call of the 4 it was paid for: completed. 11 failed 5 of 2: failed (the
		// client paid for 9). 12's latency is capped at the timeout.
		assert_eq!(
			outcomes(),
			vec![
				(account(10), API, Outcome::Completed { latency_ms: 80 }),
				(account(11), API, Outcome::Failed),
				(account(12), API, Outcome::Completed { latency_ms: TIMEOUT_MS }),
			]
		);
		assert!(crate::Outcomes::<Test>::get(id).is_none());
		assert!(handovers(session_escrow(id)).is_empty(), "the log goes with the session");
	});
}

#[test]
fn a_report_damages_no_operator_beyond_the_calls_the_client_paid_for() {
	use baton_primitives::Outcome;
	build_and_execute(|| {
		let id = open(2, 1_100);
		// 10 failed 50 calls by the report, but the client paid for 3 in all: no failure. 11
		// was paid for nothing: no outcome.
		let close = report(vec![], vec![(10, 50, 80), (11, 0, 80)]);
		assert_ok!(Relay::close_session(RuntimeOrigin::signed(client(CLIENT)), id, close));
		assert_ok!(Relay::claim(signed_by_key(10), id, voucher(CLIENT, id, 10, 3, 3, 33)));
		run_to_block(7);
		assert_eq!(outcomes(), vec![(account(10), API, Outcome::Completed { latency_ms: 80 })]);
	});
}

#[test]
fn bad_reports_are_refused_and_change_nothing() {
	build_and_execute(|| {
		let id = open(2, 110);
		let close =
			|n: u8, report| Relay::close_session(RuntimeOrigin::signed(client(n)), id, report);
		assert_noop!(
			close(CLIENT, report(vec![(10, 12, 1)], vec![])),
			Error::<Test>::NotSessionOperator
		);
		assert_noop!(
			close(CLIENT, report(vec![], vec![(13, 1, 1)])),
			Error::<Test>::NotSessionOperator
		);
		assert_noop!(close(CLIENT, report(vec![(10, 10, 1)], vec![])), Error::<Test>::SelfHandover);
		assert_noop!(
			close(CLIENT, report(vec![(10, 11, 5), (11, 10, 4)], vec![])),
			Error::<Test>::HandoversOutOfOrder
		);
		assert_noop!(
			close(CLIENT, report(vec![], vec![(10, 1, 1), (10, 2, 2)])),
			Error::<Test>::DuplicateOutcome
		);
		System::set_block_number(12);
		assert_noop!(close(POOR, report(vec![], vec![(10, 1, 1)])), Error::<Test>::ReportNotClient);
		assert!(handovers(session_escrow(id)).is_empty());
		assert!(outcomes().is_empty());
		assert_eq!(Sessions::<Test>::get(id).unwrap().status, SessionStatus::Open);
	});
}

#[test]
fn two_different_receipts_for_one_call_are_an_equivocation_reported_once() {
	use baton_primitives::OffenceKind;
	build_and_execute(|| {
		let id = open(1, 110);
		let reporter = RuntimeOrigin::signed(client(POOR));
		let (a, b) = (receipt(10, id, 3, b"one"), receipt(10, id, 3, b"two"));
		let sent =
			Relay::report_equivocation(reporter.clone(), account(10), Box::new(a), Box::new(b));
		assert_eq!(sent.unwrap().pays_fee, Pays::No);
		System::assert_last_event(
			Event::EquivocationReported {
				session_id: id,
				sequence: 3,
				operator: account(10),
				reporter: client(POOR),
			}
			.into(),
		);
		let offences = RecordOffences::all();
		assert_eq!(offences.len(), 1);
		assert_eq!(offences[0].0, OffenceKind::Equivocation);
		assert_eq!((&offences[0].2, &offences[0].3), (&account(10), &Some(client(POOR))));
		// Another call of the same session answered twice is the same offence.
		let (c, d) = (receipt(10, id, 4, b"one"), receipt(10, id, 4, b"two"));
		assert_noop!(
			Relay::report_equivocation(reporter, account(10), Box::new(c), Box::new(d)),
			Error::<Test>::OffenceAlreadyReported
		);
	});
}

#[test]
fn receipts_that_prove_no_equivocation_are_refused() {
	build_and_execute(|| {
		let id = open(1, 110);
		let report = |operator: u8, a, b| {
			Relay::report_equivocation(
				RuntimeOrigin::signed(client(POOR)),
				account(operator),
				Box::new(a),
				Box::new(b),
			)
		};
		let one = receipt(10, id, 3, b"one");
		assert_noop!(report(10, one.clone(), one.clone()), Error::<Test>::NotEquivocation);
		assert_noop!(
			report(10, one.clone(), receipt(10, id, 4, b"two")),
			Error::<Test>::NotEquivocation
		);
		assert_noop!(
			report(10, one.clone(), receipt(10, id + 1, 3, b"two")),
			Error::<Test>::NotEquivocation
		);
		// Signed by another operator's key, or named for one that has none.
		assert_noop!(
			report(11, one.clone(), receipt(11, id, 3, b"two")),
			Error::<Test>::BadReceiptSignature
		);
		assert_noop!(
			report(10, one.clone(), receipt(11, id, 3, b"two")),
			Error::<Test>::BadReceiptSignature
		);
		assert_noop!(report(20, one, receipt(10, id, 3, b"two")), Error::<Test>::NoGatewayKey);
		assert!(RecordOffences::all().is_empty());
	});
}
