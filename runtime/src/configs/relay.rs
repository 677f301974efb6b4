//! Relay sessions, the fast path: a session is routed and escrowed once, its calls go straight
//! to the operators' nodes, and each operator claims once for all the calls it served.

use frame_support::traits::ConstU32;

use super::TreasuryAccount;
use crate::{
	time::{DAYS, HOURS, MINUTES},
	Balances, Escrow, Gateway, Handover, OperatorStaking, Reputation, Runtime, Signature, Slashing,
};

impl pallet_relay::Config for Runtime {
	type Currency = Balances;
	type Escrow = Escrow;
	type Router = Gateway;
	type Operators = OperatorStaking;
	type Handovers = Handover;
	type Reputation = Reputation;
	type Offences = Slashing;
	type Reruns = Gateway;
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
	// A client's report fills one handover log, as many records as a request's.
	type MaxReportHandovers = ConstU32<{ super::gateway::MAX_HANDOVERS }>;
	// A verdict needs two operators other than the challenged one to agree.
	type MinChallengeRedundancy = ConstU32<3>;
	// The longest response an API may declare (the gateway's `MaxResponseLen`).
	type MaxResponseLen = ConstU32<{ super::gateway::MAX_RESPONSE_LEN }>;
	// Two minutes: the re-execution then asks the upstream nearly when the call did. Answers
	// that change faster are for the API's ignored fields.
	type ChallengeWindow = ConstU32<{ 2 * MINUTES }>;
	type MaxTasksPerBlock = ConstU32<64>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = super::BenchmarkOperators;
	type WeightInfo = pallet_relay::weights::SubstrateWeight<Runtime>;
}

/// The key type of the relay benchmarks' clients in the benchmark keystore: sr25519 account
/// keys, apart from every real key type.
#[cfg(feature = "runtime-benchmarks")]
const BENCHMARK_CLIENT: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"bcli");

/// The relay benchmarks' API (served by as many operators as routing looks at, through the
/// gateway) and clients (sr25519 keys in the benchmark keystore, funded through balances).
#[cfg(feature = "runtime-benchmarks")]
impl pallet_relay::BenchmarkHelper<crate::AccountId, Signature, pallet_gateway::NewRequest<Runtime>>
	for super::BenchmarkOperators
{
	fn busiest_api() -> baton_primitives::ApiId {
		pallet_gateway::benchmarking::busiest_api::<Runtime>()
	}

	fn client(_i: u32) -> crate::AccountId {
		use frame_support::traits::fungible::Mutate;
		use sp_runtime::traits::IdentifyAccount;
		let public = sp_io::crypto::sr25519_generate(BENCHMARK_CLIENT, None);
		let who = sp_runtime::MultiSigner::from(public).into_account();
		let _ = Balances::mint_into(&who, 1_000_000 * crate::currency::UNIT);
		who
	}

	fn sign(client: &crate::AccountId, message: &[u8]) -> Signature {
		let public = sp_core::sr25519::Public::from_raw(*client.as_ref());
		sp_io::crypto::sr25519_sign(BENCHMARK_CLIENT, &public, message)
			.expect("the client's key is in the benchmark keystore")
			.into()
	}

	fn relayed_call() -> pallet_gateway::NewRequest<Runtime> {
		use frame_support::traits::Get;
		type HeaderLen = <Runtime as pallet_gateway::Config>::MaxHeaderLen;
		let filled = |len: u32, byte: u8| alloc::vec![byte; len as usize];
		let mut path = filled(<Runtime as pallet_gateway::Config>::MaxPathLen::get(), b'a');
		path[0] = b'/';
		let header = (
			filled(HeaderLen::get(), b'x').try_into().expect("MaxHeaderLen"),
			filled(HeaderLen::get(), b'v').try_into().expect("MaxHeaderLen"),
		);
		let count: u32 = <Runtime as pallet_gateway::Config>::MaxHeaders::get();
		let headers = alloc::vec![header; count as usize];
		let now = frame_system::Pallet::<Runtime>::block_number();
		pallet_gateway::NewRequest {
			// Only a GET is challenged; it may carry a body all the same.
			method: pallet_gateway::HttpMethod::Get,
			path: path.try_into().expect("MaxPathLen"),
			headers: headers.try_into().expect("MaxHeaders"),
			body: filled(<Runtime as pallet_gateway::Config>::MaxBodyLen::get(), b'b')
				.try_into()
				.expect("MaxBodyLen"),
			redundancy: <Runtime as pallet_gateway::Config>::MaxRedundancy::get(),
			max_fee: 1_000 * crate::currency::UNIT,
			deadline: now.saturating_add(<Runtime as pallet_gateway::Config>::MaxDeadline::get()),
			sealed: None,
		}
	}
}
