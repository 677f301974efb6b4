//! Weights of `pallet_relay`.
//!
//! Not generated yet: the pallet has no benchmarks, so `scripts/benchmark-weights.sh` cannot
//! measure it. Until it has, the one implementation is `()`, counting storage access at
//! RocksDB's costs and nothing for computation; the runtime and the test runtime use it.

use frame_support::weights::{constants::RocksDbWeight, Weight};

/// Weights of this pallet's calls and hook.
pub trait WeightInfo {
	fn open_session(n: u32) -> Weight;
	fn top_up(n: u32) -> Weight;
	fn close_session(n: u32) -> Weight;
	fn claim(n: u32) -> Weight;
	fn expire(e: u32) -> Weight;
	fn settle(s: u32) -> Weight;
}

impl WeightInfo for () {
	fn open_session(_n: u32) -> Weight {
		RocksDbWeight::get().reads_writes(3, 5)
	}
	fn top_up(_n: u32) -> Weight {
		RocksDbWeight::get().reads_writes(2, 2)
	}
	fn close_session(_n: u32) -> Weight {
		RocksDbWeight::get().reads_writes(1, 3)
	}
	fn claim(_n: u32) -> Weight {
		RocksDbWeight::get().reads_writes(3, 4)
	}
	fn expire(e: u32) -> Weight {
		RocksDbWeight::get()
			.reads_writes(2, 1)
			.saturating_add(RocksDbWeight::get().reads_writes(2, 4).saturating_mul(e.into()))
	}
	fn settle(s: u32) -> Weight {
		RocksDbWeight::get()
			.reads_writes(2, 1)
			.saturating_add(RocksDbWeight::get().reads_writes(2, 4).saturating_mul(s.into()))
	}
}
