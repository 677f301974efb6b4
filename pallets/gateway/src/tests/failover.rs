//! Failover: a missed deadline passes the request to the next backup, an operator hands one
//! over on purpose with a checkpoint, and every handover is logged, paid and accounted for.

use crate::{mock::*, Agenda, AgendaTask, Assignments, Error, Requests};
use baton_primitives::{Checkpoint, HandoverReason, OffenceKind, ReputationSource, RequestStatus};
use frame_support::{assert_noop, assert_ok};
use sp_core::Pair;

const BODY: &[u8] = br#"{"price":7.25}"#;

fn assigned(request_id: u64) -> u8 {
	number(&Requests::<Test>::get(request_id).unwrap().assigned[0])
}

fn backups(request_id: u64) -> Vec<u8> {
	Requests::<Test>::get(request_id).unwrap().backups.iter().map(number).collect()
}

fn hand_over(
	n: u8,
	request_id: u64,
	checkpoint: Checkpoint,
) -> frame_support::dispatch::DispatchResultWithPostInfo {
	Handover::hand_over(RuntimeOrigin::signed(key_account(n)), request_id, checkpoint)
}

#[test]
fn a_missed_deadline_passes_the_request_to_the_next_backup_who_finishes_and_is_paid() {
	build_and_execute(|| {
		setup(3);
		without_hedging();
		let id = submit(1);
		let (first, next) = (assigned(id), backups(id)[0]);
		let deadline = Requests::<Test>::get(id).unwrap().deadline;
		run_to_block(deadline + 1);

		let request = Requests::<Test>::get(id).unwrap();
		assert_eq!(request.status, RequestStatus::Pending);
		assert_eq!(request.assigned.to_vec(), vec![account(next)]);
		// 2 s timeout at 1 s blocks, plus a 2-block margin.
		assert_eq!(request.deadline, deadline + 1 + 4);
		assert_eq!(Agenda::<Test>::get(request.deadline + 1, id), Some(AgendaTask::Settle));
		assert!(!Assignments::<Test>::contains_key(account(first), id));
		assert!(Assignments::<Test>::contains_key(account(next), id));
		assert_eq!(handovers(id), vec![(account(first), account(next), HandoverReason::Timeout)]);
		// The successor gets the slash's beneficiary share: the takeover bonus.
		assert_eq!(
			offences_with_beneficiaries(),
			vec![(OffenceKind::MissedDeadline, account(first), Some(account(next)))]
		);
		System::assert_has_event(
			pallet_handover::Event::HandedOver {
				request_id: id,
				from: account(first),
				to: account(next),
				reason: HandoverReason::Timeout,
				seq: 0,
			}
			.into(),
		);

		let before = Balances::free_balance(account(next));
		assert_ok!(report_ok(next, id, BODY));
		assert!(matches!(
			Requests::<Test>::get(id).unwrap().status,
			RequestStatus::Completed { .. }
		));
		assert_eq!(Balances::free_balance(account(next)), before + PRICE);
		assert!(Reputation::reputation(&account(next)).alpha_micros > 1_000_000);
		let (from_record, to_record) = (
			pallet_reputation::Reputations::<Test>::get(account(first)).unwrap(),
			pallet_reputation::Reputations::<Test>::get(account(next)).unwrap(),
		);
		assert_eq!((from_record.handed_over, from_record.failed), (1, 1));
		assert_eq!((to_record.taken_over, to_record.completed), (1, 1));
		// The history is part of what clients read.
		assert_eq!(Gateway::request_view(id).unwrap().handovers.len(), 1);
	});
}

#[test]
fn an_operator_marked_offline_is_handed_over_as_offline() {
	build_and_execute(|| {
		setup(2);
		let id = submit(1);
		let first = assigned(id);
		OperatorStaking::set_offline(&account(first));
		run_to_block(Requests::<Test>::get(id).unwrap().deadline + 1);
		assert_eq!(handovers(id)[0].2, HandoverReason::Offline);
	});
}

#[test]
fn when_the_backups_run_out_the_client_is_refunded_in_full() {
	build_and_execute(|| {
		setup(2);
		without_hedging();
		let client = Balances::free_balance(account(CLIENT));
		let issuance = Balances::total_issuance();
		let id = submit(1);
		let (first, second) = (assigned(id), backups(id)[0]);
		run_to_block(Requests::<Test>::get(id).unwrap().deadline + 1);
		assert_eq!(handovers(id).len(), 1);
		// The successor is silent too, and nobody is left.
		let deadline = Requests::<Test>::get(id).unwrap().deadline;
		run_to_block(deadline + 1);
		assert_eq!(
			Requests::<Test>::get(id).unwrap().status,
			RequestStatus::Refunded { at: deadline + 1 }
		);
		assert_eq!(Balances::free_balance(account(CLIENT)), client);
		assert_eq!(Balances::total_issuance(), issuance);
		assert_eq!(
			offences(),
			vec![
				(OffenceKind::MissedDeadline, account(first)),
				(OffenceKind::MissedDeadline, account(second))
			]
		);
	});
}

/// Submits a one-operator request at block 1 with the latest deadline (11); its lifetime ends
/// at 1 + 16 = 17. Returns its id.
fn submit_with_the_latest_deadline() -> u64 {
	let id = crate::NextRequestId::<Test>::get();
	assert_ok!(Gateway::submit_request(
		RuntimeOrigin::signed(account(CLIENT)),
		0,
		crate::HttpMethod::Get,
		b"/p".to_vec().try_into().unwrap(),
		Default::default(),
		Default::default(),
		1,
		10_000,
		11,
	));
	id
}

#[test]
fn handovers_stop_at_the_end_of_a_requests_lifetime() {
	build_and_execute(|| {
		setup(4);
		without_hedging();
		let id = submit_with_the_latest_deadline();
		run_to_block(12);
		assert_eq!(Requests::<Test>::get(id).unwrap().deadline, 16);
		run_to_block(17);
		// 17 + 4 is past the lifetime: capped at 17, which is no extension at all.
		assert_eq!(handovers(id).len(), 1);
		assert!(matches!(
			Requests::<Test>::get(id).unwrap().status,
			RequestStatus::Refunded { .. }
		));
	});
}

#[test]
fn no_successor_is_handed_a_request_whose_lifetime_leaves_it_less_than_its_timeout() {
	build_and_execute(|| {
		setup(4);
		// As above: handed over at 12 with the deadline moved to 16; the lifetime ends at 17.
		let id = submit_with_the_latest_deadline();
		run_to_block(15);
		let holder = assigned(id);
		// A successor at 15 would have until 17: less than the 2-block timeout and a block to
		// report in, and it would be charged for missing it.
		assert_noop!(
			hand_over(holder, id, checkpoint_of(holder, id, 0)),
			Error::<Test>::LifetimeExhausted
		);
	});
}

#[test]
fn a_voluntary_handover_with_a_valid_checkpoint_costs_no_stake() {
	build_and_execute(|| {
		setup(2);
		let id = submit(1);
		let (first, next) = (assigned(id), backups(id)[0]);
		let cp = checkpoint_of(first, id, 1);
		assert_ok!(hand_over(first, id, cp));
		assert_eq!(handovers(id), vec![(account(first), account(next), HandoverReason::Voluntary)]);
		assert_eq!(pallet_handover::History::<Test>::get(id)[0].checkpoint, Some(cp));
		assert!(offences().is_empty());
		assert_ok!(report_ok(next, id, BODY));
		assert!(matches!(
			Requests::<Test>::get(id).unwrap().status,
			RequestStatus::Completed { .. }
		));
	});
}

#[test]
fn an_invalid_checkpoint_still_hands_over_but_as_fraud() {
	build_and_execute(|| {
		setup(2);
		let id = submit(1);
		let (first, next) = (assigned(id), backups(id)[0]);
		let mut forged = checkpoint_of(first, id, 1);
		forged.state_hash = [1; 32];
		assert_ok!(hand_over(first, id, forged));
		assert_eq!(handovers(id)[0].2, HandoverReason::Fraud);
		assert_eq!(
			offences_with_beneficiaries(),
			vec![(OffenceKind::InvalidCheckpoint, account(first), Some(account(next)))]
		);
	});
}

#[test]
fn a_checkpoint_made_for_another_request_with_the_same_id_is_fraud() {
	build_and_execute(|| {
		setup(2);
		let id = submit(1);
		let first = assigned(id);
		// Signed properly, but over another request's content (the same id on another fork).
		let mut other = checkpoint_of(first, id, 1);
		other.request_hash = [7; 32];
		let genesis = baton_primitives::genesis_hash::<Test>();
		let message = baton_primitives::checkpoint_message(&genesis, id, &other, &account(first));
		other.signature = pair(first).sign(&message).0;
		assert_ok!(hand_over(first, id, other));
		assert_eq!(handovers(id)[0].2, HandoverReason::Fraud);
	});
}

#[test]
fn bad_handovers_are_refused_and_change_nothing() {
	build_and_execute(|| {
		setup(2);
		let id = submit(1);
		let (first, next) = (assigned(id), backups(id)[0]);
		assert_noop!(hand_over(next, id, checkpoint_of(next, id, 0)), Error::<Test>::NotAssigned);
		assert_noop!(
			hand_over(first, 99, checkpoint_of(first, 99, 0)),
			Error::<Test>::UnknownRequest
		);
		assert_noop!(
			Handover::hand_over(
				RuntimeOrigin::signed(account(first)),
				id,
				checkpoint_of(first, id, 0)
			),
			pallet_handover::Error::<Test>::NotGatewayKey
		);
		// After the deadline, only the chain hands requests over.
		let deadline = Requests::<Test>::get(id).unwrap().deadline;
		System::set_block_number(deadline + 1);
		assert_noop!(
			hand_over(first, id, checkpoint_of(first, id, 0)),
			Error::<Test>::DeadlinePassed
		);
		System::set_block_number(deadline);
		// Once, not twice; and the successor has nobody left to give it to.
		assert_ok!(hand_over(first, id, checkpoint_of(first, id, 0)));
		assert_noop!(hand_over(first, id, checkpoint_of(first, id, 0)), Error::<Test>::NotAssigned);
		assert_noop!(hand_over(next, id, checkpoint_of(next, id, 0)), Error::<Test>::NoBackupLeft);
		// A reported request is no longer the operator's to give.
		assert_ok!(report_ok(next, id, BODY));
		assert_noop!(
			hand_over(next, id, checkpoint_of(next, id, 0)),
			Error::<Test>::RequestFinished
		);
	});
}

#[test]
fn a_request_changes_hands_at_most_max_handovers_times() {
	build_and_execute(|| {
		setup(4);
		let id = submit(1);
		for _ in 0..2 {
			let holder = assigned(id);
			assert_ok!(hand_over(holder, id, checkpoint_of(holder, id, 0)));
		}
		let holder = assigned(id);
		assert!(!backups(id).is_empty());
		assert_noop!(
			hand_over(holder, id, checkpoint_of(holder, id, 0)),
			Error::<Test>::TooManyHandovers
		);
	});
}

#[test]
fn pruning_a_request_forgets_its_handovers() {
	build_and_execute(|| {
		setup(2);
		let id = submit(1);
		let first = assigned(id);
		assert_ok!(hand_over(first, id, checkpoint_of(first, id, 0)));
		assert_ok!(report_ok(assigned(id), id, BODY));
		run_to_block(1 + 5);
		assert!(!Requests::<Test>::contains_key(id));
		assert!(handovers(id).is_empty());
	});
}
