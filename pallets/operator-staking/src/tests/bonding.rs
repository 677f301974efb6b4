//! Bonding: stake held, key bound, bad input refused with nothing changed.

use crate::{mock::*, Error, Event, KeyOwners, OperatorStatus, Operators};
use baton_primitives::GatewayKeys;
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use sp_core::Pair;

fn held(who: u8) -> Balance {
	Balances::balance_on_hold(
		&RuntimeHoldReason::OperatorStaking(crate::HoldReason::OperatorBond),
		&account(who),
	)
}

#[test]
fn bonding_holds_stake_and_binds_the_key() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_eq!(held(ALICE), 1_000);
		assert_eq!(Balances::free_balance(account(ALICE)), FUNDS - 1_000);
		let operator = Operators::<Test>::get(account(ALICE)).unwrap();
		assert_eq!(operator.bonded, 1_000);
		assert_eq!(operator.status, OperatorStatus::Active);
		assert!(operator.online);
		assert_eq!(
			KeyOwners::<Test>::get(OperatorStaking::key_account(&key(ALICE))),
			Some(account(ALICE))
		);
		assert!(OperatorStaking::is_available(&account(ALICE)));
		assert_eq!(OperatorStaking::operator_of(&key(ALICE)), Some(account(ALICE)));
		System::assert_last_event(
			Event::Bonded { operator: account(ALICE), amount: 1_000, gateway_key: key(ALICE) }
				.into(),
		);
	});
}

#[test]
fn bond_extra_adds_stake() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_ok!(OperatorStaking::bond_extra(RuntimeOrigin::signed(account(ALICE)), 500));
		assert_eq!(held(ALICE), 1_500);
		assert_eq!(OperatorStaking::bonded(&account(ALICE)), 1_500);
		System::assert_last_event(
			Event::BondedExtra { operator: account(ALICE), amount: 500 }.into(),
		);
	});
}

#[test]
fn a_bond_below_the_minimum_is_refused() {
	build_and_execute(|| {
		assert_noop!(try_bond(ALICE, 99, ALICE), Error::<Test>::BondTooLow);
	});
}

#[test]
fn bonding_twice_is_refused() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_noop!(try_bond(ALICE, 1_000, 9), Error::<Test>::AlreadyBonded);
	});
}

#[test]
fn a_gateway_key_is_unique_across_operators() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_noop!(try_bond(BOB, 1_000, ALICE), Error::<Test>::GatewayKeyInUse);
	});
}

#[test]
fn bonding_more_than_one_can_spare_is_refused() {
	build_and_execute(|| {
		assert_noop!(try_bond(POOR, 100, POOR), Error::<Test>::InsufficientFunds);
		bond_alice(1_000);
		assert_noop!(
			OperatorStaking::bond_extra(RuntimeOrigin::signed(account(ALICE)), FUNDS),
			Error::<Test>::InsufficientFunds
		);
	});
}

#[test]
fn bond_extra_needs_an_operator_and_an_amount() {
	build_and_execute(|| {
		assert_noop!(
			OperatorStaking::bond_extra(RuntimeOrigin::signed(account(BOB)), 10),
			Error::<Test>::NotOperator
		);
		bond_alice(1_000);
		assert_noop!(
			OperatorStaking::bond_extra(RuntimeOrigin::signed(account(ALICE)), 0),
			Error::<Test>::ZeroAmount
		);
	});
}

#[test]
fn the_number_of_operators_is_bounded() {
	build_and_execute(|| {
		let max =
			<<Test as crate::Config>::MaxOperators as frame_support::traits::Get<u32>>::get() as u8;
		for n in 10..10 + max {
			let who = account(n);
			Balances::force_set_balance(RuntimeOrigin::root(), who.clone(), 1_000).unwrap();
			assert_ok!(OperatorStaking::bond(
				RuntimeOrigin::signed(who),
				100,
				key(n),
				profile(),
				proof(n, n)
			));
		}
		assert_noop!(try_bond(ALICE, 100, ALICE), Error::<Test>::TooManyOperators);
	});
}

#[test]
fn capacity_is_limited_by_stake() {
	build_and_execute(|| {
		// 120 / 50 per slot = 2 slots, though the profile declares 4.
		bond_alice(120);
		assert_eq!(OperatorStaking::capacity(&account(ALICE)), 2);
		assert_ok!(OperatorStaking::bond_extra(RuntimeOrigin::signed(account(ALICE)), 1_000));
		assert_eq!(OperatorStaking::capacity(&account(ALICE)), 4);
		assert!(OperatorStaking::serves(&account(ALICE), 2));
		assert!(!OperatorStaking::serves(&account(ALICE), 3));
	});
}

#[test]
fn the_key_ownership_message_is_the_tag_the_account_and_the_genesis_hash() {
	build_and_execute(|| {
		let genesis_hash = System::block_hash(0);
		let expected =
			[&b"baton/key-ownership"[..], account(ALICE).as_ref(), genesis_hash.as_ref()].concat();
		assert_eq!(expected.len(), 83);
		assert_eq!(OperatorStaking::key_ownership_message(&account(ALICE)), expected);
	});
}

/// Nothing of `who`'s is held, its balance is whole and no operator holds `key`.
fn nothing_held(who: u8, key_of: u8) {
	assert_eq!(held(who), 0);
	assert_eq!(Balances::free_balance(account(who)), FUNDS);
	assert!(KeyOwners::<Test>::get(OperatorStaking::key_account(&key(key_of))).is_none());
}

#[test]
fn a_bond_without_a_proof_by_the_gateway_key_is_refused_and_holds_nothing() {
	build_and_execute(|| {
		let bond = |proof| {
			OperatorStaking::bond(
				RuntimeOrigin::signed(account(ALICE)),
				1_000,
				key(ALICE),
				profile(),
				proof,
			)
		};
		// No signature at all.
		assert_noop!(bond([0; 64]), Error::<Test>::BadKeyProof);
		// Signed by another key than the one bound.
		assert_noop!(bond(proof(ALICE, BOB)), Error::<Test>::BadKeyProof);
		// Signed by the key, but for another chain.
		let elsewhere =
			baton_primitives::key_ownership_message(&account(ALICE), &sp_core::H256([1; 32]));
		assert_noop!(bond(pair(ALICE).sign(&elsewhere).0), Error::<Test>::BadKeyProof);
		nothing_held(ALICE, ALICE);
	});
}

#[test]
fn a_front_run_with_the_key_and_proof_of_another_operators_node_fails_and_that_operator_still_bonds(
) {
	build_and_execute(|| {
		// Alice's proof is public once her bond is in the pool; Bob (Mallory) copies key and
		// proof into a bond of his own, to claim the key her node holds.
		let alices_proof = proof(ALICE, ALICE);
		assert_noop!(
			OperatorStaking::bond(
				RuntimeOrigin::signed(account(BOB)),
				1_000,
				key(ALICE),
				profile(),
				alices_proof
			),
			Error::<Test>::BadKeyProof
		);
		nothing_held(BOB, ALICE);
		assert!(Operators::<Test>::get(account(BOB)).is_none());

		assert_ok!(OperatorStaking::bond(
			RuntimeOrigin::signed(account(ALICE)),
			1_000,
			key(ALICE),
			profile(),
			alices_proof
		));
		assert_eq!(held(ALICE), 1_000);
		assert_eq!(OperatorStaking::operator_of(&key(ALICE)), Some(account(ALICE)));
	});
}
