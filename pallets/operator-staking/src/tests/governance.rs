//! Parameters: only governance sets them, and only to sensible values.

use crate::{mock::*, Error, Event, Params, StakingParams};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::DispatchError;

#[test]
fn governance_changes_the_minimum_bond() {
	build_and_execute(|| {
		let params = StakingParams { min_bond: 500, ..GenesisParams::get() };
		assert_ok!(OperatorStaking::update_params(RuntimeOrigin::root(), params));
		assert_eq!(Params::<Test>::get(), params);
		System::assert_last_event(Event::ParamsUpdated { params }.into());
		assert_noop!(try_bond(ALICE, 499, ALICE), Error::<Test>::BondTooLow);
	});
}

#[test]
fn nobody_else_may_change_parameters() {
	build_and_execute(|| {
		assert_noop!(
			OperatorStaking::update_params(
				RuntimeOrigin::signed(account(ALICE)),
				GenesisParams::get()
			),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn parameters_out_of_range_are_refused() {
	build_and_execute(|| {
		let base = GenesisParams::get();
		for params in [
			StakingParams { unbonding_period: 9, ..base },
			StakingParams { heartbeat_interval: 0, ..base },
			StakingParams { max_missed_heartbeats: 0, ..base },
			StakingParams { stake_per_slot: 0, ..base },
			StakingParams { min_bond: 0, ..base },
		] {
			assert_noop!(
				OperatorStaking::update_params(RuntimeOrigin::root(), params),
				Error::<Test>::InvalidParams
			);
		}
	});
}
