//! Stake as slashing sees it: slashable amounts, the order stake is taken in, jail and activate.

use crate::{mock::*, Error, Event, OperatorStatus, Operators, UnlockChunk};
use baton_primitives::SlashTarget;
use frame_support::{assert_noop, assert_ok, traits::Imbalance};

fn alice() -> RuntimeOrigin {
	RuntimeOrigin::signed(account(ALICE))
}

#[test]
fn unbonding_stake_stays_slashable_and_is_taken_after_bonded_stake() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_ok!(OperatorStaking::unbond(alice(), 300));
		assert_eq!(OperatorStaking::slashable_stake(&account(ALICE)), 1_000);
		let issuance = Balances::total_issuance();

		let credit = OperatorStaking::slash(&account(ALICE), 800);
		assert_eq!(credit.peek(), 800);
		drop(credit);
		// 700 bonded went first, then 100 of the unbonding chunk.
		let operator = Operators::<Test>::get(account(ALICE)).unwrap();
		assert_eq!(operator.bonded, 0);
		assert_eq!(operator.unbonding.to_vec(), vec![UnlockChunk { value: 200, unlock_at: 11 }]);
		// Falling below the minimum bond chills.
		assert_eq!(operator.status, OperatorStatus::Chilled);
		// Dropping the credit burns it: the slash itself creates or destroys nothing else.
		assert_eq!(Balances::total_issuance(), issuance - 800);
	});
}

#[test]
fn a_slash_never_takes_more_than_the_stake() {
	build_and_execute(|| {
		bond_alice(1_000);
		let credit = OperatorStaking::slash(&account(ALICE), 5_000);
		assert_eq!(credit.peek(), 1_000);
		assert_eq!(OperatorStaking::slash(&account(BOB), 10).peek(), 0);
	});
}

#[test]
fn a_jailed_operator_is_not_available_until_jail_ends_and_it_activates() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_ok!(OperatorStaking::jail(&account(ALICE), 20));
		System::assert_last_event(Event::Jailed { operator: account(ALICE), until: 20 }.into());
		assert!(!OperatorStaking::is_available(&account(ALICE)));
		run_to_block(19);
		assert_noop!(OperatorStaking::activate(alice()), Error::<Test>::StillJailed);
		run_to_block(20);
		assert_ok!(OperatorStaking::activate(alice()));
		assert!(OperatorStaking::is_available(&account(ALICE)));
		assert_eq!(Operators::<Test>::get(account(ALICE)).unwrap().jailed_until, None);
	});
}

#[test]
fn a_longer_jail_is_not_shortened_by_a_shorter_one() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_ok!(OperatorStaking::jail(&account(ALICE), 50));
		assert_ok!(OperatorStaking::jail(&account(ALICE), 20));
		assert_eq!(Operators::<Test>::get(account(ALICE)).unwrap().jailed_until, Some(50));
	});
}

#[test]
fn jailing_a_non_operator_fails() {
	build_and_execute(|| {
		assert_noop!(OperatorStaking::jail(&account(BOB), 20), Error::<Test>::NotOperator);
	});
}

#[test]
fn chill_and_activate() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_noop!(OperatorStaking::activate(alice()), Error::<Test>::AlreadyActive);
		assert_ok!(OperatorStaking::chill(alice()));
		System::assert_last_event(Event::Chilled { operator: account(ALICE) }.into());
		assert!(!OperatorStaking::is_available(&account(ALICE)));
		assert_noop!(OperatorStaking::chill(alice()), Error::<Test>::AlreadyChilled);
		assert_ok!(OperatorStaking::activate(alice()));
		System::assert_last_event(Event::Activated { operator: account(ALICE) }.into());
		assert!(OperatorStaking::is_available(&account(ALICE)));
		assert_noop!(
			OperatorStaking::chill(RuntimeOrigin::signed(account(BOB))),
			Error::<Test>::NotOperator
		);
	});
}

#[test]
fn activating_needs_the_minimum_bond() {
	build_and_execute(|| {
		bond_alice(150);
		drop(OperatorStaking::slash(&account(ALICE), 100));
		assert_eq!(Operators::<Test>::get(account(ALICE)).unwrap().status, OperatorStatus::Chilled);
		assert_noop!(OperatorStaking::activate(alice()), Error::<Test>::BondTooLow);
	});
}

#[test]
fn a_lifted_jail_ends_earlier_and_never_later() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_ok!(OperatorStaking::jail(&account(ALICE), 50));
		assert_eq!(OperatorStaking::jailed_until(&account(ALICE)), Some(50));
		// Lifting to a later block changes nothing.
		frame_support::assert_storage_noop!(OperatorStaking::lift_jail(&account(ALICE), 60));
		OperatorStaking::lift_jail(&account(ALICE), 20);
		assert_eq!(OperatorStaking::jailed_until(&account(ALICE)), Some(20));
		System::assert_last_event(
			Event::JailLifted { operator: account(ALICE), until: Some(20) }.into(),
		);
		run_to_block(19);
		assert_noop!(OperatorStaking::activate(alice()), Error::<Test>::StillJailed);
		run_to_block(20);
		assert_ok!(OperatorStaking::activate(alice()));
	});
}

#[test]
fn a_jail_lifted_to_now_ends_at_once_and_the_operator_may_activate() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_ok!(OperatorStaking::jail(&account(ALICE), 50));
		run_to_block(5);
		OperatorStaking::lift_jail(&account(ALICE), 5);
		assert_eq!(OperatorStaking::jailed_until(&account(ALICE)), None);
		System::assert_last_event(
			Event::JailLifted { operator: account(ALICE), until: None }.into(),
		);
		// Still chilled until it asks for work again.
		assert!(!OperatorStaking::is_available(&account(ALICE)));
		assert_ok!(OperatorStaking::activate(alice()));
		assert!(OperatorStaking::is_available(&account(ALICE)));
	});
}

#[test]
fn lifting_no_jail_changes_nothing() {
	build_and_execute(|| {
		bond_alice(1_000);
		frame_support::assert_storage_noop!(OperatorStaking::lift_jail(&account(ALICE), 1));
		frame_support::assert_storage_noop!(OperatorStaking::lift_jail(&account(BOB), 1));
		assert_eq!(OperatorStaking::jailed_until(&account(BOB)), None);
	});
}
