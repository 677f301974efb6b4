//! Egress: the one door through which an operator's node calls an upstream API.
//!
//! The runtime's offchain worker never opens a connection itself. It hands its calls to
//! [`upstream::fetch_all`], a host function the node implements with its egress policy: public
//! destinations only, checked on the address it connects to, no redirects followed, the API's
//! timeout and size cap enforced. A node without an egress client refuses every call, so a
//! runtime that reaches a node without one (or a test without a stand-in) fails closed.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::{RequestId, ResultStatus};

/// Whether `ip` is a public unicast address: not loopback, private, shared (CGNAT),
/// link-local, unique-local, multicast, broadcast, unspecified, documentation, benchmarking or
/// reserved. IPv4 addresses inside IPv6 (mapped, compatible, NAT64) are judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
	match ip {
		IpAddr::V4(v4) => is_public_v4(v4),
		IpAddr::V6(v6) => is_public_v6(v6),
	}
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
	let [a, b, c, _] = ip.octets();
	let refused = a == 0 // "this network", unspecified
		|| a == 10 // private
		|| (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
		|| a == 127 // loopback
		|| (a == 169 && b == 254) // link-local, cloud metadata
		|| (a == 172 && (16..32).contains(&b)) // private
		|| (a == 192 && b == 0 && c == 0) // IETF protocol assignments (some clouds' metadata)
		|| (a == 192 && b == 0 && c == 2) // documentation
		|| (a == 192 && b == 168) // private
		|| (a == 198 && (b == 18 || b == 19)) // benchmarking
		|| (a == 198 && b == 51 && c == 100) // documentation
		|| (a == 203 && b == 0 && c == 113) // documentation
		|| a >= 224; // multicast, reserved, broadcast
	!refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
	let segments = ip.segments();
	let embedded_v4 = |high: u16, low: u16| Ipv4Addr::from(((high as u32) << 16) | low as u32);
	if let Some(v4) = ip.to_ipv4_mapped() {
		return is_public_v4(v4);
	}
	// IPv4-compatible (deprecated) and NAT64 addresses carry an IPv4 address in the last 32 bits.
	if segments[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified() {
		return is_public_v4(embedded_v4(segments[6], segments[7]));
	}
	if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
		return is_public_v4(embedded_v4(segments[6], segments[7]));
	}
	let refused = ip.is_unspecified()
		|| ip.is_loopback()
		|| (segments[0] & 0xfe00) == 0xfc00 // unique local
		|| (segments[0] & 0xffc0) == 0xfe80 // link-local
		|| (segments[0] & 0xff00) == 0xff00 // multicast
		|| (segments[0] == 0x2001 && segments[1] == 0x0db8); // documentation
	!refused
}

/// The host of `url` (`scheme://[userinfo@]host[:port][/path]`), without an IPv6 literal's
/// brackets.
pub fn url_host(url: &[u8]) -> Option<&[u8]> {
	let rest = url.windows(3).position(|w| w == b"://").map(|at| &url[at + 3..])?;
	let authority = rest.split(|c| matches!(c, b'/' | b'?' | b'#')).next()?;
	let host_port = authority.rsplit(|c| *c == b'@').next()?;
	match host_port.strip_prefix(b"[") {
		Some(bracketed) => bracketed.split(|c| *c == b']').next(),
		None => host_port.split(|c| *c == b':').next(),
	}
}

/// Whether `url`'s host can only be a non-public destination: an IP literal that is not
/// [`is_public`], or `localhost`. The node's check on the resolved address is the real one;
/// this one lets the chain refuse such an API with a clear error at once.
pub fn names_private_host(url: &[u8]) -> bool {
	let Some(host) = url_host(url).and_then(|host| core::str::from_utf8(host).ok()) else {
		return false;
	};
	let host = host.trim_end_matches('.').to_ascii_lowercase();
	if host == "localhost" || host.ends_with(".localhost") {
		return true;
	}
	host.parse::<IpAddr>().is_ok_and(|ip| !is_public(ip))
}

/// Whether `name: value` is a header: the name an RFC 9110 token, the value visible
/// characters, spaces and tabs. The chain checks plain requests' headers with it; the node, a
/// sealed request's once opened.
pub fn is_valid_header(name: &[u8], value: &[u8]) -> bool {
	let token = |c: &u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(c);
	!name.is_empty()
		&& name.iter().all(token)
		&& value.iter().all(|c| *c == b' ' || *c == b'\t' || c.is_ascii_graphic())
}

/// Whether `path` is one a request may append to its API's base URL: it starts with `/` (so it
/// cannot move the call to another host) and holds only visible ASCII. The chain checks plain
/// requests' paths with it; the node, a confidential path once opened.
pub fn is_valid_path(path: &[u8]) -> bool {
	path.first() == Some(&b'/') && path.iter().all(|c| c.is_ascii_graphic())
}

/// Whether header `name` is the operators' to set, not a client's: `Idempotency-Key`.
pub fn is_reserved_header(name: &[u8]) -> bool {
	name.eq_ignore_ascii_case(b"idempotency-key")
}

/// One upstream call, as the offchain worker asks the node for it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct EgressRequest {
	/// HTTP method, e.g. `GET`.
	pub method: Vec<u8>,
	/// The absolute URL: the API's base URL and the request's path.
	pub url: Vec<u8>,
	/// Headers sent as they are, in order.
	pub headers: Vec<(Vec<u8>, Vec<u8>)>,
	/// Body sent as it is (none when empty).
	pub body: Vec<u8>,
	/// Milliseconds from sending to having the whole body, at most.
	pub timeout_ms: u32,
	/// Longest body taken; a longer one is [`ResultStatus::TooLarge`].
	pub max_response_bytes: u32,
	/// The API's secret for this operator, for the node to open and add to the call; a node
	/// that cannot open it makes no call and answers [`ResultStatus::Forbidden`].
	pub secret: Option<crate::sealing::SealedSecret>,
	/// A sealed request's headers and body, for the node to open and send after `headers` and
	/// instead of `body`; a node that cannot open it, or opens a call that does not hash to the
	/// committed content, makes no call and answers [`ResultStatus::Forbidden`].
	pub sealed_call: Option<crate::sealing::SealedCallRequest>,
	/// Where to seal the response body to (a sealed request's client).
	pub seal_response: Option<crate::sealing::ResponseSeal>,
}

/// How an upstream call ended.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct EgressResponse {
	/// The upstream's status code (`Response`, 3xx included: no redirect is followed), or the
	/// typed failure: `Timeout`, `Unreachable`, `TooLarge` or `Forbidden` by the policy.
	pub status: ResultStatus,
	/// The body, within the size cap; empty for failures.
	pub body: Vec<u8>,
	/// Milliseconds from sending the request to having the body.
	pub latency_ms: u32,
	/// The body sealed to the client, when the request asked for it: the encapsulated key,
	/// then the ciphertext. The worker reports these bytes; `body` never leaves the node.
	pub sealed_body: Option<Vec<u8>>,
}

impl EgressResponse {
	/// A failure with no body.
	pub fn failed(status: ResultStatus, latency_ms: u32) -> Self {
		Self { status, body: Vec::new(), latency_ms, sealed_body: None }
	}
}

/// What the node plugs in to make upstream calls for its offchain workers.
/// The `Idempotency-Key` every operator sends upstream for a request: its id and the first 8
/// bytes of its content hash in hex, e.g. `42-0123456789abcdef`. The same on every operator and
/// every retry, so an upstream that honours it executes a call once; different for two requests
/// that got the same id on two forks.
pub fn idempotency_key(request_id: RequestId, request_hash: &[u8; 32]) -> alloc::string::String {
	use core::fmt::Write;
	let mut key = alloc::format!("{request_id}-");
	for byte in &request_hash[..8] {
		let _ = write!(key, "{byte:02x}");
	}
	key
}

#[cfg(not(substrate_runtime))]
pub trait Fetch: Send {
	/// Makes every call at once and returns their outcomes in the same order; never fails as a
	/// whole.
	fn fetch_all(&self, requests: Vec<EgressRequest>) -> Vec<EgressResponse>;
}

#[cfg(not(substrate_runtime))]
sp_externalities::decl_extension! {
	/// The node's egress client, registered for its offchain workers.
	pub struct EgressExt(alloc::boxed::Box<dyn Fetch>);
}

#[cfg(not(substrate_runtime))]
impl EgressExt {
	/// Wraps `client`.
	pub fn new(client: impl Fetch + 'static) -> Self {
		Self(alloc::boxed::Box::new(client))
	}
}

/// The host function of egress.
#[sp_runtime_interface::runtime_interface]
pub trait Upstream {
	/// Makes `requests` through the node's egress client, all at once; their outcomes in the
	/// same order. Without a client every call is `Forbidden`.
	fn fetch_all(
		&mut self,
		requests: sp_runtime_interface::pass_by::PassFatPointerAndDecode<Vec<EgressRequest>>,
	) -> sp_runtime_interface::pass_by::AllocateAndReturnByCodec<Vec<EgressResponse>> {
		use sp_externalities::ExternalitiesExt;
		match self.extension::<EgressExt>() {
			Some(client) => client.fetch_all(requests),
			None => requests
				.iter()
				.map(|_| EgressResponse::failed(ResultStatus::Forbidden, 0))
				.collect(),
		}
	}
}
