//! The operator pallets wired together in Baton's runtime: a reported offence jails the
//! operator at once, its slash lands after the deferral and goes to the beneficiary and the
//! treasury, and no token is created or lost.

mod common;

use baton_primitives::{OffenceKind, OperatorRegistry, ReportOffence};
use baton_runtime::{
	currency::UNIT, Balances, OperatorStaking, Runtime, RuntimeHoldReason, RuntimeOrigin,
	Slashing, Treasury,
};
use common::{new_test_ext, run_to_block};
use frame_support::{
	assert_ok,
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
	new_test_ext("development").execute_with(|| {
		let operator = Eve.to_account_id();
		let profile = pallet_operator_staking::Profile {
			endpoint: b"https://eve.example".to_vec().try_into().unwrap(),
			region: *b"NL",
			capacity: 4,
			apis: vec![1].try_into().unwrap(),
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
			Slashing::report_offence(OffenceKind::WrongResult, [1; 32], &operator, Some(Bob.to_account_id())),
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
