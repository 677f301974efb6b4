//! Reporting offences: records, dedup, jail, bounds.

use super::subject;
use crate::{
	mock::*, Event, NextOffenceId, OffenceIndex, Offences, Offenders, PendingSlashes, SlashStatus,
};
use baton_primitives::{OffenceError, OffenceKind, PendingSlash, ReportOffence};
use frame_support::assert_storage_noop;
use sp_runtime::Perbill;

#[test]
fn a_report_records_the_offence_jails_and_schedules_the_slash() {
	build_and_execute(|| {
		assert_eq!(
			Slashing::report_offence(OffenceKind::WrongResult, subject(1), &ALICE, Some(BOB)),
			Ok(())
		);
		let record = Offences::<Test>::get(0).unwrap();
		assert_eq!(record.offender, ALICE);
		assert_eq!(record.beneficiary, Some(BOB));
		assert_eq!(record.slash, Perbill::from_percent(10));
		assert_eq!(record.apply_at, 1 + DEFERRAL);
		assert_eq!(record.status, SlashStatus::Pending);
		assert_eq!(
			OffenceIndex::<Test>::get((OffenceKind::WrongResult, subject(1), ALICE)),
			Some(0)
		);
		assert_eq!(PendingSlashes::<Test>::get(), 1);
		assert_eq!(JAILS.with(|j| j.borrow().get(&ALICE).copied()), Some(51));
		System::assert_has_event(
			Event::OffenceReported {
				offence_id: 0,
				kind: OffenceKind::WrongResult,
				subject: subject(1),
				offender: ALICE,
				slash: Perbill::from_percent(10),
				apply_at: 1 + DEFERRAL,
			}
			.into(),
		);
		assert_eq!(JAILS.with(|j| j.borrow().get(&ALICE).copied()), Some(51));
	});
}

#[test]
fn an_offence_counts_once() {
	build_and_execute(|| {
		let report =
			|| Slashing::report_offence(OffenceKind::WrongResult, subject(1), &ALICE, None);
		assert_eq!(report(), Ok(()));
		let jails = JAILS.with(|j| j.borrow().clone());
		assert_storage_noop!(assert_eq!(report(), Err(OffenceError::Duplicate)));
		assert_eq!(JAILS.with(|j| j.borrow().clone()), jails);
		assert_eq!(NextOffenceId::<Test>::get(), 1);
		assert_eq!(PendingSlashes::<Test>::get(), 1);
		// Another kind, subject or offender is another offence.
		assert_eq!(
			Slashing::report_offence(OffenceKind::Offline, subject(1), &ALICE, None),
			Ok(())
		);
		assert_eq!(
			Slashing::report_offence(OffenceKind::WrongResult, subject(2), &ALICE, None),
			Ok(())
		);
		assert_eq!(
			Slashing::report_offence(OffenceKind::WrongResult, subject(1), &BOB, None),
			Ok(())
		);
		assert_eq!(NextOffenceId::<Test>::get(), 4);
	});
}

#[test]
fn kinds_without_a_jail_do_not_jail() {
	build_and_execute(|| {
		assert_eq!(
			Slashing::report_offence(OffenceKind::Offline, subject(1), &ALICE, None),
			Ok(())
		);
		assert!(JAILS.with(|j| j.borrow().is_empty()));
	});
}

#[test]
fn an_offender_without_stake_is_refused_and_nothing_is_recorded() {
	build_and_execute(|| {
		assert_storage_noop!(assert_eq!(
			Slashing::report_offence(OffenceKind::WrongResult, subject(1), &3, None),
			Err(OffenceError::UnknownOffender)
		));
		assert!(JAILS.with(|j| j.borrow().is_empty()));
		assert_eq!(NextOffenceId::<Test>::get(), 0);
		assert_eq!(Offences::<Test>::iter().count(), 0);
	});
}

#[test]
fn no_offence_is_refused_for_want_of_room() {
	build_and_execute(|| {
		// Far more than the two slashes a block applies, in one block.
		for n in 0..50 {
			assert_eq!(
				Slashing::report_offence(OffenceKind::Offline, subject(n), &ALICE, None),
				Ok(())
			);
		}
		assert_eq!(NextOffenceId::<Test>::get(), 50);
		assert_eq!(PendingSlashes::<Test>::get(), 50);
		assert_eq!(Offenders::<Test>::get(ALICE).unwrap().pending, 50);
		assert!(Slashing::has_pending_slash(&ALICE));
		assert!(!Slashing::has_pending_slash(&BOB));
	});
}
