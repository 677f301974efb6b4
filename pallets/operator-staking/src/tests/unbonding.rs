//! Unbonding and withdrawing.

use crate::{mock::*, Error, Event, KeyOwners, OperatorStatus, Operators, UnlockChunk};
use frame_support::{assert_noop, assert_ok};

fn alice() -> RuntimeOrigin {
	RuntimeOrigin::signed(account(ALICE))
}

#[test]
fn unbonded_stake_unlocks_after_the_period() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_ok!(OperatorStaking::unbond(alice(), 400));
		System::assert_last_event(
			Event::Unbonded { operator: account(ALICE), amount: 400, unlock_at: 11 }.into(),
		);
		let operator = Operators::<Test>::get(account(ALICE)).unwrap();
		assert_eq!(operator.bonded, 600);
		assert_eq!(operator.unbonding.to_vec(), vec![UnlockChunk { value: 400, unlock_at: 11 }]);

		run_to_block(10);
		assert_noop!(OperatorStaking::withdraw_unbonded(alice()), Error::<Test>::NothingToWithdraw);
		run_to_block(11);
		assert_ok!(OperatorStaking::withdraw_unbonded(alice()));
		assert_eq!(Balances::free_balance(account(ALICE)), FUNDS - 600);
		System::assert_last_event(
			Event::Withdrawn { operator: account(ALICE), amount: 400 }.into(),
		);
	});
}

#[test]
fn unbonding_more_than_bonded_is_refused() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_noop!(OperatorStaking::unbond(alice(), 1_001), Error::<Test>::UnbondTooMuch);
		assert_noop!(OperatorStaking::unbond(alice(), 0), Error::<Test>::ZeroAmount);
		assert_noop!(
			OperatorStaking::unbond(RuntimeOrigin::signed(account(BOB)), 1),
			Error::<Test>::NotOperator
		);
	});
}

#[test]
fn what_stays_bonded_is_zero_or_at_least_the_minimum() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_noop!(OperatorStaking::unbond(alice(), 950), Error::<Test>::BelowMinimumBond);
		assert_ok!(OperatorStaking::unbond(alice(), 900));
	});
}

#[test]
fn unbonding_chunks_are_bounded_and_merge_within_a_block() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_ok!(OperatorStaking::unbond(alice(), 100));
		assert_ok!(OperatorStaking::unbond(alice(), 100));
		assert_eq!(Operators::<Test>::get(account(ALICE)).unwrap().unbonding.len(), 1);
		run_to_block(2);
		assert_ok!(OperatorStaking::unbond(alice(), 100));
		run_to_block(3);
		assert_noop!(OperatorStaking::unbond(alice(), 100), Error::<Test>::TooManyUnlockingChunks);
	});
}

#[test]
fn unbonding_everything_chills_and_withdrawing_it_removes_the_operator() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_ok!(OperatorStaking::unbond(alice(), 1_000));
		assert_eq!(Operators::<Test>::get(account(ALICE)).unwrap().status, OperatorStatus::Chilled);
		assert!(!OperatorStaking::is_available(&account(ALICE)));
		run_to_block(11);
		assert_ok!(OperatorStaking::withdraw_unbonded(alice()));
		assert!(Operators::<Test>::get(account(ALICE)).is_none());
		assert!(KeyOwners::<Test>::get(OperatorStaking::key_account(&key(ALICE))).is_none());
		assert_eq!(Balances::free_balance(account(ALICE)), FUNDS);
		System::assert_last_event(Event::OperatorRemoved { operator: account(ALICE) }.into());
		// The key is free for someone else now.
		assert_ok!(OperatorStaking::bond(
			RuntimeOrigin::signed(account(BOB)),
			100,
			key(ALICE),
			profile(),
			proof(BOB, ALICE)
		));
	});
}

fn held(who: u8) -> Balance {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&crate::HoldReason::OperatorBond.into(), &account(who))
}

#[test]
fn a_pending_slash_holds_back_every_withdrawal() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_ok!(OperatorStaking::unbond(alice(), 400));
		RecordOffences::set_pending(&account(ALICE), true);
		run_to_block(11);
		assert_noop!(OperatorStaking::withdraw_unbonded(alice()), Error::<Test>::SlashPending);
		assert_eq!(held(ALICE), 1_000);
		assert_eq!(Balances::free_balance(account(ALICE)), FUNDS - 1_000);

		RecordOffences::set_pending(&account(ALICE), false);
		assert_ok!(OperatorStaking::withdraw_unbonded(alice()));
		assert_eq!(held(ALICE), 600);
	});
}

#[test]
fn with_nothing_unlocked_a_pending_slash_is_not_the_reason() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_ok!(OperatorStaking::unbond(alice(), 400));
		RecordOffences::set_pending(&account(ALICE), true);
		assert_noop!(OperatorStaking::withdraw_unbonded(alice()), Error::<Test>::NothingToWithdraw);
	});
}

#[test]
fn an_operator_that_unbonds_right_after_its_offence_pays_before_it_leaves() {
	build_and_execute(|| {
		bond_alice(1_000);
		// The offence is reported; its slash waits in a long queue.
		RecordOffences::set_pending(&account(ALICE), true);
		assert_ok!(OperatorStaking::unbond(alice(), 1_000));
		run_to_block(30);
		assert_noop!(OperatorStaking::withdraw_unbonded(alice()), Error::<Test>::SlashPending);
		assert_eq!(held(ALICE), 1_000);

		// The slash lands at last, from the unbonding chunk.
		use baton_primitives::SlashTarget;
		drop(OperatorStaking::slash(&account(ALICE), 100));
		RecordOffences::set_pending(&account(ALICE), false);
		assert_ok!(OperatorStaking::withdraw_unbonded(alice()));
		System::assert_has_event(Event::Withdrawn { operator: account(ALICE), amount: 900 }.into());
		assert!(Operators::<Test>::get(account(ALICE)).is_none());
		assert_eq!(Balances::free_balance(account(ALICE)), FUNDS - 100);
	});
}
