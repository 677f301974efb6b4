//! Types and traits shared by Baton's pallets.
//!
//! Pallets never call each other directly: operator staking, slashing, reputation, escrow,
//! gateway and handover meet only through the traits below, and the runtime wires them.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::pallet_prelude::DispatchError;
use scale_info::TypeInfo;
use sp_runtime::Perbill;

/// Identifies a registered API.
pub type ApiId = u32;

/// The ed25519 public key an operator's node signs with (key type `gate`).
pub type GatewayKey = [u8; 32];

/// The key type of gateway keys in a node's keystore.
pub const GATEWAY_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"gate");

/// An ed25519 signature by a gateway key over [`key_ownership_message`]: an operator's proof,
/// at `bond`, that it holds the key it binds.
pub type KeyProof = [u8; 64];

/// Starts every key-ownership message, so that no other signature by a gateway key (a receipt,
/// a transaction) can pass for a proof.
pub const KEY_OWNERSHIP_TAG: [u8; 19] = *b"baton/key-ownership";

/// The bytes a gateway key signs to prove that `operator` holds it on the chain whose genesis
/// hash is `genesis_hash`: the SCALE encoding of `(KEY_OWNERSHIP_TAG, operator, genesis_hash)`.
/// Fixed-size values encode without length prefixes, so in Baton's runtime these are 83 bytes:
/// the 19 ASCII bytes `baton/key-ownership`, the 32-byte account id, the 32-byte genesis hash.
/// Binding the operator makes a proof useless to anyone who copies it from the pool; binding
/// the genesis hash makes it useless on another chain.
pub fn key_ownership_message<AccountId: Encode, Hash: Encode>(
	operator: &AccountId,
	genesis_hash: &Hash,
) -> alloc::vec::Vec<u8> {
	(KEY_OWNERSHIP_TAG, operator, genesis_hash).encode()
}

/// The gateway key as an application key: ed25519 under key type `gate`.
pub mod crypto {
	use sp_runtime::{
		app_crypto::{app_crypto, ed25519},
		MultiSignature, MultiSigner,
	};
	app_crypto!(ed25519, super::GATEWAY_KEY_TYPE);

	/// Signs offchain transactions with the node's gateway key.
	pub struct GatewayAuthId;

	impl frame_system::offchain::AppCrypto<MultiSigner, MultiSignature> for GatewayAuthId {
		type RuntimeAppPublic = Public;
		type GenericPublic = sp_core::ed25519::Public;
		type GenericSignature = sp_core::ed25519::Signature;
	}
}

/// What an operator did wrong.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum OffenceKind {
	/// Let a request's deadline pass without a result (abandoned it).
	MissedDeadline,
	/// Missed too many heartbeats in a row.
	Offline,
	/// Reported a result that a quorum of other operators outvoted.
	WrongResult,
	/// Handed a request over with a checkpoint that does not verify.
	InvalidCheckpoint,
	/// Reported two different results for one request.
	Equivocation,
}

impl OffenceKind {
	/// Every kind, in declaration order.
	pub const ALL: [OffenceKind; 5] = [
		OffenceKind::MissedDeadline,
		OffenceKind::Offline,
		OffenceKind::WrongResult,
		OffenceKind::InvalidCheckpoint,
		OffenceKind::Equivocation,
	];
}

/// What an offence is about: a request id, or for `Offline` the block of the last heartbeat.
/// Together with the kind and the offender it makes an offence unique.
pub type OffenceSubject = [u8; 32];

/// Why an offence report was not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum OffenceError {
	/// This (kind, subject, offender) was reported before.
	Duplicate,
	/// The offender is not a bonded operator.
	UnknownOffender,
}

/// Reports offences; implemented by the slashing pallet.
pub trait ReportOffence<AccountId> {
	/// Records an offence. `beneficiary` is who gets the reporter's share of the slash: the
	/// operator that took the work over, or the reporter.
	fn report_offence(
		kind: OffenceKind,
		subject: OffenceSubject,
		offender: &AccountId,
		beneficiary: Option<AccountId>,
	) -> Result<(), OffenceError>;
}

/// The stake behind operators, as slashing sees it; implemented by operator staking.
pub trait SlashTarget<AccountId, BlockNumber> {
	/// Balance type of the stake.
	type Balance;
	/// Funds taken by a slash, to be paid onwards.
	type Credit;

	/// Stake that a slash can take now: bonded plus still-unbonding.
	fn slashable_stake(who: &AccountId) -> Self::Balance;

	/// Takes up to `amount` of `who`'s stake, bonded first, then unbonding chunks.
	fn slash(who: &AccountId, amount: Self::Balance) -> Self::Credit;

	/// Stops routing to `who` until block `until`, after which it must `activate` again.
	fn jail(who: &AccountId, until: BlockNumber) -> Result<(), DispatchError>;

	/// The block `who`'s jail ends at, if it is jailed.
	fn jailed_until(who: &AccountId) -> Option<BlockNumber>;

	/// Shortens `who`'s jail to end at `until` (at once if `until` has passed) because the
	/// offence behind it was cancelled; never lengthens it.
	fn lift_jail(who: &AccountId, until: BlockNumber);
}

/// Whether an operator's stake is still owed to a slash; implemented by the slashing pallet.
pub trait PendingSlash<AccountId> {
	/// Whether an offence of `who` was reported whose slash has neither landed nor been
	/// cancelled: until then none of its stake may leave.
	fn has_pending_slash(who: &AccountId) -> bool;
}

/// Operators as routing and deadlines see them; implemented by operator staking.
pub trait OperatorRouting<AccountId> {
	/// Balance type of the stake.
	type Balance;

	/// Whether `who`'s heartbeats are on time (false for non-operators).
	fn is_online(who: &AccountId) -> bool;

	/// How many operators serving `api` are available now: the slots `available_at` fills.
	fn available_count(api: ApiId) -> u32;

	/// The available operator serving `api` in `slot` (below `available_count`). Slots follow
	/// no order worth anything: routing draws them at random.
	fn available_at(api: ApiId, slot: u32) -> Option<AccountId>;

	/// What routing needs of `who`, if it may be given work now.
	fn candidate(who: &AccountId) -> Option<Candidate<Self::Balance>>;
}

/// Gateway keys and the operators that bound them, for whoever checks what a key signed;
/// implemented by operator staking.
pub trait GatewayKeys<AccountId> {
	/// The gateway key `who` signs results with.
	fn gateway_key(who: &AccountId) -> Option<GatewayKey>;

	/// The operator that bound `key`.
	fn operator_of(key: &GatewayKey) -> Option<AccountId>;

	/// The account a gateway key signs transactions as.
	fn signer_of(key: &GatewayKey) -> AccountId;

	/// The operator whose gateway key signs transactions as `signer`, and that key.
	fn operator_of_signer(signer: &AccountId) -> Option<(AccountId, GatewayKey)>;
}

/// An operator that may be given work, as routing sees it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Candidate<Balance> {
	/// Stake bonded.
	pub bonded: Balance,
	/// Concurrent requests it may take.
	pub capacity: u32,
	/// The key its node signs with.
	pub gateway_key: GatewayKey,
}

/// An outcome of a request for one operator, fed to reputation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
	/// Its result was in the majority; `latency_ms` is what it reported.
	Completed { latency_ms: u32 },
	/// Its result was outvoted, missing or a failure.
	Failed,
	/// It handed the request over to another operator.
	HandedOver,
	/// It took the request over from another operator.
	TookOver,
}

/// Takes outcomes into reputation; implemented by the reputation pallet.
pub trait ReputationSink<AccountId> {
	/// Records `outcome` for `who`, overall and for `api`.
	fn record(who: &AccountId, api: ApiId, outcome: Outcome);
}

/// A Beta(α, β) success score and latency, as routing reads them.
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ReputationView {
	/// Success evidence α (including the prior), in millionths.
	pub alpha_micros: u64,
	/// Failure evidence β (including the prior), in millionths.
	pub beta_micros: u64,
	/// Mean of the Beta distribution: α / (α + β).
	pub score: Perbill,
	/// Moving average of reported latency, in milliseconds; 0 before any result.
	pub latency_ms: u32,
}

/// Reads reputation; implemented by the reputation pallet.
pub trait ReputationSource<AccountId> {
	/// Reputation of `who` overall.
	fn reputation(who: &AccountId) -> ReputationView;
	/// Reputation of `who` for `api`, or its overall reputation if it has none for `api` yet.
	fn reputation_for(who: &AccountId, api: ApiId) -> ReputationView;
}

/// An operator as clients and routing see it, served by [`OperatorApi`].
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct OperatorView<AccountId, Balance, BlockNumber> {
	/// The operator's account.
	pub operator: AccountId,
	/// The ed25519 key its node signs with.
	pub gateway_key: GatewayKey,
	/// Stake bonded.
	pub bonded: Balance,
	/// Stake unbonding: (amount, block it unlocks at).
	pub unbonding: alloc::vec::Vec<(Balance, BlockNumber)>,
	/// Whether routing may give it work now.
	pub available: bool,
	/// Whether it chose to be active (not chilled).
	pub active: bool,
	/// Whether its heartbeats are on time.
	pub online: bool,
	/// Block of its last heartbeat.
	pub last_heartbeat: BlockNumber,
	/// Jailed until this block, if jailed.
	pub jailed_until: Option<BlockNumber>,
	/// Concurrent requests it may take: declared capacity limited by stake.
	pub capacity: u32,
	/// Declared endpoint URL.
	pub endpoint: alloc::vec::Vec<u8>,
	/// Declared region code.
	pub region: [u8; 2],
	/// APIs it serves.
	pub apis: alloc::vec::Vec<ApiId>,
	/// Its reputation over all APIs.
	pub reputation: ReputationView,
}

sp_api::decl_runtime_apis! {
	/// Operators and their reputation, for wallets, dashboards and the `gateway_operators` RPC.
	pub trait OperatorApi<AccountId, Balance, BlockNumber>
	where
		AccountId: codec::Codec,
		Balance: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// One operator, if bonded.
		fn operator(who: AccountId) -> Option<OperatorView<AccountId, Balance, BlockNumber>>;
		/// The bonded operators that declared they serve `api` (their number is bounded by the
		/// runtime).
		fn operators(api: ApiId) -> alloc::vec::Vec<OperatorView<AccountId, Balance, BlockNumber>>;
	}
}

/// Identifies a client request; also the id of the escrow that pays for it.
pub type RequestId = u64;

/// Holds a payer's funds per escrow id until they are paid out or refunded; implemented by the
/// escrow pallet. Every call keeps the sum of open escrows equal to the funds held for them.
pub trait Escrow<AccountId, Balance> {
	/// Holds `amount` of `payer`'s free balance under escrow `id`, which must not be open.
	fn lock(id: RequestId, payer: &AccountId, amount: Balance) -> Result<(), DispatchError>;

	/// Pays `amount` of escrow `id` to `payee`.
	fn pay(id: RequestId, payee: &AccountId, amount: Balance) -> Result<(), DispatchError>;

	/// Returns what is left of escrow `id` to its payer and closes it; returns the amount.
	fn refund(id: RequestId) -> Balance;

	/// What escrow `id` still holds (zero if it is not open).
	fn held(id: RequestId) -> Balance;
}

pub mod egress;
pub mod gateway;
pub mod handover;
pub mod offchain;
pub mod offchain_keys;
pub use gateway::*;
pub use handover::*;
pub use offchain_keys::*;

/// Offchain signing for a test runtime `$runtime` whose accounts are `AccountId32` and whose
/// signatures are `MultiSignature`, as in Baton's runtime, so that an offchain worker under test
/// signs real transactions: declares `Extrinsic` and implements `SigningTypes`,
/// `CreateTransactionBase` and `CreateSignedTransaction`. A transaction carries its nonce in a
/// `CheckNonce` extension, and the signature covers the encoded call and that extension.
#[macro_export]
macro_rules! impl_test_offchain_signing {
	($runtime:ident, $call:ident) => {
		/// The extrinsics offchain workers submit in tests.
		pub type Extrinsic = sp_runtime::generic::UncheckedExtrinsic<
			sp_runtime::AccountId32,
			$call,
			sp_runtime::MultiSignature,
			frame_system::CheckNonce<$runtime>,
		>;

		impl frame_system::offchain::SigningTypes for $runtime {
			type Public = sp_runtime::MultiSigner;
			type Signature = sp_runtime::MultiSignature;
		}

		impl<C> frame_system::offchain::CreateTransactionBase<C> for $runtime
		where
			$call: From<C>,
		{
			type Extrinsic = Extrinsic;
			type RuntimeCall = $call;
		}

		impl<C> frame_system::offchain::CreateSignedTransaction<C> for $runtime
		where
			$call: From<C>,
		{
			fn create_signed_transaction<
				A: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
			>(
				call: $call,
				public: sp_runtime::MultiSigner,
				account: sp_runtime::AccountId32,
				nonce: <$runtime as frame_system::Config>::Nonce,
			) -> Option<Extrinsic> {
				let extension = frame_system::CheckNonce::<$runtime>::from(nonce);
				let signature = A::sign(&codec::Encode::encode(&(&call, &extension)), public)?;
				Some(Extrinsic::new_signed(call, account, signature, extension))
			}
		}
	};
}
