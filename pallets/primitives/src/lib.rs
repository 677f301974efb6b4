//! What Baton's pallets, its node and its clients share, by concern:
//!
//! | module | what it holds |
//! |---|---|
//! | [`types`] | ids, result and request statuses, offences, reputation, handover reasons and checkpoints |
//! | [`traits`] | the traits that couple the pallets, each with the pallet that implements it |
//! | [`signing`] | the gateway key type and every message a gateway key signs |
//! | [`runtime_api`] | the runtime APIs behind the `gateway_*` RPC methods and the views they serve |
//! | [`offchain`] | the offchain workers' storage keys and protocol, health model, metrics samples and signer |
//! | [`egress`] | the host function through which a node's worker calls upstream APIs |
//! | [`sealing`] | encryption keys, sealed API secrets and what they are bound to |
//! | `testing` (feature `testing`) | what the pallets' test runtimes share |
//!
//! The first four are re-exported at the root: `baton_primitives::RequestId`.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod egress;
pub mod offchain;
pub mod runtime_api;
pub mod sealing;
pub mod signing;
#[cfg(feature = "testing")]
pub mod testing;
pub mod traits;
pub mod types;

pub use runtime_api::*;
pub use signing::*;
pub use traits::*;
pub use types::*;
