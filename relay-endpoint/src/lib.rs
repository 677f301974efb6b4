//! The relay endpoint of an operator's node (`baton-node --relay-port`): the fast path's
//! server side. docs/relay.md gives the wire format; in short, for each
//! `<METHOD> /relay/<session_id>/<path>` with a `Baton-Ticket` and a `Baton-Signature`, it
//! checks the ticket against the node's best block (session open, operator served by this
//! node, client's signature over the ticket and the request, sequence not replayed, voucher
//! covering the call within the allowance), keeps the best voucher durably, calls the
//! upstream under the egress policy with the client's signed `Idempotency-Key`, or
//! `<session_id>-<sequence>` when it signed none, and answers the upstream's status and body
//! with a receipt signed by the gateway key. Web pages may call it too: it answers CORS
//! preflights and lets any origin read its answers (`cors`).

use std::{
	convert::Infallible,
	sync::Arc,
	time::{Duration, Instant},
};

use baton_egress::EgressClient;
use baton_primitives::{
	egress::EgressRequest, relay_request_hash, RelayReceipt, RelayTicket, ResultStatus,
};
use bytes::Bytes;
use codec::{DecodeAll, Encode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Incoming, header::HeaderValue, HeaderMap, Request, Response};
use sp_core::offchain::OffchainStorage;
use sp_runtime::{traits::Verify, MultiSignature};

pub mod chain;
mod cors;
mod ledger;
mod metrics;
mod refusal;
#[cfg(test)]
mod tests;

pub use chain::{ChainCache, ChainSource};
pub use metrics::Metrics;
pub use refusal::Refusal;

use chain::{AccountId, Balance, SessionView};
use ledger::Ledger;

const LOG_TARGET: &str = "baton::relay";

/// Connections served at once; more wait for one to end.
const MAX_CONNECTIONS: usize = 1_024;
/// How long a connection may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Headers a client may not have forwarded (nor may `baton-*` ones): the connection's own. A
/// signed `Idempotency-Key` is forwarded: a client that hedges a call to two operators gives
/// both the same key, so that an upstream honouring it runs the call once.
pub const UNFORWARDABLE: &[&str] = &[
	"host",
	"connection",
	"content-length",
	"transfer-encoding",
	"keep-alive",
	"upgrade",
	"te",
	"trailer",
	"expect",
	"proxy-authorization",
	"proxy-connection",
];

/// The relay endpoint of a node.
pub struct Endpoint<S> {
	genesis_hash: [u8; 32],
	chain: ChainCache,
	ledger: Ledger<S>,
	egress: EgressClient,
	metrics: Option<Metrics>,
}

/// A call that passed every check, ready to go upstream.
struct Checked {
	session: Arc<SessionView>,
	ticket: RelayTicket<AccountId, Balance>,
	gateway_key: [u8; 32],
	request: EgressRequest,
	request_hash: [u8; 32],
}

impl<S: OffchainStorage> Endpoint<S> {
	/// An endpoint for the chain of `genesis_hash`, reading it and the node's gateway keys
	/// through `source`, keeping what it served in `storage` (the node's offchain storage) and
	/// calling upstreams with `egress`.
	pub fn new(
		genesis_hash: [u8; 32],
		source: Arc<dyn ChainSource>,
		storage: S,
		egress: EgressClient,
		metrics: Option<Metrics>,
	) -> Self {
		Self {
			genesis_hash,
			chain: ChainCache::new(source),
			ledger: Ledger::new(storage),
			egress,
			metrics,
		}
	}

	/// Reads the chain again at a new best block, and forgets sessions that settled.
	pub fn on_best_block(&self) {
		self.chain.refresh();
		self.ledger.forget(|id| self.chain.session(id).is_none());
	}

	/// Answers one HTTP request, to any web page that sends it (see [`cors`]).
	pub async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
		if request.method() == hyper::Method::OPTIONS {
			return cors::preflight(request.headers());
		}
		let mut response = self.answer(request).await;
		cors::allow(response.headers_mut());
		response
	}

	/// Serves a call, or refuses it.
	async fn answer(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
		let started = Instant::now();
		let checked = match self.check(request).await {
			Ok(checked) => checked,
			Err(refusal) => {
				log::debug!(target: LOG_TARGET, "refused: {}", refusal.reason());
				self.count(refusal.reason());
				return json_response(refusal.status(), refusal.body());
			},
		};
		let upstream_started = Instant::now();
		let answer = self.egress.fetch(checked.request).await;
		let upstream = upstream_started.elapsed();
		let receipt = RelayReceipt {
			session_id: checked.session.id,
			sequence: checked.ticket.sequence,
			request_hash: checked.request_hash,
			response_hash: sp_crypto_hashing::blake2_256(&answer.body),
			status: answer.status,
			answered_at: self.chain.best_number(),
		};
		let Some(signature) = self.sign(&checked.gateway_key, &receipt.message(&self.genesis_hash))
		else {
			// The key left the keystore since the check: the call was served and is kept, but
			// cannot be vouched for.
			self.count("unsigned");
			return json_response(
				503,
				br#"{"error":"unsigned","message":"the gateway key left the keystore"}"#.to_vec(),
			);
		};
		let mut response = match answer.status {
			ResultStatus::Response { code } => {
				let mut response = Response::new(Full::new(Bytes::from(answer.body)));
				*response.status_mut() =
					hyper::StatusCode::from_u16(code).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
				response
			},
			failed => {
				let code = if failed == ResultStatus::Timeout { 504 } else { 502 };
				let body = serde_json::json!({ "error": "upstream", "status": failed.label() });
				json_response(code, body.to_string().into_bytes())
			},
		};
		let headers = response.headers_mut();
		headers.insert("baton-receipt", hex_header(&receipt.encode()));
		headers.insert("baton-receipt-signature", hex_header(&signature));
		headers.insert("baton-operator", hex_header(checked.ticket.operator.as_ref()));
		self.count(answer.status.label());
		if let Some(metrics) = &self.metrics {
			let total = started.elapsed();
			metrics.served(upstream.as_secs_f64(), total.saturating_sub(upstream).as_secs_f64());
		}
		response
	}

	fn count(&self, result: &str) {
		if let Some(metrics) = &self.metrics {
			metrics.count(result);
		}
	}

	fn sign(&self, key: &[u8; 32], message: &[u8]) -> Option<[u8; 64]> {
		use sp_core::Pair;
		Some(self.chain.pair(key)?.sign(message).0)
	}

	/// Every check of docs/relay.md's table, cheapest first; the voucher last, once the call
	/// is known to be the client's.
	async fn check(&self, request: Request<Incoming>) -> Result<Checked, Refusal> {
		let (parts, body) = request.into_parts();
		let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
		let (session_id, path) = parse_target(target)?;
		let ticket: RelayTicket<AccountId, Balance> =
			decode_header(&parts.headers, "baton-ticket")?;
		let signature: MultiSignature = decode_header(&parts.headers, "baton-signature")?;
		if ticket.genesis_hash != self.genesis_hash {
			return Err(Refusal::WrongChain);
		}
		if ticket.session_id != session_id {
			return Err(Refusal::BadTicket("the ticket is for another session than the path's"));
		}
		let session = self.chain.session(session_id).ok_or(Refusal::UnknownSession)?;
		if session.closed_at.is_some() || self.chain.best_number() > session.expires_at {
			return Err(Refusal::SessionClosed);
		}
		let gateway_key = session
			.operators
			.iter()
			.find(|o| o.operator == ticket.operator)
			.and_then(|o| o.gateway_key)
			.filter(|key| self.chain.holds(key))
			.ok_or(Refusal::NotOperator)?;
		let api = self.chain.api(session.api_id).ok_or(Refusal::ApiUnavailable)?;
		let method = parts.method.as_str().as_bytes();
		if !api.methods.iter().any(|allowed| allowed == method) {
			return Err(Refusal::MethodNotAllowed);
		}
		let headers = signed_headers(&parts.headers)?;
		let too_long = parts
			.headers
			.get(hyper::header::CONTENT_LENGTH)
			.and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
			.is_some_and(|length| length > api.max_body_bytes as u64);
		if too_long {
			return Err(Refusal::BodyTooLarge);
		}
		let body = Limited::new(body, api.max_body_bytes as usize)
			.collect()
			.await
			.map_err(|_| Refusal::BodyTooLarge)?
			.to_bytes()
			.to_vec();
		let request_hash = relay_request_hash(method, path.as_bytes(), &headers, &body);
		if !signature.verify(&ticket.message(&request_hash)[..], &session.client) {
			return Err(Refusal::BadSignature);
		}
		self.ledger.take(&session, &ticket, request_hash, signature)?;

		let mut upstream_headers = headers;
		if !upstream_headers.iter().any(|(name, _)| name == b"idempotency-key") {
			let idempotency = format!("{}-{}", session.id, ticket.sequence);
			upstream_headers.push((b"idempotency-key".to_vec(), idempotency.into_bytes()));
		}
		let request = EgressRequest {
			method: method.to_vec(),
			url: [&api.base_url[..], path.as_bytes()].concat(),
			headers: upstream_headers,
			body,
			timeout_ms: api.timeout_ms,
			max_response_bytes: api.max_response_bytes,
			secret: self.chain.api_secret(session.api_id, &ticket.operator),
			// Relay calls are confidential by transport (the client's HTTPS to the node).
			sealed_call: None,
			seal_response: None,
		};
		Ok(Checked { session, ticket, gateway_key, request, request_hash })
	}
}

/// The session id and the upstream path (query included) of `/relay/<id>/<path>`.
fn parse_target(target: &str) -> Result<(u64, String), Refusal> {
	const NOT_RELAY: Refusal = Refusal::BadTicket("relayed calls go to /relay/<session_id>/<path>");
	let rest = target.strip_prefix("/relay/").ok_or(NOT_RELAY)?;
	let end = rest.find(['/', '?']).unwrap_or(rest.len());
	let id = rest[..end].parse().map_err(|_| NOT_RELAY)?;
	let path = &rest[end..];
	Ok((id, if path.starts_with('/') { path.to_owned() } else { format!("/{path}") }))
}

/// The SCALE value in header `name`, sent as `0x`-prefixed hex.
fn decode_header<T: DecodeAll>(headers: &HeaderMap, name: &'static str) -> Result<T, Refusal> {
	let value = headers
		.get(name)
		.ok_or(Refusal::BadTicket("a relayed call needs Baton-Ticket and Baton-Signature"))?;
	let text = value.to_str().map_err(|_| Refusal::BadTicket("Baton-* headers are 0x-hex"))?;
	let bytes = hex::decode(text.strip_prefix("0x").unwrap_or(text))
		.map_err(|_| Refusal::BadTicket("Baton-* headers are 0x-hex"))?;
	T::decode_all(&mut &bytes[..])
		.map_err(|_| Refusal::BadTicket("Baton-Ticket or Baton-Signature is not valid SCALE"))
}

/// Headers as (lower-case name, value) pairs, as they are hashed and sent upstream.
type Headers = Vec<(Vec<u8>, Vec<u8>)>;

/// The headers named in `Baton-Signed-Headers`, in that order.
fn signed_headers(headers: &HeaderMap) -> Result<Headers, Refusal> {
	let Some(names) = headers.get("baton-signed-headers") else { return Ok(Vec::new()) };
	let names = names
		.to_str()
		.map_err(|_| Refusal::BadTicket("Baton-Signed-Headers lists header names"))?;
	let mut signed = Vec::new();
	for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
		let name = name.to_ascii_lowercase();
		if UNFORWARDABLE.contains(&name.as_str()) || name.starts_with("baton-") {
			return Err(Refusal::BadTicket("Baton-Signed-Headers names a header not forwarded"));
		}
		let value = headers
			.get(&name)
			.ok_or(Refusal::BadTicket("Baton-Signed-Headers names a header not sent"))?;
		signed.push((name.into_bytes(), value.as_bytes().to_vec()));
	}
	Ok(signed)
}

fn hex_header(bytes: &[u8]) -> HeaderValue {
	HeaderValue::try_from(format!("0x{}", hex::encode(bytes))).expect("hex is a valid header")
}

fn json_response(code: u16, body: Vec<u8>) -> Response<Full<Bytes>> {
	let mut response = Response::new(Full::new(Bytes::from(body)));
	*response.status_mut() =
		hyper::StatusCode::from_u16(code).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
	response
		.headers_mut()
		.insert(hyper::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
	response
}

/// Binds `address` now, so that a port in use fails the node's start rather than a task.
/// Call within a tokio runtime.
pub fn listen(address: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
	let listener = std::net::TcpListener::bind(address)?;
	listener.set_nonblocking(true)?;
	tokio::net::TcpListener::from_std(listener)
}

/// Serves `endpoint` on `listener` until the task is dropped: HTTP/1.1 with keep-alive, at most
/// [`MAX_CONNECTIONS`] connections at once.
pub async fn serve<S: OffchainStorage + 'static>(
	listener: tokio::net::TcpListener,
	endpoint: Arc<Endpoint<S>>,
) {
	let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
	loop {
		let Ok(permit) = permits.clone().acquire_owned().await else { return };
		let (stream, _) = match listener.accept().await {
			Ok(accepted) => accepted,
			Err(error) => {
				log::debug!(target: LOG_TARGET, "accept failed: {error}");
				continue;
			},
		};
		let _ = stream.set_nodelay(true);
		let endpoint = endpoint.clone();
		tokio::spawn(async move {
			let service = hyper::service::service_fn(move |request| {
				let endpoint = endpoint.clone();
				async move { Ok::<_, Infallible>(endpoint.handle(request).await) }
			});
			let served = hyper::server::conn::http1::Builder::new()
				.timer(hyper_util::rt::TokioTimer::new())
				.header_read_timeout(HEADER_TIMEOUT)
				.serve_connection(hyper_util::rt::TokioIo::new(stream), service)
				.await;
			if let Err(error) = served {
				log::debug!(target: LOG_TARGET, "connection ended: {error}");
			}
			drop(permit);
		});
	}
}
