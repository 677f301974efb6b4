//! Challenges: a receipt's call re-executed among other operators, the verdict in the block
//! after that settles, and every refusal with its error and nothing changed.

use super::open;
use crate::{mock::*, ChallengedCalls, Challenges, Error, Event, Sessions, Verdict, Verdicts};
use baton_primitives::{OffenceKind, OnSettled, ResultStatus};
use frame_support::{assert_noop, assert_ok};

const OK: ResultStatus = ResultStatus::Response { code: 200 };

/// `who` challenges `receipt` of session `id`, whose call is `call`.
fn challenge(
	who: u8,
	id: u64,
	receipt: crate::AnsweredReceiptOf<Test>,
	call: TestCall,
) -> frame_support::dispatch::DispatchResult {
	Relay::challenge(RuntimeOrigin::signed(client(who)), id, Box::new(receipt), Box::new(call))
}

fn proven(id: u64, operator: usize) -> bool {
	Sessions::<Test>::get(id).unwrap().operators[operator].proven_wrong
}

/// Whether operator `n`'s receipt of call `sequence` in session `id` is being challenged.
fn pending(id: u64, n: u8, sequence: u64) -> bool {
	ChallengedCalls::<Test>::contains_key((id, account(n), sequence))
}

/// The gateway settles re-execution `request_id` with `majority`, `paid` by its client; the
/// next block's hook gives the verdict.
fn settle(request_id: u64, majority: Option<[u8; 32]>, paid: Balance) {
	Relay::on_settled(request_id, majority, paid);
	run_to_block(System::block_number() + 1);
}

#[test]
fn a_challenge_reruns_the_call_without_the_operator_and_an_upheld_one_slashes_it() {
	build_and_execute(|| {
		let id = open(2, 110);
		let call = test_call(b"GET /price");
		assert_ok!(challenge(CLIENT, id, answered(11, id, 4, &call, OK, b"7"), call.clone()));
		// The stand-in gateway took the call, without operator 11, for the client.
		let key = answer_key(&OK, b"7");
		assert_eq!(reruns(), vec![(client(CLIENT), API, call.clone(), account(11), key)]);
		assert!(pending(id, 11, 4) && !proven(id, 1));
		assert!(!pending(id, 10, 4));
		System::assert_last_event(
			Event::Challenged {
				session_id: id,
				sequence: 4,
				operator: account(11),
				challenger: client(CLIENT),
				request_id: 0,
			}
			.into(),
		);
		// A second challenge of the receipt waits for the first's verdict; one of another of
		// the operator's receipts does not.
		assert_noop!(
			challenge(POOR, id, answered(11, id, 4, &call, OK, b"7"), call.clone()),
			Error::<Test>::ChallengePending
		);
		assert_ok!(challenge(POOR, id, answered(11, id, 5, &call, OK, b"7"), call.clone()));
		assert!(pending(id, 11, 5));

		// The re-execution's majority answered 8: the operator was wrong. Settling notes the
		// outcome; the next block gives the verdict.
		Relay::on_settled(0, Some(answer_key(&OK, b"8")), RERUN_FEE);
		assert!(Verdicts::<Test>::contains_key(0) && RecordOffences::all().is_empty());
		run_to_block(System::block_number() + 1);
		let offences = RecordOffences::all();
		assert_eq!(offences.len(), 1);
		assert_eq!(offences[0].0, OffenceKind::WrongResult);
		assert_eq!((&offences[0].2, &offences[0].3), (&account(11), &Some(client(CLIENT))));
		// The slash pays the challenger its fee back first.
		assert_eq!(RecordOffences::compensations(), vec![(offences[0].1, RERUN_FEE)]);
		assert!(proven(id, 1) && !pending(id, 11, 4));
		assert!(Challenges::<Test>::get(0).is_none() && !Verdicts::<Test>::contains_key(0));
		System::assert_last_event(
			Event::ChallengeSettled {
				session_id: id,
				sequence: 4,
				operator: account(11),
				request_id: 0,
				verdict: Verdict::Upheld,
			}
			.into(),
		);
		// It counts once per operator and session: the other challenge pending then is upheld
		// with no second offence, and a new one is refused.
		settle(1, Some(answer_key(&OK, b"8")), RERUN_FEE);
		assert_eq!(RecordOffences::all().len(), 1);
		System::assert_last_event(
			Event::ChallengeSettled {
				session_id: id,
				sequence: 5,
				operator: account(11),
				request_id: 1,
				verdict: Verdict::Upheld,
			}
			.into(),
		);
		assert_noop!(
			challenge(POOR, id, answered(11, id, 6, &call, OK, b"9"), call.clone()),
			Error::<Test>::AlreadyProven
		);
		// The other operator may still be challenged.
		assert_ok!(challenge(POOR, id, answered(10, id, 6, &call, OK, b"9"), call));
	});
}

#[test]
fn a_receipt_the_majority_confirms_stands_and_no_majority_proves_nothing() {
	build_and_execute(|| {
		let id = open(1, 110);
		let call = test_call(b"GET /price");
		let receipt = || answered(10, id, 1, &call, OK, br#"{"price":7}"#);
		assert_ok!(challenge(CLIENT, id, receipt(), call.clone()));
		settle(0, Some(answer_key(&OK, br#"{"price":7}"#)), RERUN_FEE);
		System::assert_last_event(
			Event::ChallengeSettled {
				session_id: id,
				sequence: 1,
				operator: account(10),
				request_id: 0,
				verdict: Verdict::Rejected,
			}
			.into(),
		);
		assert!(!proven(id, 0) && !pending(id, 10, 1));

		// Challenged again; the re-execution is refunded, with no majority.
		assert_ok!(challenge(CLIENT, id, receipt(), call));
		settle(1, None, 0);
		System::assert_last_event(
			Event::ChallengeSettled {
				session_id: id,
				sequence: 1,
				operator: account(10),
				request_id: 1,
				verdict: Verdict::Inconclusive,
			}
			.into(),
		);
		assert!(RecordOffences::all().is_empty());
		assert!(!proven(id, 0) && !pending(id, 10, 1));
		// A settled request that was no challenge changes nothing.
		Relay::on_settled(7, Some([0; 32]), 1);
		assert!(!Verdicts::<Test>::contains_key(7));
		run_to_block(System::block_number() + 1);
		assert!(RecordOffences::all().is_empty());
	});
}

#[test]
fn a_challenge_outlives_its_session() {
	build_and_execute(|| {
		let id = open(1, 110);
		let call = test_call(b"GET /price");
		assert_ok!(challenge(CLIENT, id, answered(10, id, 1, &call, OK, b"7"), call));
		// Expires after block 11, settles after the 5-block claim window.
		run_to_block(20);
		assert!(Sessions::<Test>::get(id).is_none());
		settle(0, Some(answer_key(&OK, b"8")), RERUN_FEE);
		assert_eq!(RecordOffences::all().len(), 1);
		assert!(Challenges::<Test>::get(0).is_none());
	});
}

#[test]
fn challenges_refuse_evidence_that_proves_nothing_and_change_nothing() {
	build_and_execute(|| {
		let id = open(2, 110);
		let call = test_call(b"GET /price");
		let other = test_call(b"GET /volume");
		assert_noop!(
			challenge(CLIENT, id + 1, answered(10, id + 1, 1, &call, OK, b"7"), call.clone()),
			Error::<Test>::UnknownSession
		);
		assert_noop!(
			challenge(CLIENT, id, answered(10, id + 1, 1, &call, OK, b"7"), call.clone()),
			Error::<Test>::ReceiptOfAnotherSession
		);
		assert_noop!(
			challenge(
				CLIENT,
				id,
				answered(10, id, 1, &call, ResultStatus::Timeout, b""),
				call.clone()
			),
			Error::<Test>::NotAResponse
		);
		let mut tampered = answered(10, id, 1, &call, OK, b"7");
		tampered.body = b"8".to_vec().try_into().unwrap();
		assert_noop!(challenge(CLIENT, id, tampered, call.clone()), Error::<Test>::BodyMismatch);
		assert_noop!(
			challenge(CLIENT, id, answered(10, id, 1, &call, OK, b"7"), other),
			Error::<Test>::RequestMismatch
		);
		// Signed by an operator outside the session, or by no operator's key.
		assert_noop!(
			challenge(CLIENT, id, answered(12, id, 1, &call, OK, b"7"), call.clone()),
			Error::<Test>::NotSessionReceipt
		);
		assert_noop!(
			challenge(CLIENT, id, answered(99, id, 1, &call, OK, b"7"), call.clone()),
			Error::<Test>::NotSessionReceipt
		);
		// What the gateway refuses: a fee below the price, a paused API.
		let mut cheap = call.clone();
		cheap.max_fee = RERUN_FEE - 1;
		assert_noop!(
			challenge(CLIENT, id, answered(10, id, 1, &cheap, OK, b"7"), cheap),
			FEE_ABOVE_MAX
		);
		// A call that does not only read.
		let mut post = call.clone();
		post.safe = false;
		assert_noop!(
			challenge(CLIENT, id, answered(10, id, 1, &post, OK, b"7"), post),
			Error::<Test>::UnsafeMethod
		);
		PAUSED.with(|p| *p.borrow_mut() = true);
		assert_noop!(challenge(CLIENT, id, answered(10, id, 1, &call, OK, b"7"), call), API_PAUSED);
		assert!(reruns().is_empty());
	});
}

#[test]
fn a_receipt_is_challenged_only_within_its_window() {
	build_and_execute(|| {
		let id = open(2, 110);
		let call = test_call(b"GET /price");
		let answered_at = System::block_number();
		let (early, late) =
			(answered(10, id, 1, &call, OK, b"7"), answered(11, id, 2, &call, OK, b"7"));
		run_to_block(answered_at + CHALLENGE_WINDOW);
		assert_ok!(challenge(CLIENT, id, early, call.clone()));
		run_to_block(answered_at + CHALLENGE_WINDOW + 1);
		assert_noop!(challenge(CLIENT, id, late, call), Error::<Test>::ChallengeWindowClosed);
		assert_eq!(reruns().len(), 1);
	});
}
