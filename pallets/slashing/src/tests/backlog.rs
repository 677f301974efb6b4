//! A backlog of due slashes: drained a bounded number per block, charged for, and nothing lost.

use super::subject;
use crate::{
	mock::*, Event, NextToApply, Offences, Offenders, PendingSlashes, SlashStatus, WeightInfo,
};
use baton_primitives::{OffenceKind, PendingSlash, ReportOffence};
use frame_support::traits::{fungible::Inspect, Hooks};

fn slashed_ids() -> Vec<u64> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Slashing(Event::Slashed { offence_id, .. }) => Some(offence_id),
			_ => None,
		})
		.collect()
}

#[test]
fn a_backlog_drains_over_several_blocks_and_loses_nothing() {
	build_and_execute(|| {
		// Seven offences due in one block, where a block applies two: ids 0..5 Alice's, 5..7 Bob's.
		for n in 0..5 {
			Slashing::report_offence(OffenceKind::Offline, subject(n), &ALICE, None).unwrap();
		}
		for n in 0..2 {
			Slashing::report_offence(OffenceKind::Offline, subject(n), &BOB, None).unwrap();
		}
		let due = 1 + DEFERRAL;
		run_to_block(due);
		assert_eq!(slashed_ids(), vec![0, 1]);
		assert_eq!(PendingSlashes::<Test>::get(), 5);
		run_to_block(due + 1);
		assert_eq!(slashed_ids(), vec![0, 1, 2, 3]);
		assert!(Slashing::has_pending_slash(&ALICE));
		run_to_block(due + 2);
		// Alice's last slash landed; Bob still owes one.
		assert!(!Slashing::has_pending_slash(&ALICE));
		assert!(Slashing::has_pending_slash(&BOB));
		run_to_block(due + 3);
		assert_eq!(slashed_ids(), (0..7).collect::<Vec<_>>());
		assert!(!Slashing::has_pending_slash(&BOB));
		assert_eq!(PendingSlashes::<Test>::get(), 0);
		assert_eq!(Offenders::<Test>::iter().count(), 0);
		assert!(Offences::<Test>::iter().all(|(_, r)| r.status == SlashStatus::Applied));
		// Each took 1% of what was left: 10_000, 9_900, 9_801, 9_703, 9_606.
		assert_eq!(Balances::balance(&ALICE), 9_510);
		assert_eq!(Balances::balance(&BOB), 9_801);
	});
}

#[test]
fn the_hook_charges_for_each_slash_it_looks_at() {
	build_and_execute(|| {
		for n in 0..3 {
			Slashing::report_offence(OffenceKind::Offline, subject(n), &ALICE, None).unwrap();
		}
		let due = 1 + DEFERRAL;
		System::set_block_number(due);
		let weight = Slashing::on_initialize(due);
		assert_eq!(
			weight,
			<() as WeightInfo>::on_initialize_idle()
				.saturating_add(<() as WeightInfo>::apply_slash().saturating_mul(2))
		);
		assert_eq!(NextToApply::<Test>::get(), 2);
		System::set_block_number(due + 1);
		assert_eq!(
			Slashing::on_initialize(due + 1),
			<() as WeightInfo>::on_initialize_idle()
				.saturating_add(<() as WeightInfo>::apply_slash())
		);
		// Nothing due: only the idle check is charged.
		System::set_block_number(due + 2);
		assert_eq!(Slashing::on_initialize(due + 2), <() as WeightInfo>::on_initialize_idle());
	});
}

#[test]
fn a_slash_due_behind_one_that_is_not_waits_for_it() {
	build_and_execute(|| {
		Slashing::report_offence(OffenceKind::Offline, subject(1), &ALICE, None).unwrap();
		// A shorter deferral from now on: Bob's slash is due before Alice's.
		let params = crate::SlashingParams { reward_share: Default::default(), slash_deferral: 1 };
		frame_support::assert_ok!(Slashing::set_params(RuntimeOrigin::root(), params));
		run_to_block(2);
		Slashing::report_offence(OffenceKind::Offline, subject(1), &BOB, None).unwrap();
		run_to_block(DEFERRAL);
		// Slashes land in report order: Bob's waits, still pending, and his stake with it.
		assert_eq!(slashed_ids(), Vec::<u64>::new());
		assert!(Slashing::has_pending_slash(&BOB));
		run_to_block(1 + DEFERRAL);
		assert_eq!(slashed_ids(), vec![0, 1]);
		assert!(!Slashing::has_pending_slash(&BOB));
	});
}
