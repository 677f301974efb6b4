//! The upgrade rehearsal's migration (`migrations::v1`): requests stored before it read after it,
//! with the previous runtime's `spec_version`, and it runs once.

use crate::{
	migrations::v1::{store_as_version_0, MigrateToV1},
	mock::*,
	Pallet, Requests,
};
use frame_support::{
	assert_ok,
	traits::{ConstU32, GetStorageVersion, OnRuntimeUpgrade},
};

type Migration = MigrateToV1<Test, ConstU32<100>>;

#[cfg(feature = "try-runtime")]
fn upgrade() {
	// pre_upgrade and post_upgrade run around it and must pass.
	Migration::try_on_runtime_upgrade(true).expect("the migration's checks pass");
}

#[cfg(not(feature = "try-runtime"))]
fn upgrade() {
	Migration::on_runtime_upgrade();
}

#[test]
fn requests_stored_before_the_upgrade_read_after_it_with_the_previous_spec_version() {
	build_and_execute(|| {
		setup(3);
		let (first, second) = (submit(1), submit(2));
		let before: Vec<_> = [first, second].map(|id| Requests::<Test>::get(id).unwrap()).into();
		store_as_version_0::<Test>();
		assert!(Requests::<Test>::try_get(first).is_err(), "version 0 does not read as 1");

		upgrade();

		assert_eq!(Pallet::<Test>::on_chain_storage_version(), 1);
		for (id, mut request) in [first, second].into_iter().zip(before) {
			request.spec_version = 100;
			assert_eq!(Requests::<Test>::get(id), Some(request));
		}
		// The migrated requests go on as any other: one settles with its report.
		assert_ok!(report_ok(
			number(&Requests::<Test>::get(first).unwrap().assigned[0]),
			first,
			b"{}"
		));
	});
}

#[test]
fn the_migration_runs_once() {
	build_and_execute(|| {
		setup(3);
		let id = submit(1);
		store_as_version_0::<Test>();
		upgrade();
		let migrated = Requests::<Test>::get(id).unwrap();

		// At version 1 a second run changes nothing: it would append a second field otherwise.
		Migration::on_runtime_upgrade();
		assert_eq!(Requests::<Test>::get(id), Some(migrated));
		assert_eq!(Pallet::<Test>::on_chain_storage_version(), 1);
	});
}
