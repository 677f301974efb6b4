//! Cancelling a slash lifts the jail its offence caused, unless something else keeps the
//! operator jailed.

use super::subject;
use crate::{mock::*, Error, Offenders, SlashingParams};
use baton_primitives::{OffenceKind, PendingSlash, ReportOffence};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::Perbill;

fn jail_of(who: AccountId) -> Option<u64> {
	JAILS.with(|j| j.borrow().get(&who).copied())
}

fn wrong_result(n: u8) {
	Slashing::report_offence(OffenceKind::WrongResult, subject(n), &ALICE, None).unwrap();
}

fn cancel(offence_id: u64) {
	assert_ok!(Slashing::cancel_deferred_slash(RuntimeOrigin::root(), offence_id));
}

/// The jails slashing asked the staking pallet to lift, in order.
fn lifted() -> Vec<(AccountId, u64)> {
	LIFTS.with(|l| l.borrow().clone())
}

#[test]
fn cancelling_the_only_offence_lifts_its_jail() {
	build_and_execute(|| {
		wrong_result(1);
		assert_eq!(jail_of(ALICE), Some(51));
		run_to_block(5);
		cancel(0);
		assert_eq!(jail_of(ALICE), Some(5), "the jail ends now");
		assert_eq!(lifted(), vec![(ALICE, 5)]);
		assert!(!Slashing::has_pending_slash(&ALICE));
		assert!(Offenders::<Test>::get(ALICE).is_none());
	});
}

#[test]
fn another_pending_offence_keeps_its_own_jail() {
	build_and_execute(|| {
		wrong_result(1);
		run_to_block(5);
		wrong_result(2);
		assert_eq!(jail_of(ALICE), Some(55));
		// The earlier offence's jail is covered by the later one: nothing changes.
		cancel(0);
		assert_eq!(jail_of(ALICE), Some(55));
		assert!(lifted().is_empty());
		cancel(1);
		assert_eq!(jail_of(ALICE), Some(5));
		assert_eq!(lifted(), vec![(ALICE, 5)]);
	});
}

#[test]
fn cancelling_the_longest_jail_shortens_it_to_the_next() {
	build_and_execute(|| {
		wrong_result(1);
		run_to_block(5);
		wrong_result(2);
		cancel(1);
		assert_eq!(jail_of(ALICE), Some(51));
		assert_eq!(lifted(), vec![(ALICE, 51)]);
		assert!(Slashing::has_pending_slash(&ALICE));
	});
}

#[test]
fn the_jail_of_an_applied_slash_stays() {
	build_and_execute(|| {
		wrong_result(1);
		run_to_block(5);
		wrong_result(2);
		run_to_block(1 + DEFERRAL);
		// Offence 0 was slashed; its jail (to 51) is no longer the council's to lift.
		cancel(1);
		assert_eq!(jail_of(ALICE), Some(51));
		assert_eq!(lifted(), vec![(ALICE, 51)]);
	});
}

#[test]
fn governance_jails_stay_whatever_is_cancelled() {
	build_and_execute(|| {
		// Before the offence: longer than its jail.
		assert_ok!(Slashing::jail(RuntimeOrigin::root(), ALICE, 100));
		wrong_result(1);
		cancel(0);
		assert_eq!(jail_of(ALICE), Some(101));
		assert!(lifted().is_empty());

		// After the offence: shorter than its jail, so the cancel shortens the jail to it.
		assert_ok!(Slashing::jail(RuntimeOrigin::root(), BOB, 20));
		Slashing::report_offence(OffenceKind::WrongResult, subject(1), &BOB, None).unwrap();
		assert_ok!(Slashing::jail(RuntimeOrigin::root(), BOB, 30));
		cancel(1);
		assert_eq!(jail_of(BOB), Some(31));
		assert_eq!(lifted(), vec![(BOB, 31)]);
	});
}

#[test]
fn jails_beyond_the_liftable_ones_stay() {
	build_and_execute(|| {
		// Two pending offences' jails are tracked one by one; the third joins those that stay.
		for n in 1..=3 {
			wrong_result(n);
			run_to_block(1 + n as u64);
		}
		assert_eq!(jail_of(ALICE), Some(53));
		assert_eq!(Offenders::<Test>::get(ALICE).unwrap().offence_jails.len(), 2);
		cancel(2);
		cancel(1);
		cancel(0);
		assert_eq!(jail_of(ALICE), Some(53));
		assert!(lifted().is_empty());
	});
}

#[test]
fn a_jail_that_has_ended_is_not_touched() {
	build_and_execute(|| {
		let params = SlashingParams { reward_share: Perbill::zero(), slash_deferral: 100 };
		assert_ok!(Slashing::set_params(RuntimeOrigin::root(), params));
		wrong_result(1);
		run_to_block(60);
		cancel(0);
		assert_eq!(jail_of(ALICE), Some(51));
		assert!(lifted().is_empty());
	});
}

#[test]
fn a_refused_cancel_lifts_no_jail_and_changes_nothing() {
	build_and_execute(|| {
		wrong_result(1);
		run_to_block(1 + DEFERRAL);
		let jails = JAILS.with(|j| j.borrow().clone());
		let stakes = STAKES.with(|s| s.borrow().clone());
		assert_noop!(
			Slashing::cancel_deferred_slash(RuntimeOrigin::root(), 0),
			Error::<Test>::NotPending
		);
		assert_noop!(
			Slashing::cancel_deferred_slash(RuntimeOrigin::signed(BOB), 0),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_eq!(JAILS.with(|j| j.borrow().clone()), jails);
		assert_eq!(STAKES.with(|s| s.borrow().clone()), stakes);
	});
}
