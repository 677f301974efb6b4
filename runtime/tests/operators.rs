//! The operator pallets wired together in Baton's runtime: a reported offence jails the
//! operator at once, its slash lands after the deferral and goes to the beneficiary and the
//! treasury, and no token is created or lost.

mod common;

use baton_primitives::{OffenceKind, PendingSlash, ReportOffence};
use baton_runtime::{
	currency::UNIT, Balances, OperatorStaking, Runtime, RuntimeHoldReason, RuntimeOrigin, Slashing,
	Treasury,
};
use common::{execute, run_to_block};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use sp_core::Pair;
use sp_keyring::Sr25519Keyring::{Bob, Eve};

fn bond_hold(who: &baton_runtime::AccountId) -> baton_runtime::Balance {
	Balances::balance_on_hold(
		&RuntimeHoldReason::OperatorStaking(pallet_operator_staking::HoldReason::OperatorBond),
		who,
	)
}

#[test]
fn an_offence_jails_then_slashes_into_the_beneficiary_and_the_treasury() {
	execute("development", || {
		let operator = Eve.to_account_id();
		let profile = pallet_operator_staking::Profile {
			endpoint: b"https://eve.example".to_vec().try_into().unwrap(),
			region: *b"NL",
			capacity: 4,
			apis: vec![1].try_into().unwrap(),
			encryption_key: None,
		};
		let gateway = sp_core::ed25519::Pair::from_seed(&[9; 32]);
		let proof = gateway.sign(&OperatorStaking::key_ownership_message(&operator)).0;
		assert_ok!(OperatorStaking::bond(
			RuntimeOrigin::signed(operator.clone()),
			1_000 * UNIT,
			gateway.public().0,
			profile,
			proof
		));
		assert_eq!(bond_hold(&operator), 1_000 * UNIT);
		assert!(OperatorStaking::is_available(&operator));

		let issuance = Balances::total_issuance();
		let treasury = Balances::balance(&Treasury::account_id());
		let bob = Balances::balance(&Bob.to_account_id());
		assert_eq!(
			Slashing::report_offence(
				OffenceKind::WrongResult,
				[1; 32],
				&operator,
				Some(Bob.to_account_id())
			),
			Ok(())
		);
		// Jailed at once: no more routing.
		assert!(!OperatorStaking::is_available(&operator));

		let deferral = pallet_slashing::Params::<Runtime>::get().slash_deferral;
		run_to_block(frame_system::Pallet::<Runtime>::block_number() + deferral);
		// Wrong result costs 5%: 50 BTN, 20% of which to Bob.
		assert_eq!(bond_hold(&operator), 950 * UNIT);
		assert_eq!(Balances::balance(&Bob.to_account_id()), bob + 10 * UNIT);
		assert_eq!(Balances::balance(&Treasury::account_id()), treasury + 40 * UNIT);
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

/// `who` bonds 1,000 BTN with the gateway key of `seed`, proving it holds it.
fn bond(who: &baton_runtime::AccountId, seed: u8) {
	let profile = pallet_operator_staking::Profile {
		endpoint: b"https://operator.example".to_vec().try_into().unwrap(),
		region: *b"NL",
		capacity: 4,
		apis: vec![1].try_into().unwrap(),
		encryption_key: None,
	};
	let gateway = sp_core::ed25519::Pair::from_seed(&[seed; 32]);
	let proof = gateway.sign(&OperatorStaking::key_ownership_message(who)).0;
	assert_ok!(OperatorStaking::bond(
		RuntimeOrigin::signed(who.clone()),
		1_000 * UNIT,
		gateway.public().0,
		profile,
		proof
	));
}

#[test]
fn an_operator_that_unbonds_after_its_offence_cannot_leave_before_a_backlogged_slash() {
	execute("development", || {
		let (filler, operator) = (Bob.to_account_id(), Eve.to_account_id());
		bond(&filler, 8);
		bond(&operator, 9);
		// More offences than the queue gets through before Eve's stake unlocks (16 a block).
		for n in 0..420u32 {
			let mut subject = [0u8; 32];
			subject[..4].copy_from_slice(&n.to_le_bytes());
			assert_eq!(
				Slashing::report_offence(OffenceKind::Offline, subject, &filler, None),
				Ok(())
			);
		}
		assert_eq!(
			Slashing::report_offence(OffenceKind::WrongResult, [1; 32], &operator, None),
			Ok(())
		);
		// Right after its offence Eve unbonds everything.
		assert_ok!(OperatorStaking::unbond(RuntimeOrigin::signed(operator.clone()), 1_000 * UNIT));

		let unlock = frame_system::Pallet::<Runtime>::block_number()
			+ pallet_operator_staking::Params::<Runtime>::get().unbonding_period;
		run_to_block(unlock);
		assert!(Slashing::has_pending_slash(&operator), "the backlog has not reached Eve's slash");
		assert_noop!(
			OperatorStaking::withdraw_unbonded(RuntimeOrigin::signed(operator.clone())),
			pallet_operator_staking::Error::<Runtime>::SlashPending
		);
		assert_eq!(bond_hold(&operator), 1_000 * UNIT);

		// The backlog drains and Eve's slash lands, taken from the unbonding chunk; then what is
		// left can go.
		run_to_block(unlock + 1);
		assert!(!Slashing::has_pending_slash(&operator));
		assert!(
			pallet_slashing::NextToApply::<Runtime>::get() > 420,
			"every offence before it landed"
		);
		assert_eq!(bond_hold(&operator), 950 * UNIT);
		assert_ok!(OperatorStaking::withdraw_unbonded(RuntimeOrigin::signed(operator.clone())));
		assert_eq!(bond_hold(&operator), 0);
		assert!(!OperatorStaking::is_operator(&operator));
	});
}
