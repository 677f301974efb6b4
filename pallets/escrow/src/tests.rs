use baton_primitives::Escrow as _;
use frame_support::{assert_noop, assert_ok, assert_storage_noop, traits::fungible::InspectHold};

use crate::{mock::*, Error, Escrows, Event, HoldReason};

fn held_for_escrow(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::Escrow.into(), &who)
}

#[test]
fn hold_puts_the_amount_on_hold_and_records_it() {
	build_and_execute(|| {
		assert_ok!(Escrow::hold(7, &CLIENT, 300));
		assert_eq!(held_for_escrow(CLIENT), 300);
		assert_eq!(Balances::free_balance(CLIENT), 700);
		assert_eq!(Escrow::held(7), 300);
		System::assert_last_event(Event::Held { id: 7, payer: CLIENT, amount: 300 }.into());
	});
}

#[test]
fn hold_refuses_bad_input_and_changes_nothing() {
	build_and_execute(|| {
		assert_ok!(Escrow::hold(7, &CLIENT, 300));
		assert_noop!(Escrow::hold(7, &CLIENT, 1), Error::<Test>::AlreadyOpen);
		assert_noop!(Escrow::hold(8, &CLIENT, 0), Error::<Test>::ZeroAmount);
		// The payer keeps its existential deposit: 15 - 10 = 5 spare.
		assert_noop!(Escrow::hold(8, &POOR, 6), Error::<Test>::InsufficientFunds);
		assert_ok!(Escrow::hold(8, &POOR, 5));
	});
}

#[test]
fn hold_more_adds_to_an_open_escrow_or_opens_one() {
	build_and_execute(|| {
		assert_ok!(Escrow::hold_more(7, &CLIENT, 300));
		assert_ok!(Escrow::hold_more(7, &CLIENT, 200));
		assert_eq!((Escrow::held(7), held_for_escrow(CLIENT)), (500, 500));
		System::assert_last_event(Event::Held { id: 7, payer: CLIENT, amount: 200 }.into());
		// Emptied, it closes; more opens it again.
		assert_ok!(Escrow::pay(7, &OPERATOR, 500));
		assert_ok!(Escrow::hold_more(7, &CLIENT, 100));
		assert_eq!(Escrow::held(7), 100);
	});
}

#[test]
fn hold_more_refuses_bad_input_and_changes_nothing() {
	build_and_execute(|| {
		assert_ok!(Escrow::hold(7, &CLIENT, 300));
		assert_noop!(Escrow::hold_more(7, &POOR, 1), Error::<Test>::NotPayer);
		assert_noop!(Escrow::hold_more(7, &CLIENT, 0), Error::<Test>::ZeroAmount);
		assert_noop!(Escrow::hold_more(7, &CLIENT, 701), Error::<Test>::InsufficientFunds);
	});
}

#[test]
fn pay_moves_held_funds_to_the_payee() {
	build_and_execute(|| {
		assert_ok!(Escrow::hold(7, &CLIENT, 300));
		assert_ok!(Escrow::pay(7, &OPERATOR, 200));
		assert_eq!(Balances::free_balance(OPERATOR), 300);
		assert_eq!(held_for_escrow(CLIENT), 100);
		assert_eq!(Escrow::held(7), 100);
		System::assert_last_event(Event::Paid { id: 7, payee: OPERATOR, amount: 200 }.into());
	});
}

#[test]
fn pay_refuses_overdraws_and_unknown_escrows() {
	build_and_execute(|| {
		assert_ok!(Escrow::hold(7, &CLIENT, 300));
		assert_noop!(Escrow::pay(7, &OPERATOR, 301), Error::<Test>::Overdraw);
		assert_noop!(Escrow::pay(8, &OPERATOR, 1), Error::<Test>::NotOpen);
	});
}

#[test]
fn paying_everything_closes_the_escrow() {
	build_and_execute(|| {
		assert_ok!(Escrow::hold(7, &CLIENT, 300));
		assert_ok!(Escrow::pay(7, &OPERATOR, 250));
		assert_ok!(Escrow::pay(7, &TREASURY, 50));
		assert!(!Escrows::<Test>::contains_key(7));
		assert_eq!(Escrow::refund(7), 0);
		assert_eq!(Balances::free_balance(CLIENT), 700);
		assert_eq!(Balances::free_balance(TREASURY), 150);
	});
}

#[test]
fn refund_returns_the_rest_and_closes() {
	build_and_execute(|| {
		assert_ok!(Escrow::hold(7, &CLIENT, 300));
		assert_ok!(Escrow::pay(7, &OPERATOR, 100));
		assert_eq!(Escrow::refund(7), 200);
		assert_eq!(Balances::free_balance(CLIENT), 900);
		assert_eq!(held_for_escrow(CLIENT), 0);
		System::assert_last_event(Event::Refunded { id: 7, payer: CLIENT, amount: 200 }.into());
		assert_storage_noop!(assert_eq!(Escrow::refund(7), 0));
	});
}

#[test]
fn tokens_are_conserved_across_many_escrows() {
	build_and_execute(|| {
		let issuance = Balances::total_issuance();
		for id in 0..10 {
			assert_ok!(Escrow::hold(id, &CLIENT, 50));
		}
		for id in 0..10 {
			assert_ok!(Escrow::pay(id, &OPERATOR, id as Balance));
			if id % 2 == 0 {
				Escrow::refund(id);
			}
		}
		assert_eq!(
			held_for_escrow(CLIENT),
			(0..10).filter(|id| id % 2 == 1).map(|id| 50 - id).sum()
		);
		assert_eq!(Balances::total_issuance(), issuance);
	});
}
