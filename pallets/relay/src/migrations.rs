//! Storage migrations: the one place a change to this pallet's stored layout goes.
//!
//! The storage is at version 0, the layout the pallet launched with, so nothing is here yet.
//! The next change to a stored type or key adds a module `v1` here with a
//! `frame_support::migrations::VersionedMigration<0, 1, Inner, Pallet<T>, T::DbWeight>`:
//! `Inner` (an `UncheckedOnRuntimeUpgrade`) translates every value and returns the weight it
//! used, and checks the result in `pre_upgrade`/`post_upgrade` under `try-runtime`. The same
//! change raises `STORAGE_VERSION` in `lib.rs` to 1, and the runtime lists
//! `pallet_relay::migrations::v1::...` in its `Migrations` (`runtime/src/lib.rs`).
