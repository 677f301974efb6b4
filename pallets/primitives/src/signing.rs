//! What a gateway key signs, byte for byte. Every message starts with its own `baton/` tag and
//! binds the chain's genesis hash and the operator, so no signature passes for another kind,
//! for another operator, or on another chain.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{Checkpoint, GatewayKey, RequestId, ResultStatus, SessionId};

/// The key type of gateway keys in a node's keystore.
pub const GATEWAY_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"gate");

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

/// The bytes an operator's gateway key signs for a result: the SCALE encoding of
/// `("baton/receipt", genesis_hash, request_id, request_hash, response_hash, status, operator)`
/// (the tag is 13 raw bytes, the hashes 32 each). Bound to the chain (its genesis hash) and to
/// what was asked (the request's content hash), a receipt cannot be replayed on another chain,
/// nor for another request that got the same id on another fork. A client holding the
/// operator's gateway key can check a receipt with these bytes alone.
pub fn receipt_message<AccountId: Encode, Hash: Encode>(
	genesis_hash: &Hash,
	request_id: RequestId,
	request_hash: &[u8; 32],
	response_hash: &[u8; 32],
	status: &ResultStatus,
	operator: &AccountId,
) -> Vec<u8> {
	(b"baton/receipt", genesis_hash, request_id, request_hash, response_hash, status, operator)
		.encode()
}

/// The bytes a checkpoint's signature covers: the SCALE encoding of `("baton/checkpoint",
/// genesis_hash, request_id, request_hash, completed_steps, state_hash, operator)`.
pub fn checkpoint_message<AccountId: Encode, Hash: Encode>(
	genesis_hash: &Hash,
	request_id: RequestId,
	checkpoint: &Checkpoint,
	operator: &AccountId,
) -> Vec<u8> {
	(
		b"baton/checkpoint",
		genesis_hash,
		request_id,
		checkpoint.request_hash,
		checkpoint.completed_steps,
		checkpoint.state_hash,
		operator,
	)
		.encode()
}

/// Whether `checkpoint` is bound to this chain and to request `request_id` whose content hash
/// is `request_hash`, and signed by `key` for `operator`.
pub fn checkpoint_verifies<AccountId: Encode, Hash: Encode>(
	genesis_hash: &Hash,
	request_id: RequestId,
	request_hash: &[u8; 32],
	checkpoint: &Checkpoint,
	operator: &AccountId,
	key: &GatewayKey,
) -> bool {
	&checkpoint.request_hash == request_hash
		&& checkpoint.completed_steps <= 1
		&& signed_by_gateway_key(
			key,
			&checkpoint_message(genesis_hash, request_id, checkpoint, operator),
			&checkpoint.signature,
		)
}

/// Whether `signature` is gateway key `key`'s ed25519 signature over `message`.
pub fn signed_by_gateway_key(key: &GatewayKey, message: &[u8], signature: &[u8; 64]) -> bool {
	sp_io::crypto::ed25519_verify(
		&sp_core::ed25519::Signature::from_raw(*signature),
		message,
		&sp_core::ed25519::Public::from_raw(*key),
	)
}

/// The genesis hash of the chain the runtime runs on, which receipts and checkpoints bind:
/// frame-system records it as block 0's hash when block 1 begins.
pub fn genesis_hash<T: frame_system::Config>() -> T::Hash {
	frame_system::Pallet::<T>::block_hash(frame_system::pallet_prelude::BlockNumberFor::<T>::from(
		0u32,
	))
}

/// The bytes a client's account key signs for one relayed call, its ticket: the SCALE encoding
/// of `("baton/ticket", genesis_hash, session_id, sequence, operator, request_hash, calls,
/// amount)`. `calls` and `amount` are the cumulative voucher: how many calls the client has
/// made to `operator` in the session, this one included, and what it owes it for them. The
/// operator's node claims the best voucher it holds with these bytes' signature.
#[allow(clippy::too_many_arguments, reason = "the fields of one signed message")]
pub fn ticket_message<AccountId: Encode, Hash: Encode, Balance: Encode>(
	genesis_hash: &Hash,
	session_id: SessionId,
	sequence: u64,
	operator: &AccountId,
	request_hash: &[u8; 32],
	calls: u64,
	amount: &Balance,
) -> Vec<u8> {
	(b"baton/ticket", genesis_hash, session_id, sequence, operator, request_hash, calls, amount)
		.encode()
}

/// The bytes an operator's gateway key signs for its answer to a relayed call, its relay
/// receipt: the SCALE encoding of `("baton/relay-receipt", genesis_hash, session_id, sequence,
/// request_hash, response_hash, status, answered_at)`. `answered_at`, the node's best block when
/// it answered, dates the answer: a challenge is taken only within a window after it.
#[allow(clippy::too_many_arguments, reason = "the fields of one signed message")]
pub fn relay_receipt_message<Hash: Encode>(
	genesis_hash: &Hash,
	session_id: SessionId,
	sequence: u64,
	request_hash: &[u8; 32],
	response_hash: &[u8; 32],
	status: &ResultStatus,
	answered_at: u32,
) -> Vec<u8> {
	(
		b"baton/relay-receipt",
		genesis_hash,
		session_id,
		sequence,
		request_hash,
		response_hash,
		status,
		answered_at,
	)
		.encode()
}

/// What a client sends with a relayed call, in its `Baton-Ticket` header (the hex of its SCALE
/// encoding): everything its signature covers but the request's hash, which the operator's
/// node computes from the request it received ([`relay_request_hash`]).
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct RelayTicket<AccountId, Balance> {
	/// The chain's genesis hash.
	pub genesis_hash: [u8; 32],
	/// The session the call is made in.
	pub session_id: SessionId,
	/// The call's number in the session, unique across its operators.
	pub sequence: u64,
	/// The operator the call goes to.
	pub operator: AccountId,
	/// Calls the client has made to the operator in the session, this one included.
	pub calls: u64,
	/// What the client owes the operator for them, protocol fees included.
	pub amount: Balance,
}

impl<AccountId: Encode, Balance: Encode> RelayTicket<AccountId, Balance> {
	/// The bytes the client signed for this ticket and a request of hash `request_hash`.
	pub fn message(&self, request_hash: &[u8; 32]) -> Vec<u8> {
		ticket_message(
			&self.genesis_hash,
			self.session_id,
			self.sequence,
			&self.operator,
			request_hash,
			self.calls,
			&self.amount,
		)
	}
}

/// Starts the bytes a relayed call's hash is taken over.
pub const RELAY_REQUEST_TAG: [u8; 19] = *b"baton/relay-request";

/// The hash of a relayed call, which its ticket and its receipt bind: blake2-256 of the SCALE
/// encoding of `("baton/relay-request", method, path, headers, body)`, the method upper-case
/// ASCII, the path with its query as sent, the headers the client signed as (lower-case name,
/// value) in the order it named them.
/// `headers` is anything that encodes as a `Vec<(Vec<u8>, Vec<u8>)>` does (bounded vectors do).
pub fn relay_request_hash<Headers: Encode + ?Sized>(
	method: &[u8],
	path: &[u8],
	headers: &Headers,
	body: &[u8],
) -> [u8; 32] {
	sp_io::hashing::blake2_256(&(RELAY_REQUEST_TAG, method, path, headers, body).encode())
}

/// What an operator's node answers a relayed call with, in its `Baton-Receipt` header; its
/// gateway key signs [`RelayReceipt::message`].
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct RelayReceipt {
	/// The session.
	pub session_id: SessionId,
	/// The call's number in the session.
	pub sequence: u64,
	/// The hash of the call ([`relay_request_hash`]).
	pub request_hash: [u8; 32],
	/// blake2-256 of the body answered.
	pub response_hash: [u8; 32],
	/// What the upstream gave.
	pub status: ResultStatus,
	/// The node's best block when it answered. A client takes no receipt dated before its own
	/// best block when it sent the call (a few blocks' lag allowed): an earlier date would close
	/// the receipt's challenge window early.
	pub answered_at: u32,
}

impl RelayReceipt {
	/// The bytes the gateway key signs: [`relay_receipt_message`] on the chain of
	/// `genesis_hash`.
	pub fn message<Hash: Encode>(&self, genesis_hash: &Hash) -> Vec<u8> {
		relay_receipt_message(
			genesis_hash,
			self.session_id,
			self.sequence,
			&self.request_hash,
			&self.response_hash,
			&self.status,
			self.answered_at,
		)
	}
}

/// A relay receipt with its gateway key's signature, as evidence on-chain
/// (`report_equivocation`, `challenge`).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct SignedRelayReceipt {
	/// The receipt.
	pub receipt: RelayReceipt,
	/// ed25519 signature by the operator's gateway key over [`RelayReceipt::message`].
	pub signature: [u8; 64],
}

impl SignedRelayReceipt {
	/// Whether gateway key `key` signed the receipt on the chain of `genesis_hash`.
	pub fn signed_by<Hash: Encode>(&self, key: &GatewayKey, genesis_hash: &Hash) -> bool {
		signed_by_gateway_key(key, &self.receipt.message(genesis_hash), &self.signature)
	}
}

/// The best voucher an operator holds: the ticket of a call the client made to it, which counts
/// every call so far. The client's signature covers [`ticket_message`] for the session and
/// the operator claiming.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Voucher<Balance, Signature> {
	/// The call's sequence number in the session.
	pub sequence: u64,
	/// The hash of the call's request.
	pub request_hash: [u8; 32],
	/// Calls the client made to the operator in the session, this one included.
	pub calls: u64,
	/// What the client owes the operator for them, protocol fees included.
	pub amount: Balance,
	/// The client's signature.
	pub signature: Signature,
}

/// What an operator's node keeps for a session it serves, under
/// [`crate::offchain::keys::relay_voucher_key`]: its best voucher and the calls it answered.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct ServedVoucher<Balance, Signature> {
	/// The voucher with the highest amount the node received.
	pub voucher: Voucher<Balance, Signature>,
	/// Calls the node answered in the session.
	pub served: u64,
}
