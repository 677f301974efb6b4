//! What governance may do, and that nobody else can.

use super::subject;
use crate::{
	mock::*, Error, Event, Offences, Params, Penalties, Penalty, PendingSlashes, SlashStatus,
	SlashingParams,
};
use baton_primitives::{OffenceKind, ReportOffence};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use sp_runtime::{DispatchError, Perbill};

#[test]
fn governance_cancels_a_deferred_slash() {
	build_and_execute(|| {
		Slashing::report_offence(OffenceKind::WrongResult, subject(1), &ALICE, Some(BOB)).unwrap();
		assert_ok!(Slashing::cancel_deferred_slash(RuntimeOrigin::root(), 0));
		System::assert_has_event(Event::SlashCancelled { offence_id: 0 }.into());
		run_to_block(1 + DEFERRAL);
		assert_eq!(Balances::balance(&ALICE), STAKE);
		assert_eq!(Offences::<Test>::get(0).unwrap().status, SlashStatus::Cancelled);
		assert_eq!(PendingSlashes::<Test>::get(), 0);
	});
}

#[test]
fn cancelling_an_unknown_or_settled_slash_fails() {
	build_and_execute(|| {
		assert_noop!(
			Slashing::cancel_deferred_slash(RuntimeOrigin::root(), 7),
			Error::<Test>::UnknownOffence
		);
		assert!(JAILS.with(|j| j.borrow().is_empty()));
		Slashing::report_offence(OffenceKind::WrongResult, subject(1), &ALICE, None).unwrap();
		run_to_block(1 + DEFERRAL);
		assert_noop!(
			Slashing::cancel_deferred_slash(RuntimeOrigin::root(), 0),
			Error::<Test>::NotPending
		);
	});
}

#[test]
fn only_governance_may_cancel_jail_or_set_parameters() {
	build_and_execute(|| {
		Slashing::report_offence(OffenceKind::WrongResult, subject(1), &ALICE, None).unwrap();
		let anyone = RuntimeOrigin::signed(BOB);
		assert_noop!(Slashing::cancel_deferred_slash(anyone.clone(), 0), DispatchError::BadOrigin);
		assert_noop!(Slashing::jail(anyone.clone(), ALICE, 10), DispatchError::BadOrigin);
		assert_noop!(
			Slashing::set_penalty(anyone.clone(), OffenceKind::Offline, Default::default()),
			DispatchError::BadOrigin
		);
		assert_noop!(Slashing::set_params(anyone, Default::default()), DispatchError::BadOrigin);
	});
}

#[test]
fn governance_jails_an_operator_in_an_emergency() {
	build_and_execute(|| {
		assert_ok!(Slashing::jail(RuntimeOrigin::root(), BOB, 100));
		assert_eq!(JAILS.with(|j| j.borrow().get(&BOB).copied()), Some(101));
	});
}

#[test]
fn a_jail_must_be_positive_bounded_and_of_an_operator() {
	build_and_execute(|| {
		assert_noop!(Slashing::jail(RuntimeOrigin::root(), BOB, 0), Error::<Test>::InvalidJail);
		assert_noop!(Slashing::jail(RuntimeOrigin::root(), BOB, 1_001), Error::<Test>::InvalidJail);
		assert_noop!(
			Slashing::jail(RuntimeOrigin::root(), 3, 10),
			DispatchError::Other("not an operator")
		);
	});
}

#[test]
fn governance_sets_what_offences_cost() {
	build_and_execute(|| {
		let params = Penalty { slash: Perbill::from_percent(50), jail: 7 };
		assert_ok!(Slashing::set_penalty(RuntimeOrigin::root(), OffenceKind::Equivocation, params));
		assert_eq!(Penalties::<Test>::get(OffenceKind::Equivocation), params);
		Slashing::report_offence(OffenceKind::Equivocation, subject(1), &ALICE, None).unwrap();
		assert_eq!(Offences::<Test>::get(0).unwrap().slash, Perbill::from_percent(50));

		assert_noop!(
			Slashing::set_penalty(
				RuntimeOrigin::root(),
				OffenceKind::Equivocation,
				Penalty { slash: Perbill::one(), jail: 1_001 }
			),
			Error::<Test>::InvalidJail
		);
	});
}

#[test]
fn governance_sets_the_share_and_deferral_within_bounds() {
	build_and_execute(|| {
		let params =
			SlashingParams { reward_share: Perbill::from_percent(50), slash_deferral: 100 };
		assert_ok!(Slashing::set_params(RuntimeOrigin::root(), params));
		assert_eq!(Params::<Test>::get(), params);
		assert_noop!(
			Slashing::set_params(
				RuntimeOrigin::root(),
				SlashingParams { reward_share: Perbill::zero(), slash_deferral: 101 }
			),
			Error::<Test>::DeferralTooLong
		);
	});
}
