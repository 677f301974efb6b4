//! Governance reset.

use crate::{mock::*, ApiRecordCount, ApiReputations, Error, Event, Reputations};
use baton_primitives::{Outcome, ReputationSink};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::DispatchError;

const OP: u64 = 7;

#[test]
fn governance_wipes_an_operators_reputation() {
	build_and_execute(|| {
		Reputation::record(&OP, 1, Outcome::Failed);
		Reputation::record(&OP, 2, Outcome::Failed);
		Reputation::record(&8, 1, Outcome::Failed);
		assert_ok!(Reputation::reset(RuntimeOrigin::root(), OP));
		assert!(Reputations::<Test>::get(OP).is_none());
		assert_eq!(ApiReputations::<Test>::iter_prefix(OP).count(), 0);
		assert_eq!(ApiRecordCount::<Test>::get(OP), 0);
		// Others keep theirs.
		assert!(Reputations::<Test>::get(8).is_some());
		System::assert_last_event(Event::ReputationReset { operator: OP }.into());
	});
}

#[test]
fn only_governance_may_reset() {
	build_and_execute(|| {
		Reputation::record(&OP, 1, Outcome::Failed);
		assert_noop!(Reputation::reset(RuntimeOrigin::signed(OP), OP), DispatchError::BadOrigin);
	});
}

#[test]
fn resetting_an_operator_without_reputation_fails() {
	build_and_execute(|| {
		assert_noop!(Reputation::reset(RuntimeOrigin::root(), OP), Error::<Test>::NoReputation);
	});
}
