//! Deferred slashes: when they land, how they are split, bounded work and pruning.

use super::subject;
use crate::{
	mock::*, Event, NextToApply, NextToPrune, OffenceIndex, Offences, PendingSlashes, SlashStatus,
};
use baton_primitives::{CompensatedOffence, OffenceKind, ReportOffence};
use frame_support::traits::fungible::Inspect;

fn free(who: AccountId) -> Balance {
	Balances::balance(&who)
}

#[test]
fn the_slash_lands_after_the_deferral_and_is_split() {
	build_and_execute(|| {
		let issuance = Balances::total_issuance();
		Slashing::report_offence(OffenceKind::WrongResult, subject(1), &ALICE, Some(BOB)).unwrap();
		run_to_block(DEFERRAL);
		assert_eq!(free(ALICE), STAKE, "not before the deferral");
		run_to_block(1 + DEFERRAL);
		// 10% of 10_000; the beneficiary gets 20% of that, the treasury the rest.
		assert_eq!(free(ALICE), STAKE - 1_000);
		assert_eq!(free(BOB), STAKE + 200);
		assert_eq!(free(TREASURY), ED + 800);
		assert_eq!(Balances::total_issuance(), issuance, "nothing minted or burnt");
		assert_eq!(Offences::<Test>::get(0).unwrap().status, SlashStatus::Applied);
		assert_eq!(PendingSlashes::<Test>::get(), 0);
		System::assert_has_event(
			Event::Slashed {
				offence_id: 0,
				offender: ALICE,
				amount: 1_000,
				beneficiary: Some(BOB),
				to_beneficiary: 200,
				to_treasury: 800,
			}
			.into(),
		);
	});
}

#[test]
fn a_compensation_is_paid_from_the_slash_before_the_reward_share() {
	build_and_execute(|| {
		let issuance = Balances::total_issuance();
		// A challenge's fee of 300: paid back first, then 20% of the other 700.
		Slashing::report_compensated_offence(
			OffenceKind::WrongResult,
			subject(1),
			&ALICE,
			BOB,
			300,
		)
		.unwrap();
		run_to_block(1 + DEFERRAL);
		assert_eq!(free(ALICE), STAKE - 1_000);
		assert_eq!(free(BOB), STAKE + 300 + 140);
		assert_eq!(free(TREASURY), ED + 560);
		assert_eq!(Balances::total_issuance(), issuance, "nothing minted or burnt");

		// A compensation beyond the slash takes the whole slash and no more.
		Slashing::report_compensated_offence(
			OffenceKind::WrongResult,
			subject(2),
			&ALICE,
			BOB,
			5_000,
		)
		.unwrap();
		run_to_block(1 + 2 * DEFERRAL);
		assert_eq!(free(ALICE), STAKE - 1_000 - 900);
		assert_eq!(free(BOB), STAKE + 440 + 900);
		assert_eq!(free(TREASURY), ED + 560);
		System::assert_has_event(
			Event::Slashed {
				offence_id: 1,
				offender: ALICE,
				amount: 900,
				beneficiary: Some(BOB),
				to_beneficiary: 900,
				to_treasury: 0,
			}
			.into(),
		);
	});
}

#[test]
fn without_a_beneficiary_the_treasury_gets_everything() {
	build_and_execute(|| {
		Slashing::report_offence(OffenceKind::WrongResult, subject(1), &ALICE, None).unwrap();
		run_to_block(1 + DEFERRAL);
		assert_eq!(free(TREASURY), ED + 1_000);
	});
}

#[test]
fn a_reward_too_small_to_open_an_account_goes_to_the_treasury() {
	build_and_execute(|| {
		STAKES.with(|s| s.borrow_mut().insert(ALICE, 100));
		// 10% of 100 is 10, a 20% share of which is 2: below the existential deposit of 5.
		Slashing::report_offence(OffenceKind::WrongResult, subject(1), &ALICE, Some(77)).unwrap();
		run_to_block(1 + DEFERRAL);
		assert_eq!(free(77), 0);
		assert_eq!(free(TREASURY), ED + 10);
		System::assert_has_event(
			Event::Slashed {
				offence_id: 0,
				offender: ALICE,
				amount: 10,
				beneficiary: Some(77),
				to_beneficiary: 0,
				to_treasury: 10,
			}
			.into(),
		);
	});
}

#[test]
fn the_amount_is_taken_from_the_stake_there_is_when_applied() {
	build_and_execute(|| {
		Slashing::report_offence(OffenceKind::WrongResult, subject(1), &ALICE, None).unwrap();
		STAKES.with(|s| s.borrow_mut().insert(ALICE, 5_000));
		run_to_block(1 + DEFERRAL);
		assert_eq!(free(ALICE), STAKE - 500);
	});
}

#[test]
fn each_block_applies_a_bounded_number_of_slashes() {
	build_and_execute(|| {
		for n in 0..5 {
			Slashing::report_offence(OffenceKind::Offline, subject(n), &ALICE, None).unwrap();
		}
		run_to_block(1 + DEFERRAL);
		assert_eq!(NextToApply::<Test>::get(), 2);
		assert_eq!(PendingSlashes::<Test>::get(), 3);
		run_to_block(3 + DEFERRAL);
		assert_eq!(NextToApply::<Test>::get(), 5);
		assert_eq!(PendingSlashes::<Test>::get(), 0);
	});
}

#[test]
fn settled_records_are_pruned_after_the_retention() {
	build_and_execute(|| {
		Slashing::report_offence(OffenceKind::Offline, subject(1), &ALICE, None).unwrap();
		run_to_block(200);
		assert!(Offences::<Test>::get(0).is_some());
		run_to_block(201);
		assert!(Offences::<Test>::get(0).is_none());
		assert!(OffenceIndex::<Test>::get((OffenceKind::Offline, subject(1), ALICE)).is_none());
		assert_eq!(NextToPrune::<Test>::get(), 1);
	});
}
