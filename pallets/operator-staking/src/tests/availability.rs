//! The availability index routing draws from: it holds exactly the operators that may be given
//! work, after every change, so unavailable operators cannot crowd out available ones.

use crate::{mock::*, AvailableCount, OperatorStatus, Operators, Params, Profile, StakingParams};
use baton_primitives::{ApiId, OperatorRouting, SlashTarget};
use frame_support::assert_ok;

/// The operators in `api`'s slots, sorted.
fn listed(api: ApiId) -> Vec<AccountId> {
	let mut listed: Vec<_> = (0..OperatorStaking::available_count(api))
		.filter_map(|slot| OperatorStaking::available_at(api, slot))
		.collect();
	listed.sort();
	listed
}

fn alice() -> RuntimeOrigin {
	RuntimeOrigin::signed(account(ALICE))
}

#[test]
fn the_index_follows_chill_activate_jail_and_profile_changes() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_eq!((listed(1), listed(2)), (vec![account(ALICE)], vec![account(ALICE)]));
		assert_ok!(OperatorStaking::chill(alice()));
		assert!(listed(1).is_empty() && AvailableCount::<Test>::get(1) == 0);
		assert_ok!(OperatorStaking::activate(alice()));
		assert_eq!(listed(1), vec![account(ALICE)]);
		assert_ok!(OperatorStaking::jail(&account(ALICE), 3));
		assert!(listed(1).is_empty());
		run_to_block(3);
		assert_ok!(OperatorStaking::activate(alice()));
		let moved = Profile { apis: vec![2, 3].try_into().unwrap(), ..profile() };
		assert_ok!(OperatorStaking::update_profile(alice(), moved));
		assert_eq!(
			(listed(1), listed(2), listed(3)),
			(vec![], vec![account(ALICE)], vec![account(ALICE)])
		);
	});
}

#[test]
fn the_index_follows_heartbeats_going_offline_and_coming_back() {
	build_and_execute(|| {
		bond_alice(1_000);
		// Two intervals of 5 blocks missed.
		run_to_block(12);
		assert!(!Operators::<Test>::get(account(ALICE)).unwrap().online);
		assert!(listed(1).is_empty());
		let signer = OperatorStaking::key_account(&key(ALICE));
		assert_ok!(OperatorStaking::heartbeat(RuntimeOrigin::signed(signer)));
		assert_eq!(listed(1), vec![account(ALICE)]);
	});
}

#[test]
fn the_index_follows_stake_leaving() {
	build_and_execute(|| {
		bond_alice(1_000);
		fund_and_bond(BOB);
		// A slash below the minimum bond chills.
		let _ = OperatorStaking::slash(&account(BOB), 50);
		assert_eq!(listed(1), vec![account(ALICE)]);
		// So does unbonding everything, and the operator is gone after withdrawing.
		assert_ok!(OperatorStaking::unbond(alice(), 1_000));
		assert!(listed(1).is_empty());
		run_to_block(12);
		assert_ok!(OperatorStaking::withdraw_unbonded(alice()));
		assert!(listed(1).is_empty() && listed(2).is_empty());
	});
}

#[test]
fn a_raised_minimum_bond_takes_operators_below_it_out_as_the_heartbeat_check_reaches_them() {
	build_and_execute(|| {
		bond_alice(1_000);
		fund_and_bond(BOB);
		let params = StakingParams { min_bond: 500, ..Params::<Test>::get() };
		assert_ok!(OperatorStaking::update_params(RuntimeOrigin::root(), params));
		// The check visits both operators (two per block in the mock) in the next block.
		run_to_block(2);
		assert_eq!(Operators::<Test>::get(account(BOB)).unwrap().status, OperatorStatus::Chilled);
		System::assert_has_event(crate::Event::Chilled { operator: account(BOB) }.into());
		assert_eq!(listed(1), vec![account(ALICE)]);
	});
}

#[test]
fn sixty_four_chilled_or_jailed_operators_bonded_first_leave_only_the_sixty_fifth_listed() {
	build_and_execute(|| {
		for n in 10..74u8 {
			fund_and_bond(n);
			if n % 2 == 0 {
				assert_ok!(OperatorStaking::chill(RuntimeOrigin::signed(account(n))));
			} else {
				assert_ok!(OperatorStaking::jail(&account(n), 100));
			}
		}
		fund_and_bond(74);
		assert_eq!(OperatorStaking::available_count(1), 1);
		assert_eq!(OperatorStaking::available_at(1, 0), Some(account(74)));
		assert_eq!(listed(2), vec![account(74)]);
	});
}

#[test]
fn an_operator_leaving_a_middle_slot_is_replaced_by_the_last() {
	build_and_execute(|| {
		for n in 10..13u8 {
			fund_and_bond(n);
		}
		assert_eq!(
			(0..3).map(|slot| OperatorStaking::available_at(1, slot)).collect::<Vec<_>>(),
			vec![Some(account(10)), Some(account(11)), Some(account(12))]
		);
		assert_ok!(OperatorStaking::chill(RuntimeOrigin::signed(account(10))));
		assert_eq!(
			(0..3).map(|slot| OperatorStaking::available_at(1, slot)).collect::<Vec<_>>(),
			vec![Some(account(12)), Some(account(11)), None]
		);
	});
}
