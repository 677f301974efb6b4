//! Storage migrations: the one place a change to this pallet's stored layout goes.
//!
//! The storage launched at version 0. A change to a stored type or key adds a module here with a
//! `frame_support::migrations::VersionedMigration<from, to, Inner, Pallet<T>, T::DbWeight>`:
//! `Inner` (an `UncheckedOnRuntimeUpgrade`) translates every value and returns the weight it
//! used, and checks the result in `pre_upgrade`/`post_upgrade` under `try-runtime`. The same
//! change raises `STORAGE_VERSION` in `lib.rs`, and the runtime lists the migration in its
//! `Migrations` (`runtime/src/lib.rs`).
//!
//! `v1` is the upgrade rehearsal's: it exists only with the `upgrade-rehearsal` feature, which
//! the runtime's second wasm is built with, so that a test can upgrade a live chain through
//! governance and read the migrated field (docs/reliability.md, "Runtime upgrade").

#[cfg(feature = "upgrade-rehearsal")]
pub mod v1 {
	//! Version 1: every request records the `spec_version` it was submitted under.

	use crate::{Config, Pallet, Request, Requests};
	use codec::{Decode, Encode};
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		storage::unhashed,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};

	/// Version 0 → 1, run once: the storage version says whether it has.
	pub type MigrateToV1<T, Previous> = VersionedMigration<
		0,
		1,
		AppendSpecVersion<T, Previous>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;

	/// Gives every stored request `spec_version = Previous`, the runtime's before the upgrade.
	///
	/// The field is the last of [`Request`], so a version 0 value's bytes followed by the
	/// field's are its version 1 value: the migration appends, without a copy of the old type.
	/// Requests are pruned `Retention` blocks after they finish, so there are as many as a
	/// few minutes of traffic; a chain with more would run this as a multi-block migration.
	pub struct AppendSpecVersion<T, Previous>(PhantomData<(T, Previous)>);

	impl<T: Config, Previous: Get<u32>> UncheckedOnRuntimeUpgrade for AppendSpecVersion<T, Previous> {
		fn on_runtime_upgrade() -> Weight {
			let field = Previous::get().encode();
			let mut migrated = 0u64;
			for request_id in Requests::<T>::iter_keys() {
				let key = Requests::<T>::hashed_key_for(request_id);
				let Some(mut value) = unhashed::get_raw(&key) else { continue };
				value.extend_from_slice(&field);
				// Written only if it reads back: a value that does not is left for
				// `post_upgrade` to report, not replaced with a guess.
				if Request::<T>::decode(&mut &value[..]).is_ok() {
					unhashed::put_raw(&key, &value);
					migrated += 1;
				} else {
					log::error!(
						target: crate::LOG_TARGET,
						"request {request_id} does not read as version 1 after the migration"
					);
				}
			}
			log::info!(target: crate::LOG_TARGET, "migrated {migrated} requests to version 1");
			// One read per key (and the end of the iteration), one more per value; one write.
			T::DbWeight::get().reads_writes(2 * migrated + 1, migrated)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok((Requests::<T>::iter_keys().count() as u64).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before = u64::decode(&mut &state[..]).map_err(|_| "pre_upgrade's count")?;
			let mut after = 0u64;
			for request_id in Requests::<T>::iter_keys() {
				let request = Requests::<T>::try_get(request_id)
					.map_err(|_| "a request does not read as version 1")?;
				frame_support::ensure!(
					request.spec_version == Previous::get(),
					"a migrated request's spec_version is not the previous runtime's"
				);
				after += 1;
			}
			frame_support::ensure!(before == after, "the migration lost or added requests");
			Ok(())
		}
	}

	/// Rewrites every stored request in the version 0 layout (without its last field) and the
	/// pallet's storage version to 0, as a chain that ran the previous runtime has them: the
	/// starting point of this migration's tests, the pallet's and the runtime's.
	#[cfg(any(test, feature = "try-runtime"))]
	pub fn store_as_version_0<T: Config>() {
		use frame_support::traits::StorageVersion;
		let field = 0u32.encode().len();
		for request_id in Requests::<T>::iter_keys().collect::<alloc::vec::Vec<_>>() {
			let key = Requests::<T>::hashed_key_for(request_id);
			if let Some(value) = unhashed::get_raw(&key) {
				unhashed::put_raw(&key, &value[..value.len() - field]);
			}
		}
		StorageVersion::new(0).put::<Pallet<T>>();
	}
}
