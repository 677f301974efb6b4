//! Weights of the SDK pallets whose calls Baton's are compared with, generated on the same
//! machine as Baton's own (`scripts/benchmark-weights.sh`), so that their ratios mean something.

pub mod pallet_balances;
