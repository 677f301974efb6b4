//! Sealing and opening secrets with HPKE (RFC 9180, base mode): DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256, ChaCha20-Poly1305. Publishers seal (the `baton` program); operators' nodes open
//! in their egress client, so an opened secret exists only in the node's memory for the call.

use std::{collections::HashMap, sync::Arc};

use baton_primitives::{
	egress::{is_reserved_header, is_valid_header, is_valid_path},
	sealing::{
		ApiSecret, CallEnvelope, EncryptionKey, Envelope, SealedCall, SealedCallRequest,
		SealedSecret,
	},
};
use codec::{Decode, DecodeAll, Encode};
use hpke::{
	aead::ChaCha20Poly1305, kdf::HkdfSha256, kem::X25519HkdfSha256, Deserializable, Kem, OpModeR,
	OpModeS, Serializable,
};
use parking_lot::Mutex;

/// An X25519 secret key: a node's, or a client's to open what is sealed to it.
pub type PrivateKey = <X25519HkdfSha256 as Kem>::PrivateKey;

/// Why a secret could not be sealed.
#[derive(Debug, PartialEq, Eq)]
pub enum SealError {
	/// The recipient is not a valid X25519 public key.
	BadRecipient,
	/// The secret is longer than an envelope holds.
	TooLong,
}

impl std::fmt::Display for SealError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(match self {
			SealError::BadRecipient => "the recipient is not an X25519 public key",
			SealError::TooLong => "the secret is longer than an envelope holds (1 KiB)",
		})
	}
}

/// The X25519 key pair a node derives from the seed of its `seal` key: HPKE's `DeriveKeyPair`
/// of the seed under Baton's label, so the same seed gives the same key on every node.
pub fn derive_key(seed: &[u8; 32]) -> (PrivateKey, EncryptionKey) {
	let ikm = [&b"baton/seal-key"[..], seed].concat();
	let (secret, public) = X25519HkdfSha256::derive_keypair(&ikm);
	let mut key = [0; 32];
	key.copy_from_slice(&public.to_bytes());
	(secret, key)
}

/// The encryption key of `seed`, as an operator publishes it in its profile.
pub fn encryption_key(seed: &[u8; 32]) -> EncryptionKey {
	derive_key(seed).1
}

/// Seals `plaintext` to `recipient` under `info`: HPKE's encapsulated key and the ciphertext.
pub fn seal_bytes(
	recipient: &EncryptionKey,
	info: &[u8],
	plaintext: &[u8],
) -> Result<([u8; 32], Vec<u8>), SealError> {
	let public = <X25519HkdfSha256 as Kem>::PublicKey::from_bytes(recipient)
		.map_err(|_| SealError::BadRecipient)?;
	let (encapped, ciphertext) =
		hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256, _>(
			&OpModeS::Base,
			&public,
			info,
			plaintext,
			&[],
			&mut rand_core::OsRng,
		)
		.map_err(|_| SealError::BadRecipient)?;
	let mut encapped_bytes = [0; 32];
	encapped_bytes.copy_from_slice(&encapped.to_bytes());
	Ok((encapped_bytes, ciphertext))
}

/// Seals `plaintext` to `recipient` under `info` (what the envelope is bound to).
pub fn seal(
	recipient: &EncryptionKey,
	info: &[u8],
	plaintext: &[u8],
) -> Result<Envelope, SealError> {
	let (encapped, ciphertext) = seal_bytes(recipient, info, plaintext)?;
	let ciphertext = ciphertext.try_into().map_err(|_| SealError::TooLong)?;
	Ok(Envelope { recipient: *recipient, encapped, ciphertext })
}

/// Seals a request's call to operator key `recipient` under `info` (a client's step).
pub fn seal_call(
	recipient: &EncryptionKey,
	info: &[u8],
	call: &SealedCall,
) -> Result<CallEnvelope, SealError> {
	let (encapped, ciphertext) = seal_bytes(recipient, info, &call.encode())?;
	let ciphertext = ciphertext.try_into().map_err(|_| SealError::TooLong)?;
	Ok(CallEnvelope { recipient: *recipient, encapped, ciphertext })
}

/// Seals a response body to a client's key: the encapsulated key, then the ciphertext, as the
/// report carries it.
pub fn seal_response(
	client_key: &EncryptionKey,
	info: &[u8],
	body: &[u8],
) -> Result<Vec<u8>, SealError> {
	let (encapped, ciphertext) = seal_bytes(client_key, info, body)?;
	Ok([&encapped[..], &ciphertext].concat())
}

/// Opens a sealed response with the client's secret; `None` if it was sealed to another key or
/// under another `info`, or altered.
pub fn open_response(secret: &PrivateKey, info: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
	let (encapped, ciphertext) = sealed.split_first_chunk::<32>()?;
	open_bytes(secret, encapped, ciphertext, info)
}

/// Opens `envelope` with `secret` under `info`; `None` if it was sealed to another key or under
/// another `info`, or altered.
pub fn open(secret: &PrivateKey, envelope: &Envelope, info: &[u8]) -> Option<Vec<u8>> {
	open_bytes(secret, &envelope.encapped, &envelope.ciphertext, info)
}

fn open_bytes(
	secret: &PrivateKey,
	encapped: &[u8; 32],
	ciphertext: &[u8],
	info: &[u8],
) -> Option<Vec<u8>> {
	let encapped = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(encapped).ok()?;
	hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
		&OpModeR::Base,
		secret,
		&encapped,
		info,
		ciphertext,
		&[],
	)
	.ok()
}

/// Seals an API secret: [`ApiSecret`]'s SCALE encoding.
pub fn seal_api_secret(
	recipient: &EncryptionKey,
	info: &[u8],
	secret: &ApiSecret,
) -> Result<Envelope, SealError> {
	seal(recipient, info, &secret.encode())
}

/// Where a node's `seal` keys come from: its keystore.
pub trait SealSeeds: Send + Sync {
	/// The public keys (ed25519) of the `seal` keys the node holds.
	fn public_keys(&self) -> Vec<[u8; 32]>;
	/// The seed of `seal` key `public`.
	fn seed(&self, public: &[u8; 32]) -> Option<[u8; 32]>;
}

/// A node's encryption keys, derived once per `seal` key: a keystore derives a pair from its
/// secret phrase at every use, milliseconds each.
pub struct OpeningKeys {
	seeds: Arc<dyn SealSeeds>,
	/// By `seal` key: the encryption key derived from it and its secret.
	derived: Mutex<HashMap<[u8; 32], (EncryptionKey, PrivateKey)>>,
}

impl OpeningKeys {
	/// The keys of `seeds`.
	pub fn new(seeds: Arc<dyn SealSeeds>) -> Self {
		Self { seeds, derived: Default::default() }
	}

	/// Opens `sealed` into the API secret it holds, with whichever of the node's keys it is
	/// sealed to (old ones too: a rotated key still opens what was sealed to it).
	pub fn open_api_secret(&self, sealed: &SealedSecret) -> Option<ApiSecret> {
		let secret = self.secret_for(&sealed.envelope.recipient)?;
		let plaintext = open(&secret, &sealed.envelope, &sealed.info)?;
		ApiSecret::decode(&mut &plaintext[..]).ok()
	}

	/// Opens a sealed request's call: `None` unless it opens with one of the node's keys, is
	/// the content its client committed to, and keeps the chain's bounds on a plain request
	/// (a path exactly when the request's is sealed).
	pub fn open_call(&self, sealed: &SealedCallRequest) -> Option<SealedCall> {
		let envelope = &sealed.envelope;
		let secret = self.secret_for(&envelope.recipient)?;
		let plaintext =
			open_bytes(&secret, &envelope.encapped, &envelope.ciphertext, &sealed.info)?;
		let call = SealedCall::decode_all(&mut &plaintext[..]).ok()?;
		if call.content_hash() != sealed.content_hash {
			return None;
		}
		let header_fits = |(name, value): &(Vec<u8>, Vec<u8>)| {
			name.len() <= sealed.max_header_len as usize
				&& value.len() <= sealed.max_header_len as usize
				&& is_valid_header(name, value)
				&& !is_reserved_header(name)
		};
		// A sealed path goes after the API's base URL, so it must be one the chain would take
		// in public; a public path's call must not bring a second one.
		let path_fits = if sealed.path_sealed {
			call.path.len() <= sealed.max_path_len as usize && is_valid_path(&call.path)
		} else {
			call.path.is_empty()
		};
		(path_fits
			&& call.headers.len() <= sealed.max_headers as usize
			&& call.headers.iter().all(header_fits)
			&& call.body.len() <= sealed.max_body_len as usize)
			.then_some(call)
	}

	/// The secret of the node's encryption key `recipient`, derived once per `seal` key.
	fn secret_for(&self, recipient: &EncryptionKey) -> Option<PrivateKey> {
		let mut derived = self.derived.lock();
		if !derived.values().any(|(key, _)| key == recipient) {
			for public in self.seeds.public_keys() {
				if derived.contains_key(&public) {
					continue;
				}
				if let Some(seed) = self.seeds.seed(&public) {
					let (secret, key) = derive_key(&seed);
					derived.insert(public, (key, secret));
				}
			}
		}
		derived
			.values()
			.find(|(key, _)| key == recipient)
			.map(|(_, secret)| secret.clone())
	}
}

/// Adds `secret` to a call: a header, or a query parameter appended to `url`, its value
/// percent-encoded.
pub fn apply(secret: ApiSecret, url: &mut Vec<u8>, headers: &mut Vec<(Vec<u8>, Vec<u8>)>) {
	match secret {
		ApiSecret::Header { name, value } => headers.push((name, value)),
		ApiSecret::Query { name, value } => {
			let fragment = url.iter().position(|c| *c == b'#').unwrap_or(url.len());
			let tail = url.split_off(fragment);
			url.push(if url.contains(&b'?') { b'&' } else { b'?' });
			url.extend(percent_encode(&name));
			url.push(b'=');
			url.extend(percent_encode(&value));
			url.extend(tail);
		},
	}
}

/// `bytes` with everything but RFC 3986's unreserved characters percent-encoded.
fn percent_encode(bytes: &[u8]) -> Vec<u8> {
	let mut out = Vec::with_capacity(bytes.len());
	for &byte in bytes {
		if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
			out.push(byte);
		} else {
			out.extend(format!("%{byte:02X}").bytes());
		}
	}
	out
}
