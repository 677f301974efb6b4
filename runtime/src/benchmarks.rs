//! The pallets whose benchmarks `baton-node benchmark pallet` runs against this runtime.

pub use frame_benchmarking::baseline::Pallet as BaselineBench;
pub use frame_system_benchmarking::{
	extensions::Pallet as SystemExtensionsBench, Pallet as SystemBench,
};

pub use crate::{
	Balances, Council, Gateway, Handover, OperatorStaking, Relay, Reputation, Runtime, Slashing,
	Sudo, Timestamp, TransactionPayment,
};

impl frame_benchmarking::baseline::Config for Runtime {}
impl frame_system_benchmarking::Config for Runtime {}
impl pallet_transaction_payment::BenchmarkConfig for Runtime {}

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_transaction_payment, TransactionPayment]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_collective, Council]
	[pallet_operator_staking, OperatorStaking]
	[pallet_slashing, Slashing]
	[pallet_reputation, Reputation]
	[pallet_gateway, Gateway]
	[pallet_handover, Handover]
	[pallet_relay, Relay]
);
