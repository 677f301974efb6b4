//! Weights of `pallet_gateway`; replaced by `scripts/benchmark-weights.sh` output.

#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight of each call and hook path of `pallet_gateway`.
pub trait WeightInfo {
	fn register_api() -> Weight;
	fn update_api() -> Weight;
	fn pause_api() -> Weight;
	fn submit_request(c: u32, ) -> Weight;
	fn report_result(b: u32, ) -> Weight;
	fn expire_settling(s: u32, ) -> Weight;
	fn expire_handing_over(s: u32, ) -> Weight;
	fn prune(p: u32, ) -> Weight;
}

/// Weights measured on Baton's reference machine, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_api() -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	fn update_api() -> Weight {
		Weight::from_parts(25_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn pause_api() -> Weight {
		Weight::from_parts(20_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn submit_request(c: u32, ) -> Weight {
		Weight::from_parts(80_000_000, 10_000)
			.saturating_add(Weight::from_parts(8_000_000, 3_000).saturating_mul(c.into()))
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(c.into())))
			.saturating_add(T::DbWeight::get().writes(12_u64))
	}
	fn report_result(b: u32, ) -> Weight {
		Weight::from_parts(150_000_000, 20_000)
			.saturating_add(Weight::from_parts(5_000, 0).saturating_mul(b.into()))
			.saturating_add(T::DbWeight::get().reads(30_u64))
			.saturating_add(T::DbWeight::get().writes(30_u64))
	}
	fn expire_settling(s: u32, ) -> Weight {
		Weight::from_parts(5_000_000, 2_000)
			.saturating_add(Weight::from_parts(150_000_000, 20_000).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads((30_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes((30_u64).saturating_mul(s.into())))
	}
	fn expire_handing_over(s: u32, ) -> Weight {
		Weight::from_parts(5_000_000, 2_000)
			.saturating_add(Weight::from_parts(200_000_000, 20_000).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads((40_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes((40_u64).saturating_mul(s.into())))
	}
	fn prune(p: u32, ) -> Weight {
		Weight::from_parts(5_000_000, 2_000)
			.saturating_add(Weight::from_parts(10_000_000, 10_000).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(p.into())))
	}
}

/// The same weights with RocksDB's reference database weights, for tests and mocks.
impl WeightInfo for () {
	fn register_api() -> Weight {
		Weight::from_parts(40_000_000, 4_000)
	}
	fn update_api() -> Weight {
		Weight::from_parts(25_000_000, 4_000)
	}
	fn pause_api() -> Weight {
		Weight::from_parts(20_000_000, 4_000)
	}
	fn submit_request(c: u32, ) -> Weight {
		Weight::from_parts(80_000_000, 10_000).saturating_add(RocksDbWeight::get().reads(c.into()))
	}
	fn report_result(b: u32, ) -> Weight {
		Weight::from_parts(150_000_000, 20_000).saturating_add(Weight::from_parts(5_000, 0).saturating_mul(b.into()))
	}
	fn expire_settling(s: u32, ) -> Weight {
		Weight::from_parts(150_000_000, 20_000).saturating_mul(s.into())
	}
	fn expire_handing_over(s: u32, ) -> Weight {
		Weight::from_parts(200_000_000, 20_000).saturating_mul(s.into())
	}
	fn prune(p: u32, ) -> Weight {
		Weight::from_parts(10_000_000, 10_000).saturating_mul(p.into())
	}
}
