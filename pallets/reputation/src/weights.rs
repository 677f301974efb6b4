//! Weights of `pallet_reputation`; replaced by `scripts/benchmark-weights.sh` output.

#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight of each call and hook path of `pallet_reputation`.
pub trait WeightInfo {
	fn reset(a: u32, ) -> Weight;
}

/// Weights measured on Baton's reference machine, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn reset(a: u32, ) -> Weight {
		Weight::from_parts(20_000_000, 3_500)
			.saturating_add(Weight::from_parts(2_000_000, 0).saturating_mul(a.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(a.into())))
	}
}

/// The same weights with RocksDB's reference database weights, for tests and mocks.
impl WeightInfo for () {
	fn reset(a: u32, ) -> Weight {
		Weight::from_parts(20_000_000, 3_500)
			.saturating_add(Weight::from_parts(2_000_000, 0).saturating_mul(a.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(a.into())))
	}
}
