//! Hedged backups: at the end of the backup grace, a backup is armed beside each operator that
//! has not reported; the first reports settle, the backup is paid for the work it did, and an
//! operator is charged only when the deadline passes without its report.

use crate::{mock::*, Assignments, BackupGrace, Error, Event, Hedges, Load, Requests};
use baton_primitives::{HandoverReason, OffenceKind, RequestStatus};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::DispatchError;

const BODY: &[u8] = br#"{"price":7.25}"#;

/// The assigned operators and the backups of `request_id`, by number.
fn lineup(request_id: u64) -> (Vec<u8>, Vec<u8>) {
	let request = Requests::<Test>::get(request_id).unwrap();
	(request.assigned.iter().map(number).collect(), request.backups.iter().map(number).collect())
}

fn armed(request_id: u64) -> Vec<u8> {
	Requests::<Test>::get(request_id)
		.unwrap()
		.armed
		.iter()
		.map(|(backup, _)| number(backup))
		.collect()
}

fn completed(request_id: u64) -> bool {
	matches!(Requests::<Test>::get(request_id).unwrap().status, RequestStatus::Completed { .. })
}

#[test]
fn a_silent_operator_gets_its_backup_armed_at_the_end_of_the_grace_and_the_backup_is_paid() {
	build_and_execute(|| {
		setup(3);
		let submitted = System::block_number();
		let id = submit(1);
		let (assigned, backups) = lineup(id);
		let (first, next) = (assigned[0], backups[0]);

		// Block `submitted + 1` is the operator's alone.
		run_to_block(submitted + 1);
		assert!(armed(id).is_empty());
		run_to_block(submitted + 2);
		assert_eq!(armed(id), vec![next]);
		assert_eq!(handovers(id), vec![(account(first), account(next), HandoverReason::Timeout)]);
		// Both execute; neither is charged anything yet.
		assert!(Assignments::<Test>::contains_key(account(first), id));
		assert!(Assignments::<Test>::contains_key(account(next), id));
		assert!(offences().is_empty());

		let (before_next, before_first) =
			(Balances::free_balance(account(next)), Balances::free_balance(account(first)));
		assert_ok!(report_ok(next, id, BODY));
		assert!(completed(id));
		assert_eq!(Balances::free_balance(account(next)), before_next + PRICE);
		assert_eq!(Balances::free_balance(account(first)), before_first);
		// Settled within its deadline: the silent operator may still have been on its way.
		assert!(offences().is_empty());
		assert!(!Assignments::<Test>::contains_key(account(first), id));
		assert_eq!(Load::<Test>::get(account(first)), 0);

		// Its late report is refused: the request is settled.
		assert_noop!(report_ok(first, id, BODY), Error::<Test>::RequestFinished);
	});
}

#[test]
fn a_report_within_the_grace_arms_no_backup_for_its_operator() {
	build_and_execute(|| {
		setup(4);
		let submitted = System::block_number();
		let id = submit(2);
		let (assigned, backups) = lineup(id);
		run_to_block(submitted + 1);
		assert_ok!(report_ok(assigned[0], id, BODY));
		run_to_block(submitted + 2);

		// Only the silent one has a backup beside it.
		assert_eq!(armed(id), vec![backups[0]]);
		assert_eq!(
			handovers(id),
			vec![(account(assigned[1]), account(backups[0]), HandoverReason::Timeout)]
		);
		assert_ok!(report_ok(backups[0], id, BODY));
		assert!(completed(id));
		let paid: Vec<u8> = Requests::<Test>::get(id)
			.unwrap()
			.reports
			.iter()
			.map(|r| number(&r.operator))
			.collect();
		assert_eq!(paid, vec![assigned[0], backups[0]]);
		assert!(offences().is_empty());
	});
}

#[test]
fn the_operator_answering_before_its_backup_settles_and_the_backup_is_refused() {
	build_and_execute(|| {
		setup(3);
		let submitted = System::block_number();
		let id = submit(1);
		let (assigned, backups) = lineup(id);
		run_to_block(submitted + 3);
		assert_eq!(armed(id), vec![backups[0]]);

		let before = Balances::free_balance(account(backups[0]));
		assert_ok!(report_ok(assigned[0], id, BODY));
		assert!(completed(id));
		// The hedge was not needed: freed, unpaid, not charged.
		assert!(!Assignments::<Test>::contains_key(account(backups[0]), id));
		assert_eq!(Load::<Test>::get(account(backups[0])), 0);
		assert_noop!(report_ok(backups[0], id, BODY), Error::<Test>::RequestFinished);
		assert_eq!(Balances::free_balance(account(backups[0])), before);
		assert!(offences().is_empty());
	});
}

#[test]
fn at_the_deadline_the_backup_armed_beside_a_silent_operator_takes_its_slot_and_more_time() {
	build_and_execute(|| {
		setup(4);
		let id = submit(1);
		let (assigned, backups) = lineup(id);
		let deadline = Requests::<Test>::get(id).unwrap().deadline;
		run_to_block(deadline + 1);

		// Neither reported: the armed backup takes the slot (the arm's record is the slot's
		// handover), with a successor's time, and the operator commits the missed deadline
		// with it as beneficiary. The next backup is still in line.
		let request = Requests::<Test>::get(id).unwrap();
		assert_eq!(request.assigned.iter().map(number).collect::<Vec<_>>(), vec![backups[0]]);
		assert!(request.armed.is_empty());
		assert_eq!(request.deadline, deadline + 1 + 4);
		assert_eq!(request.backups.iter().map(number).collect::<Vec<_>>(), backups[1..].to_vec());
		assert_eq!(
			handovers(id),
			vec![(account(assigned[0]), account(backups[0]), HandoverReason::Timeout)]
		);
		assert_eq!(
			offences_with_beneficiaries(),
			vec![(OffenceKind::MissedDeadline, account(assigned[0]), Some(account(backups[0])))]
		);
		assert!(!Assignments::<Test>::contains_key(account(assigned[0]), id));

		assert_ok!(report_ok(backups[0], id, BODY));
		assert!(completed(id));
	});
}

#[test]
fn at_the_deadline_a_backup_that_reported_fills_the_slot_and_an_operator_no_one_took_over_from_is_charged(
) {
	build_and_execute(|| {
		// Two operators, one backup: it is armed beside the first silent one only.
		setup(3);
		let id = submit(2);
		let (assigned, backups) = lineup(id);
		let deadline = Requests::<Test>::get(id).unwrap().deadline;
		run_to_block(deadline);
		assert_eq!(armed(id), vec![backups[0]]);
		assert_ok!(report_ok(backups[0], id, BODY));
		run_to_block(deadline + 1);

		// The backup's report fills the first slot; the second operator's slot has no one to
		// pass to, so the request settles with the one report: no majority, a full refund.
		let request = Requests::<Test>::get(id).unwrap();
		assert!(matches!(request.status, RequestStatus::Refunded { .. }));
		assert_eq!(
			request.assigned.iter().map(number).collect::<Vec<_>>(),
			vec![backups[0], assigned[1]]
		);
		assert_eq!(
			offences_with_beneficiaries(),
			vec![
				(OffenceKind::MissedDeadline, account(assigned[0]), Some(account(backups[0]))),
				(OffenceKind::MissedDeadline, account(assigned[1]), None),
			]
		);
	});
}

#[test]
fn an_operator_no_one_took_over_from_is_charged_at_the_deadline_while_another_slot_gets_more_time()
{
	build_and_execute(|| {
		setup(3);
		let id = submit(2);
		let (assigned, backups) = lineup(id);
		let deadline = Requests::<Test>::get(id).unwrap().deadline;
		run_to_block(deadline + 1);

		// The armed backup takes the first slot with more time; the second operator, whom no
		// one can take over from, is charged now rather than spared by a settlement within the
		// later deadline.
		let request = Requests::<Test>::get(id).unwrap();
		assert_eq!(request.status, RequestStatus::Pending);
		assert_eq!(request.deadline, deadline + 1 + 4);
		assert_eq!(
			offences_with_beneficiaries(),
			vec![
				(OffenceKind::MissedDeadline, account(assigned[0]), Some(account(backups[0]))),
				(OffenceKind::MissedDeadline, account(assigned[1]), None),
			]
		);
		// It may still report, and is paid for the work if the majority agrees.
		assert_ok!(report_ok(backups[0], id, BODY));
		assert_ok!(report_ok(assigned[1], id, BODY));
		assert!(completed(id));
	});
}

#[test]
fn an_armed_backup_has_no_slot_to_hand_over() {
	build_and_execute(|| {
		setup(3);
		let submitted = System::block_number();
		let id = submit(1);
		run_to_block(submitted + 2);
		let backup = Requests::<Test>::get(id).unwrap().armed[0].0.clone();
		assert_noop!(
			Gateway::do_reassign(id, &backup, HandoverReason::Voluntary, None),
			Error::<Test>::NotAssigned
		);
		// Nor is its work offered to the handover worker.
		use baton_primitives::Reassign;
		assert!(Gateway::open_assignments(&backup, 8).is_empty());
	});
}

#[test]
fn governance_sets_the_grace_for_later_requests() {
	build_and_execute(|| {
		setup(3);
		assert_noop!(
			Gateway::set_backup_grace(RuntimeOrigin::signed(account(CLIENT)), 0),
			DispatchError::BadOrigin
		);
		assert_eq!(BackupGrace::<Test>::get(), 1);

		// The first block a report can land in is the operators' at least.
		assert_noop!(
			Gateway::set_backup_grace(RuntimeOrigin::root(), 0),
			Error::<Test>::ZeroBackupGrace
		);
		// A grace of 2 arms the backup at the end of the second block after submission.
		assert_ok!(Gateway::set_backup_grace(RuntimeOrigin::root(), 2));
		System::assert_last_event(Event::BackupGraceSet { grace: 2 }.into());
		let submitted = System::block_number();
		let id = submit(1);
		run_to_block(submitted + 2);
		assert!(armed(id).is_empty());
		run_to_block(submitted + 3);
		assert_eq!(armed(id).len(), 1);

		// A grace that reaches the deadline arms none.
		assert_ok!(Gateway::set_backup_grace(RuntimeOrigin::root(), 5));
		let id = submit(1);
		assert!(Hedges::<Test>::iter().all(|(_, due)| !due.requests.contains(&id)));
	});
}

#[test]
fn a_block_arms_at_most_its_bound_of_hedges_and_is_charged_for_them() {
	build_and_execute(|| {
		setup(3);
		let submitted = System::block_number();
		// The mock arms the hedges of four requests a block; the fifth waits for its deadline.
		let ids: Vec<_> = (0..5).map(|_| submit(1)).collect();
		let due = Hedges::<Test>::get(submitted + 1);
		assert_eq!(due.requests.to_vec(), ids[..4].to_vec());
		assert_eq!(due.backups, 4);

		run_to_block(submitted + 2);
		assert!(ids[..4].iter().all(|id| armed(*id).len() == 1));
		assert!(armed(ids[4]).is_empty());
		assert!(!Hedges::<Test>::contains_key(submitted + 1));
	});
}
