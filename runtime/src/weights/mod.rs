//! Weights of what every transaction pays for — the base weights of a block and of an
//! extrinsic, the transaction extensions — and of the SDK pallets whose calls Baton's are
//! compared with, generated on the same machine as Baton's own (`scripts/benchmark-weights.sh`),
//! so that their ratios mean something.

pub mod block_weights;
pub mod extrinsic_weights;
pub mod frame_system_extensions;
pub mod pallet_balances;
pub mod pallet_transaction_payment;
