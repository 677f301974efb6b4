//! The Baton runtime: a decentralized API gateway chain.
//!
//! Consensus is Aura + GRANDPA; governance is a council (2/3 for privileged calls) plus
//! token-holder referenda on a Root track; fees and slashes go to the treasury.
#![cfg_attr(not(feature = "std"), no_std)]
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

use alloc::vec::Vec;

#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;
pub mod apis;
pub mod configs;
pub mod genesis_config_presets;
pub mod governance_periods;
pub mod weights;

use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_support::{construct_runtime, parameter_types};
pub use pallet_balances::Call as BalancesCall;
pub use sp_runtime::{Perbill, Permill};

/// An index to a block.
pub type BlockNumber = u32;
/// Signature of a transaction; any of sr25519, ed25519 or ecdsa.
pub type Signature = MultiSignature;
/// An account: the public key behind a [`Signature`].
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Token balance of an account.
pub type Balance = u128;
/// Transaction count of an account.
pub type Nonce = u32;
/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// Opaque types the node can use without knowing the runtime's calls.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;

	impl_opaque_keys! {
		/// The session keys of a validator.
		pub struct SessionKeys {
			pub aura: super::Aura,
			pub grandpa: super::Grandpa,
		}
	}
}

/// The runtime's version, with its `spec_version`: `runtime_version` reads literals only, so the
/// upgrade rehearsal's (one later, build.rs) is a second expansion rather than a constant.
macro_rules! runtime_version {
	($spec_version:tt) => {
		#[sp_version::runtime_version]
		pub const VERSION: RuntimeVersion = RuntimeVersion {
			spec_name: alloc::borrow::Cow::Borrowed("baton"),
			impl_name: alloc::borrow::Cow::Borrowed("baton"),
			authoring_version: 1,
			spec_version: $spec_version,
			impl_version: 1,
			apis: apis::RUNTIME_API_VERSIONS,
			transaction_version: 1,
			system_version: 1,
		};
	};
}
#[cfg(not(feature = "upgrade-rehearsal"))]
runtime_version!(100);
#[cfg(feature = "upgrade-rehearsal")]
runtime_version!(101);

/// Whether this runtime's code runs on storage its migrations have not reached: on the block
/// that enacts an upgrade, whose state only the next block's initialization migrates.
pub fn migrations_pending() -> bool {
	frame_system::LastRuntimeUpgrade::<Runtime>::get()
		.is_some_and(|last| last.was_upgraded(&VERSION))
}

/// Units of time, in blocks. Blocks come every [`MILLI_SECS_PER_BLOCK`].
pub mod time {
	use super::BlockNumber;

	/// Target block time. Short so that a request is served within a few seconds.
	pub const MILLI_SECS_PER_BLOCK: u64 = 3000;
	/// Aura slot length: one block per slot.
	pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;
	pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
	pub const HOURS: BlockNumber = MINUTES * 60;
	pub const DAYS: BlockNumber = HOURS * 24;
}

/// Units of the native token, BTN, which has 12 decimals.
pub mod currency {
	use super::Balance;

	pub const UNIT: Balance = 1_000_000_000_000;
	pub const MILLI_UNIT: Balance = UNIT / 1_000;
	pub const MICRO_UNIT: Balance = UNIT / 1_000_000;
	/// The smallest balance an account may hold.
	pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;
	/// Token symbol shown by wallets.
	pub const TOKEN_SYMBOL: &str = "BTN";
	/// Decimals shown by wallets.
	pub const TOKEN_DECIMALS: u8 = 12;

	/// Deposit for keeping `items` storage items of `bytes` bytes in state.
	pub const fn deposit(items: u32, bytes: u32) -> Balance {
		items as Balance * 100 * MILLI_UNIT + bytes as Balance * 10 * MICRO_UNIT
	}
}

/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// A block with justifications, as stored by the node.
pub type SignedBlock = generic::SignedBlock<Block>;
/// BlockId type as expected by this runtime.
pub type BlockId = generic::BlockId<Block>;

/// The checks every transaction goes through. `CheckMetadataHash` lets a wallet prove that it
/// showed the user the metadata this runtime was built with.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// The checks of a transaction as a client without the metadata hash fills them in: immortal,
/// no tip. The `baton` program signs with them, and so does the runtime's fuzzer.
pub fn immortal_tx_extension(nonce: Nonce) -> TxExtension {
	(
		frame_system::CheckNonZeroSender::new(),
		frame_system::CheckSpecVersion::new(),
		frame_system::CheckTxVersion::new(),
		frame_system::CheckGenesis::new(),
		frame_system::CheckEra::from(generic::Era::Immortal),
		frame_system::CheckNonce::from(nonce),
		frame_system::CheckWeight::new(),
		pallet_transaction_payment::ChargeTransactionPayment::from(0),
		frame_metadata_hash_extension::CheckMetadataHash::new(false),
		frame_system::WeightReclaim::new(),
	)
}

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations run on the next runtime upgrade.
#[cfg(not(feature = "upgrade-rehearsal"))]
type Migrations = ();
/// The upgrade rehearsal's: from spec_version 100, whose requests it marks so.
#[cfg(feature = "upgrade-rehearsal")]
type Migrations =
	(pallet_gateway::migrations::v1::MigrateToV1<Runtime, frame_support::traits::ConstU32<100>>,);

/// Executive: handles dispatch to the various pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;
	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;
	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	// Governance.
	#[runtime::pallet_index(10)]
	pub type Council = pallet_collective<Instance1>;
	#[runtime::pallet_index(11)]
	pub type Treasury = pallet_treasury;
	#[runtime::pallet_index(12)]
	pub type Preimage = pallet_preimage;
	#[runtime::pallet_index(13)]
	pub type Scheduler = pallet_scheduler;
	#[runtime::pallet_index(14)]
	pub type Referenda = pallet_referenda;
	#[runtime::pallet_index(15)]
	pub type ConvictionVoting = pallet_conviction_voting;
	#[runtime::pallet_index(16)]
	pub type GovernancePeriods = crate::governance_periods;

	// Baton: operator economics.
	#[runtime::pallet_index(20)]
	pub type OperatorStaking = pallet_operator_staking;
	#[runtime::pallet_index(21)]
	pub type Slashing = pallet_slashing;
	#[runtime::pallet_index(22)]
	pub type Reputation = pallet_reputation;
	#[runtime::pallet_index(23)]
	pub type Escrow = pallet_escrow;
	#[runtime::pallet_index(24)]
	pub type Gateway = pallet_gateway;
	#[runtime::pallet_index(25)]
	pub type Handover = pallet_handover;
	#[runtime::pallet_index(26)]
	pub type Relay = pallet_relay;
}
