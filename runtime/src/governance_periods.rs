//! How long a referendum on the Root track takes on this network: minutes on a development
//! chain, days on a public one. The chain spec's preset sets the periods at genesis, since the
//! runtime's code is the same on every network; `TracksInfo` (configs/governance.rs) reads them.
//! Root changes them like any storage (`system.setStorage` through a referendum).

pub use pallet::*;

#[frame_support::pallet]
pub mod pallet {
	use codec::{Decode, Encode, MaxEncodedLen};
	use frame_support::pallet_prelude::*;
	use scale_info::TypeInfo;

	use crate::{time::MINUTES, BlockNumber};

	/// The Root track's periods, in blocks (pallet-referenda's `TrackInfo` names them).
	#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
	pub struct RootTrackPeriods {
		/// From submission until deciding may start (the decision deposit is placed meanwhile).
		pub prepare: BlockNumber,
		/// How long it may be decided for before it fails.
		pub decision: BlockNumber,
		/// How long it must keep passing to be approved.
		pub confirm: BlockNumber,
		/// The least time from approval to enactment.
		pub min_enactment: BlockNumber,
	}

	impl RootTrackPeriods {
		/// Whether a referendum can pass: it is decided for at least one block and must keep
		/// passing for at least one, within its decision period.
		pub fn usable(&self) -> bool {
			self.decision > 0 && self.confirm > 0 && self.confirm <= self.decision
		}

		/// A development chain's: a referendum enacts in about 4 minutes of 3-second blocks.
		pub const DEVELOPMENT: Self = Self {
			prepare: MINUTES,
			decision: 30 * MINUTES,
			confirm: 2 * MINUTES,
			min_enactment: MINUTES,
		};
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {}

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::hooks]
	impl<T: Config> Hooks<frame_system::pallet_prelude::BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(
			_: frame_system::pallet_prelude::BlockNumberFor<T>,
		) -> Result<(), sp_runtime::TryRuntimeError> {
			ensure!(
				Periods::<T>::get().usable(),
				"the Root track's periods let no referendum pass"
			);
			Ok(())
		}
	}

	/// A chain whose genesis did not set them has a development chain's.
	#[pallet::type_value]
	pub fn DefaultPeriods() -> RootTrackPeriods {
		RootTrackPeriods::DEVELOPMENT
	}

	/// The Root track's periods.
	#[pallet::storage]
	pub type Periods<T: Config> = StorageValue<_, RootTrackPeriods, ValueQuery, DefaultPeriods>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		pub prepare: BlockNumber,
		pub decision: BlockNumber,
		pub confirm: BlockNumber,
		pub min_enactment: BlockNumber,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			// Left out of a preset: the default.
			if (self.prepare, self.decision, self.confirm, self.min_enactment) == (0, 0, 0, 0) {
				return;
			}
			let periods = RootTrackPeriods {
				prepare: self.prepare,
				decision: self.decision,
				confirm: self.confirm,
				min_enactment: self.min_enactment,
			};
			assert!(
				periods.usable(),
				"governancePeriods: decision and confirm must be positive, confirm at most decision"
			);
			Periods::<T>::put(periods);
		}
	}
}
