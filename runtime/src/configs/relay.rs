//! Relay sessions, the fast path: a session is routed and escrowed once, its calls go straight
//! to the operators' nodes, and each operator claims once for all the calls it served.

use frame_support::traits::ConstU32;

use super::TreasuryAccount;
use crate::{
	time::{DAYS, HOURS, MINUTES},
	Balances, Escrow, Gateway, OperatorStaking, Runtime, Signature,
};

impl pallet_relay::Config for Runtime {
	type Currency = Balances;
	type Escrow = Escrow;
	type Router = Gateway;
	type Operators = OperatorStaking;
	type TicketSignature = Signature;
	type AuthorityId = baton_primitives::crypto::GatewayAuthId;
	type Treasury = TreasuryAccount;
	// Enough operators for a client to fail over to many times; routing draws them all at once.
	type MaxOperators = ConstU32<8>;
	type MinSessionBlocks = ConstU32<MINUTES>;
	type MaxSessionBlocks = ConstU32<DAYS>;
	// An operator whose node was down when its session closed has an hour to come back and
	// claim.
	type ClaimWindow = ConstU32<HOURS>;
	type MaxTasksPerBlock = ConstU32<64>;
	// Storage access at RocksDB costs until `scripts/benchmark-weights.sh pallet_relay` measures
	// the calls (docs/relay.md, "Where this stands").
	type WeightInfo = ();
}
