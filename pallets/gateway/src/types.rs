//! APIs, requests and reports.

use baton_primitives::{sealing::SealTerms, ApiId, RequestStatus, ResultStatus};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::{BoundedVec, ConstU32},
	CloneNoBound, DebugNoBound, DefaultNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::Perbill;

use crate::{BalanceOf, Config};

/// An HTTP method a client may use.
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
pub enum HttpMethod {
	/// `GET`
	Get,
	/// `POST`
	Post,
	/// `PUT`
	Put,
	/// `PATCH`
	Patch,
	/// `DELETE`
	Delete,
}

impl HttpMethod {
	/// The method's name on the wire.
	pub fn as_str(&self) -> &'static str {
		match self {
			HttpMethod::Get => "GET",
			HttpMethod::Post => "POST",
			HttpMethod::Put => "PUT",
			HttpMethod::Patch => "PATCH",
			HttpMethod::Delete => "DELETE",
		}
	}
}

/// A JSON field name ignored when results are compared.
pub type FieldName = BoundedVec<u8, ConstU32<64>>;

/// What an API publisher declares about an API.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct ApiSpec<T: Config> {
	/// Where requests go: an `http://` or `https://` URL without a trailing `/`; a request's
	/// path is appended to it.
	pub base_url: BoundedVec<u8, T::MaxUrlLen>,
	/// Methods clients may use.
	pub methods: BoundedVec<HttpMethod, ConstU32<5>>,
	/// Paid to each operator whose result is in the majority.
	pub price_per_call: BalanceOf<T>,
	/// Longest response body an operator fetches, in bytes.
	pub max_response_bytes: u32,
	/// How long an operator waits for the upstream, in milliseconds.
	pub timeout_ms: u32,
	/// Operators a request gets when the client asks for redundancy 0.
	pub default_redundancy: u32,
	/// Only operators whose reputation score is at least this serve the API.
	pub min_reputation: Perbill,
	/// Top-level JSON fields dropped before results are compared (e.g. a timestamp).
	pub ignored_fields: BoundedVec<FieldName, T::MaxIgnoredFields>,
	/// Whether requests' paths are confidential (e.g. they name an account): requests must then
	/// be sealed, their path sealed with their headers and body, none in public. Relay calls
	/// carry theirs to the operator's node directly, as any relay call.
	pub confidential_path: bool,
}

/// A registered API.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct Api<T: Config> {
	/// Who registered it and may update or pause it.
	pub owner: T::AccountId,
	/// The storage deposit held from the owner.
	pub deposit: BalanceOf<T>,
	/// Whether new requests are refused.
	pub paused: bool,
	/// What the owner declared.
	pub spec: ApiSpec<T>,
}

impl<T: Config> Api<T> {
	/// The redundancy a request asking for `asked` gets: its own, or the API's default for 0.
	pub fn redundancy(&self, asked: u32) -> u32 {
		if asked == 0 {
			self.spec.default_redundancy
		} else {
			asked
		}
	}
}

/// What a request is executed and settled under: its API's spec as it was at submission, so that
/// `update_api` changes only later requests (an open request's operators never see a URL, a
/// timeout or comparison rules the client did not submit under).
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct Terms<T: Config> {
	/// Where the request goes: the base URL its path is appended to.
	pub base_url: BoundedVec<u8, T::MaxUrlLen>,
	/// How long an operator waits for the upstream, in milliseconds.
	pub timeout_ms: u32,
	/// Longest response body an operator fetches, in bytes.
	pub max_response_bytes: u32,
	/// Top-level JSON fields dropped before results are compared.
	pub ignored_fields: BoundedVec<FieldName, T::MaxIgnoredFields>,
}

impl<T: Config> From<&ApiSpec<T>> for Terms<T> {
	fn from(spec: &ApiSpec<T>) -> Self {
		Self {
			base_url: spec.base_url.clone(),
			timeout_ms: spec.timeout_ms,
			max_response_bytes: spec.max_response_bytes,
			ignored_fields: spec.ignored_fields.clone(),
		}
	}
}

/// An HTTP header a client sends upstream: (name, value).
pub type HeaderOf<T> =
	(BoundedVec<u8, <T as Config>::MaxHeaderLen>, BoundedVec<u8, <T as Config>::MaxHeaderLen>);

/// The headers of a request.
pub type HeadersOf<T> = BoundedVec<HeaderOf<T>, <T as Config>::MaxHeaders>;

/// One request of a client: what it asks an API for, through how many operators, at what
/// price at most and by when. `submit_request` takes one, `submit_requests` several.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct NewRequest<T: Config> {
	/// HTTP method.
	pub method: HttpMethod,
	/// Path and query appended to the API's base URL.
	pub path: BoundedVec<u8, T::MaxPathLen>,
	/// Headers sent upstream.
	pub headers: HeadersOf<T>,
	/// Body sent upstream.
	pub body: BoundedVec<u8, T::MaxBodyLen>,
	/// Operators that execute it; 0: the API's default.
	pub redundancy: u32,
	/// The most the client pays for it.
	#[codec(compact)]
	pub max_fee: BalanceOf<T>,
	/// Last block a report is taken in.
	pub deadline: BlockNumberFor<T>,
	/// For a sealed request (its headers and body empty): the client's key and the hash of the
	/// call it seals to the operators routing chooses, with `seal_request`.
	pub sealed: Option<SealTerms>,
}

impl<T: Config> NewRequest<T> {
	/// The bytes it sends upstream (path, header names and values, body), which its weight
	/// depends on.
	pub fn bytes(&self) -> u32 {
		crate::requests::request_bytes::<T>(&self.path, &self.headers, &self.body)
	}

	/// The operators it is charged for before its API is read.
	pub fn charged_redundancy(&self) -> u32 {
		crate::requests::charged_redundancy::<T>(self.redundancy)
	}
}

/// What an operator's node sends back for a request.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct Report<T: Config> {
	/// What the upstream answered, or how the call failed.
	pub status: ResultStatus,
	/// blake2-256 of `body`.
	pub response_hash: [u8; 32],
	/// Milliseconds the upstream call took.
	pub latency_ms: u32,
	/// The response body (empty for failures); kept offchain through offchain indexing.
	pub body: BoundedVec<u8, T::MaxResponseLen>,
	/// ed25519 signature by the operator's gateway key over
	/// `baton_primitives::receipt_message(genesis_hash, request_id, request_hash, response_hash,
	/// status, operator)`.
	pub signature: [u8; 64],
	/// For a sealed request's response: what the chain cannot compute from the sealed `body`.
	/// `response_hash` is then `sealed_response_hash(plaintext_hash, blake2-256 of body)`.
	pub sealed: Option<SealedResult>,
}

/// What an operator vouches for of a response it sealed to the client.
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
pub struct SealedResult {
	/// blake2-256 of the body the upstream sent.
	pub plaintext_hash: [u8; 32],
	/// What results are compared by (`settlement::result_key` of the plaintext).
	pub result_key: [u8; 32],
}

/// A result as an operator's gateway key signed it, without the body: what a receipt vouches
/// for. Two different ones for one request prove an equivocation.
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
pub struct SignedResult {
	/// What the upstream answered, or how the call failed.
	pub status: ResultStatus,
	/// blake2-256 of the body.
	pub response_hash: [u8; 32],
	/// ed25519 signature by the operator's gateway key over the receipt message.
	pub signature: [u8; 64],
}

/// A report as the chain keeps it: everything but the body.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct StoredReport<T: Config> {
	/// The operator that reported.
	pub operator: T::AccountId,
	/// What the upstream answered, or how the call failed.
	pub status: ResultStatus,
	/// blake2-256 of the body.
	pub response_hash: [u8; 32],
	/// What results are compared by: status and body without the API's ignored fields.
	pub result_key: [u8; 32],
	/// Milliseconds the upstream call took.
	pub latency_ms: u32,
	/// The receipt signature.
	pub signature: [u8; 64],
	/// Block the report landed in.
	pub at: BlockNumberFor<T>,
	/// For a response sealed to the client: the plaintext's hash, which the receipt binds
	/// with the sealed body's.
	pub plaintext_hash: Option<[u8; 32]>,
}

/// A sealed request's terms and progress.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct Sealing<T: Config> {
	/// The client's key and the hash of its call.
	pub terms: SealTerms,
	/// The block its client sealed it in (`seal_request`); none yet: no operator can execute
	/// it, and it is refunded at its deadline without anyone's fault.
	pub sealed_at: Option<BlockNumberFor<T>>,
}

/// A client request.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct Request<T: Config> {
	/// The API called.
	pub api_id: ApiId,
	/// Who submitted and pays.
	pub client: T::AccountId,
	/// HTTP method.
	pub method: HttpMethod,
	/// Path and query appended to the API's base URL.
	pub path: BoundedVec<u8, T::MaxPathLen>,
	/// Headers sent upstream.
	pub headers: HeadersOf<T>,
	/// Body sent upstream.
	pub body: BoundedVec<u8, T::MaxBodyLen>,
	/// Its API's terms at submission.
	pub terms: Terms<T>,
	/// The hash of its content, which receipts and checkpoints bind:
	/// [`crate::requests::request_hash`].
	pub request_hash: [u8; 32],
	/// Paid to each operator in the majority.
	pub price: BalanceOf<T>,
	/// Paid to the treasury on completion.
	pub protocol_fee: BalanceOf<T>,
	/// Block it was submitted in.
	pub submitted_at: BlockNumberFor<T>,
	/// Last block a report is taken in.
	pub deadline: BlockNumberFor<T>,
	/// Operators that execute it.
	pub assigned: BoundedVec<T::AccountId, T::MaxRedundancy>,
	/// Operators routing assigned at submission (handovers replace them in `assigned`).
	pub routed: BoundedVec<T::AccountId, T::MaxRedundancy>,
	/// Operators next in line, in order.
	pub backups: BoundedVec<T::AccountId, T::MaxBackups>,
	/// Backups armed beside the assigned operators that had not reported by the end of the
	/// backup grace, as (backup, the operator it is armed beside): each executes and reports
	/// too, and the first reports settle (failover.rs, `arm_backups`).
	pub armed: BoundedVec<(T::AccountId, T::AccountId), T::MaxRedundancy>,
	/// Reports received.
	pub reports: BoundedVec<StoredReport<T>, T::MaxRedundancy>,
	/// Where it stands.
	pub status: RequestStatus<BlockNumberFor<T>>,
	/// Index in `reports` of the report served as the response, once completed.
	pub served: Option<u32>,
	/// A sealed request's terms: its headers and body are empty, each operator's call is in
	/// `SealedCalls`.
	pub sealed: Option<Sealing<T>>,
	/// The runtime's `spec_version` at submission: the field the upgrade rehearsal migrates in
	/// (`migrations::v1`). It is last, so a stored request's old bytes are a prefix of its new.
	#[cfg(feature = "upgrade-rehearsal")]
	pub spec_version: u32,
}

impl<T: Config> Request<T> {
	/// Whether `who` executes it: an assigned operator or an armed backup.
	pub fn executed_by(&self, who: &T::AccountId) -> bool {
		self.assigned.contains(who) || self.armed.iter().any(|(backup, _)| backup == who)
	}

	/// The backup armed beside assigned operator `who`, if any.
	pub fn armed_beside(&self, who: &T::AccountId) -> Option<&T::AccountId> {
		self.armed.iter().find(|(_, beside)| beside == who).map(|(backup, _)| backup)
	}

	/// Whether operators may execute it: it is plain, or its client sealed it.
	pub fn executable(&self) -> bool {
		self.sealed.as_ref().is_none_or(|sealing| sealing.sealed_at.is_some())
	}

	/// Whether `who` reported it.
	pub fn reported_by(&self, who: &T::AccountId) -> bool {
		self.reports.iter().any(|report| &report.operator == who)
	}
}

/// The requests whose backups a block's end arms if their operators have not reported by
/// then, and how many backups that is at most (what the block is charged for).
#[derive(
	Encode,
	Decode,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	DefaultNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct HedgesDue<T: Config> {
	/// The requests, in submission order.
	pub requests: BoundedVec<baton_primitives::RequestId, T::MaxHedgesPerBlock>,
	/// The most backups they arm: each request's redundancy or backups, the fewer.
	pub backups: u32,
}

/// Work the block hook does for a request.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum AgendaTask {
	/// Its deadline passed: settle with the reports in.
	Settle,
	/// Its retention period ended: forget it.
	Prune,
}
