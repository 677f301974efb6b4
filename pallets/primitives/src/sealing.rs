//! Sealing: what the chain holds of secrets it must never read.
//!
//! Each operator has an X25519 **encryption key**. Its public half is in the operator's profile,
//! bound by a signature of the operator's gateway key over [`encryption_key_message`]. Its
//! secret half is derived in the node from an ed25519 seed kept in the keystore under key type
//! `seal` (inserted like the gateway key). An API publisher seals an API secret to each
//! operator that serves the API (HPKE, RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! ChaCha20-Poly1305). The chain stores the [`Envelope`], the worker hands it to the node's
//! egress client unopened, and only the node opens it, to add the secret to the upstream call:
//! the plaintext never enters the runtime, its state, its events or its logs.
//!
//! A client seals a request's headers and body (and its path, where the API keeps paths
//! confidential) the same way, to each operator routing chose ([`CallEnvelope`], bound by
//! [`sealed_call_info`]), and names its own key for the response: the node seals the body to it
//! under [`sealed_response_info`], and the receipt signs [`sealed_response_hash`] of the
//! plaintext's hash and the sealed bytes' hash.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;

use crate::ApiId;

/// The key type of the seeds of encryption keys in a node's keystore.
pub const SEAL_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"seal");

/// An X25519 public key.
pub type EncryptionKey = [u8; 32];

/// The longest sealed secret, in bytes of ciphertext: a secret of up to 1 KiB (a long bearer
/// token with its header's name) and the 16-byte tag.
pub const MAX_SEALED_BYTES: u32 = 1_040;

/// The longest sealed request, in bytes of ciphertext: the SCALE encoding of a [`SealedCall`]
/// of up to 16 KiB and the tag. The node refuses what is longer than the chain's own bounds on
/// headers and bodies once opened.
pub const MAX_SEALED_CALL_BYTES: u32 = 16_400;

/// What a sealed response adds to the body: HPKE's 32-byte encapsulated key before the
/// ciphertext, and the 16-byte tag after it.
pub const SEALED_RESPONSE_OVERHEAD: u32 = 48;

/// An operator's encryption key with its gateway key's signature over
/// [`encryption_key_message`].
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
	Debug,
)]
pub struct BoundEncryptionKey {
	/// The X25519 public key clients and publishers seal to.
	pub key: EncryptionKey,
	/// The gateway key's ed25519 signature binding it to the operator and the chain.
	pub proof: [u8; 64],
}

/// The bytes a gateway key signs to publish `key` as `operator`'s encryption key on the chain
/// whose genesis hash is `genesis_hash`: the SCALE encoding of `("baton/encryption-key",
/// operator, genesis_hash, key)`. Without it, anyone who can update a profile could not make
/// operators' clients seal to a key the operator's node does not hold, but a gateway key stolen
/// from another chain or operator could; the binding rules both out.
pub fn encryption_key_message<AccountId: Encode, Hash: Encode>(
	operator: &AccountId,
	genesis_hash: &Hash,
	key: &EncryptionKey,
) -> Vec<u8> {
	(b"baton/encryption-key", operator, genesis_hash, key).encode()
}

/// A secret sealed to one encryption key (HPKE base mode, single shot).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Envelope {
	/// The encryption key it is sealed to, so a node that rotated its key knows which to use.
	pub recipient: EncryptionKey,
	/// HPKE's encapsulated key: the sender's ephemeral X25519 public key.
	pub encapped: [u8; 32],
	/// The sealed secret and its tag.
	pub ciphertext: BoundedVec<u8, ConstU32<MAX_SEALED_BYTES>>,
}

/// HPKE's `info` for an API secret: the SCALE encoding of `("baton/api-secret", genesis_hash,
/// api_id, operator)`. An envelope opens only for the API, the operator and the chain it was
/// sealed for, so a publisher's envelope copied to another API or operator is useless.
pub fn api_secret_info<AccountId: Encode, Hash: Encode>(
	genesis_hash: &Hash,
	api_id: ApiId,
	operator: &AccountId,
) -> Vec<u8> {
	(b"baton/api-secret", genesis_hash, api_id, operator).encode()
}

/// An envelope for the node to open and add to an upstream call, with the `info` it was sealed
/// under.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct SealedSecret {
	/// What the chain stores.
	pub envelope: Envelope,
	/// [`api_secret_info`] of the call's API and operator on this chain.
	pub info: Vec<u8>,
}

/// What an API secret is, once opened: SCALE-encoded inside its envelope, so where it goes is
/// as private as its value.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub enum ApiSecret {
	/// A header added to every upstream call, e.g. `Authorization: Bearer …`.
	Header { name: Vec<u8>, value: Vec<u8> },
	/// A query parameter added to every upstream call's URL, e.g. `api_key=…`.
	Query { name: Vec<u8>, value: Vec<u8> },
}

/// A client's request content sealed to one operator (HPKE base mode, single shot): a
/// [`SealedCall`]'s SCALE encoding.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct CallEnvelope {
	/// The encryption key it is sealed to.
	pub recipient: EncryptionKey,
	/// HPKE's encapsulated key.
	pub encapped: [u8; 32],
	/// The sealed call and its tag.
	pub ciphertext: BoundedVec<u8, ConstU32<MAX_SEALED_CALL_BYTES>>,
}

/// What a client seals of a request: the headers and body the operator sends upstream, and the
/// path if its API keeps paths confidential.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, Default)]
pub struct SealedCall {
	/// The path appended to the API's base URL, for an API whose paths are confidential (the
	/// request's public path is then empty); empty otherwise.
	pub path: Vec<u8>,
	/// Headers sent upstream, as (name, value).
	pub headers: Vec<(Vec<u8>, Vec<u8>)>,
	/// Body sent upstream.
	pub body: Vec<u8>,
}

impl SealedCall {
	/// The hash a sealed request commits to: blake2-256 of the SCALE encoding. Every operator
	/// checks the call it opened against it, so a client cannot give operators different calls
	/// (and have the honest ones outvoted).
	pub fn content_hash(&self) -> [u8; 32] {
		sp_io::hashing::blake2_256(&self.encode())
	}
}

/// What a client names when it submits a sealed request.
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
	Debug,
)]
pub struct SealTerms {
	/// The client's X25519 key the response is sealed to.
	pub client_key: EncryptionKey,
	/// [`SealedCall::content_hash`] of what it will seal.
	pub content_hash: [u8; 32],
}

/// HPKE's `info` of a request's call sealed to `operator`: the SCALE encoding of
/// `("baton/sealed-call", genesis_hash, request_id, request_hash, operator)`. An envelope opens
/// only for the request, operator and chain it was sealed for.
pub fn sealed_call_info<AccountId: Encode, Hash: Encode>(
	genesis_hash: &Hash,
	request_id: crate::RequestId,
	request_hash: &[u8; 32],
	operator: &AccountId,
) -> Vec<u8> {
	(b"baton/sealed-call", genesis_hash, request_id, request_hash, operator).encode()
}

/// HPKE's `info` of the response `operator` seals to the client: the SCALE encoding of
/// `("baton/sealed-response", genesis_hash, request_id, request_hash, operator)`.
pub fn sealed_response_info<AccountId: Encode, Hash: Encode>(
	genesis_hash: &Hash,
	request_id: crate::RequestId,
	request_hash: &[u8; 32],
	operator: &AccountId,
) -> Vec<u8> {
	(b"baton/sealed-response", genesis_hash, request_id, request_hash, operator).encode()
}

/// The response hash a sealed request's receipt signs: blake2-256 of the SCALE encoding of
/// `("baton/sealed-response", plaintext_hash, sealed_hash)`, where `plaintext_hash` is the
/// blake2-256 of the body the upstream sent and `sealed_hash` of the bytes stored (the
/// encapsulated key, then the ciphertext). The client checks both once it opened the body.
pub fn sealed_response_hash(plaintext_hash: &[u8; 32], sealed_hash: &[u8; 32]) -> [u8; 32] {
	sp_io::hashing::blake2_256(&(b"baton/sealed-response", plaintext_hash, sealed_hash).encode())
}

/// A sealed request's call for the node to open, with what it is bound to.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct SealedCallRequest {
	/// What the chain stores for the operator.
	pub envelope: CallEnvelope,
	/// [`sealed_call_info`] of the request and operator on this chain.
	pub info: Vec<u8>,
	/// What the opened call must hash to.
	pub content_hash: [u8; 32],
	/// The chain's bounds on a plain request, which the opened call must keep: the most
	/// headers, ...
	pub max_headers: u32,
	/// ... bytes of a header's name or value, ...
	pub max_header_len: u32,
	/// ... bytes of body, ...
	pub max_body_len: u32,
	/// ... and bytes of path.
	pub max_path_len: u32,
	/// Whether the call carries the path (its request's public path is empty): it must then be
	/// a valid one, and must be empty otherwise.
	pub path_sealed: bool,
}

/// Where the node seals a response to: the client's key, under [`sealed_response_info`].
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ResponseSeal {
	/// The client's X25519 key.
	pub client_key: EncryptionKey,
	/// HPKE's `info`.
	pub info: Vec<u8>,
}

/// The application key whose seed the node derives the X25519 secret from: ed25519 under key
/// type `seal`, so `author_insertKey` and `baton-node key insert` store it like any key.
pub mod seal_crypto {
	use sp_runtime::app_crypto::{app_crypto, ed25519};
	app_crypto!(ed25519, super::SEAL_KEY_TYPE);
}
