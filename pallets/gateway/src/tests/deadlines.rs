//! The block hook: requests whose deadline passed are settled with the reports in, finished
//! requests are pruned, and each block does bounded work.

use crate::{mock::*, Agenda, AgendaCursor, AgendaTask, Assignments, Requests};
use baton_primitives::{Escrow as _, OffenceKind, RequestStatus};
use frame_support::assert_ok;

const BODY: &[u8] = br#"{"price":7.25}"#;

#[test]
fn a_silent_operator_misses_the_deadline_and_the_client_is_refunded() {
	build_and_execute(|| {
		setup(1);
		let client = Balances::free_balance(account(CLIENT));
		let id = submit(1);
		let deadline = Requests::<Test>::get(id).unwrap().deadline;
		run_to_block(deadline);
		assert_eq!(Requests::<Test>::get(id).unwrap().status, RequestStatus::Pending);
		run_to_block(deadline + 1);
		assert_eq!(
			Requests::<Test>::get(id).unwrap().status,
			RequestStatus::Refunded { at: deadline + 1 }
		);
		assert_eq!(Balances::free_balance(account(CLIENT)), client);
		assert_eq!(Escrow::held(id), 0);
		assert!(!Assignments::<Test>::contains_key(account(OP), id));
		assert_eq!(offences(), vec![(OffenceKind::MissedDeadline, account(OP))]);
	});
}

#[test]
fn a_majority_in_by_the_deadline_completes_without_the_late_one() {
	build_and_execute(|| {
		setup(3);
		let id = submit(3);
		let assigned = Requests::<Test>::get(id).unwrap().assigned;
		let number = |who| (OP..OP + 3).find(|n| &account(*n) == who).unwrap();
		assert_ok!(report_ok(number(&assigned[0]), id, BODY));
		assert_ok!(report_ok(number(&assigned[1]), id, BODY));
		let deadline = Requests::<Test>::get(id).unwrap().deadline;
		run_to_block(deadline + 1);
		assert!(matches!(
			Requests::<Test>::get(id).unwrap().status,
			RequestStatus::Completed { .. }
		));
		assert_eq!(offences(), vec![(OffenceKind::MissedDeadline, assigned[2].clone())]);
	});
}

#[test]
fn finished_requests_are_pruned_after_the_retention_period() {
	build_and_execute(|| {
		setup(1);
		let id = submit(1);
		assert_ok!(report_ok(OP, id, BODY));
		// Completed in block 1; retention is 5 blocks.
		assert_eq!(Agenda::<Test>::get(6, id), Some(AgendaTask::Prune));
		run_to_block(5);
		assert!(Requests::<Test>::contains_key(id));
		run_to_block(6);
		assert!(!Requests::<Test>::contains_key(id));
		assert_eq!(Agenda::<Test>::iter().count(), 0);
	});
}

#[test]
fn pruning_a_request_drops_its_indexed_bodies_from_offchain_storage() {
	let mut ext = new_test_ext();
	let id = ext.execute_with(|| {
		setup(1);
		let id = submit(1);
		assert_ok!(report_ok(OP, id, BODY));
		id
	});
	ext.persist_offchain_overlay();
	let key = baton_primitives::offchain::keys::response_storage_key(id, &account(OP));
	assert_eq!(ext.offchain_db().get(&key), Some(BODY.to_vec()));
	ext.execute_with(|| {
		run_to_block(6);
		assert!(!Requests::<Test>::contains_key(id));
		try_state();
	});
	ext.persist_offchain_overlay();
	assert_eq!(ext.offchain_db().get(&key), None);
}

#[test]
fn a_block_enforces_at_most_max_expiries_and_leaves_the_rest_for_the_next() {
	build_and_execute(|| {
		// One operator, so no backups: each expiry settles.
		setup(1);
		// Six requests, all with the same deadline; a block enforces three deadlines.
		let ids: Vec<_> = (0..6).map(|_| submit(1)).collect();
		let deadline = Requests::<Test>::get(ids[0]).unwrap().deadline;
		run_to_block(deadline + 1);
		let pending = |ids: &[u64]| {
			ids.iter()
				.filter(|id| Requests::<Test>::get(**id).unwrap().status == RequestStatus::Pending)
				.count()
		};
		assert_eq!(pending(&ids), 3);
		assert_eq!(AgendaCursor::<Test>::get(), deadline + 1);
		run_to_block(deadline + 2);
		assert_eq!(pending(&ids), 0);
		assert_eq!(AgendaCursor::<Test>::get(), deadline + 3);
	});
}

#[test]
fn prunings_go_beyond_the_expiry_budget_up_to_max_tasks() {
	build_and_execute(|| {
		setup(1);
		// Four completed requests to prune in one block: more than the three expiries a block
		// enforces, as many as the tasks it does.
		let ids: Vec<_> = (0..4).map(|_| submit(1)).collect();
		for id in &ids {
			assert_ok!(report_ok(OP, *id, BODY));
		}
		run_to_block(6);
		assert!(ids.iter().all(|id| !Requests::<Test>::contains_key(id)));
		assert_eq!(Agenda::<Test>::iter().count(), 0);
	});
}
