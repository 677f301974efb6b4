//! Egress: how an operator's node calls upstream APIs for anyone who can register one.
//!
//! An API's base URL is chosen by a stranger, so every call goes through one policy:
//! - only public destinations: loopback, private (RFC 1918), CGNAT, link-local (cloud metadata
//!   at 169.254.169.254 among them), unique-local, multicast, unspecified, documentation and
//!   reserved addresses are refused ([`is_public`]);
//! - checked on the address the connection is made to: a host name is resolved here and only
//!   its public addresses are dialled, so a name that resolves to a private address, or that
//!   changes its answer between two lookups (DNS rebinding), cannot pass;
//! - no redirect is followed: a 3xx is the answer;
//! - the API's timeout covers the whole call, and a body over its size cap is not read further.
//!
//! A call may carry an API's secret sealed to the node's encryption key: the client opens it
//! with [`sealing::OpeningKeys`] and adds it to that call only, never logging it; a secret it
//! cannot open means no call ([`ResultStatus::Forbidden`]).
//!
//! [`Policy::allow_hosts`] (the node's `--gateway-allow-hosts`) names hosts exempt from the
//! address check, for development and tests. The relay endpoint uses the same client.

use std::{
	future::Future,
	io,
	net::{IpAddr, SocketAddr},
	pin::Pin,
	sync::Arc,
	task::{Context, Poll},
	time::{Duration, Instant},
};

pub use baton_primitives::egress::is_public;
use baton_primitives::{
	egress::{EgressRequest, EgressResponse, Fetch},
	ResultStatus,
};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::{
	client::legacy::{
		connect::{dns::Name, HttpConnector},
		Client,
	},
	rt::{TokioExecutor, TokioTimer},
};

pub mod sealing;

const LOG_TARGET: &str = "baton::egress";

/// Which destinations the node may call.
#[derive(Clone, Debug, Default)]
pub struct Policy {
	allow_hosts: Vec<String>,
}

impl Policy {
	/// Public destinations only, except `allow_hosts` (names or IP literals, matched exactly and
	/// case-insensitively against a URL's host), which may resolve anywhere.
	pub fn allow_hosts(allow_hosts: impl IntoIterator<Item = String>) -> Self {
		let allow_hosts = allow_hosts
			.into_iter()
			.map(|host| bare_host(&host).to_ascii_lowercase())
			.collect();
		Self { allow_hosts }
	}

	/// Whether calls to `host` skip the address check.
	pub fn is_allowed_host(&self, host: &str) -> bool {
		let host = bare_host(host);
		self.allow_hosts.iter().any(|allowed| allowed.eq_ignore_ascii_case(host))
	}

	/// Whether a call to `host` may connect to `ip`.
	pub fn permits(&self, host: &str, ip: IpAddr) -> bool {
		is_public(ip) || self.is_allowed_host(host)
	}
}

/// A host without the brackets of an IPv6 literal.
fn bare_host(host: &str) -> &str {
	host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host)
}

/// A host name none of whose addresses the policy permits.
#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("no address of this host is public")
	}
}

impl std::error::Error for Refused {}

/// Resolves host names to the addresses the policy permits, which are all the connector dials.
#[derive(Clone)]
struct PolicyResolver {
	policy: Arc<Policy>,
}

impl tower_service::Service<Name> for PolicyResolver {
	type Response = std::vec::IntoIter<SocketAddr>;
	type Error = io::Error;
	type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

	fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
		Poll::Ready(Ok(()))
	}

	fn call(&mut self, name: Name) -> Self::Future {
		let policy = self.policy.clone();
		Box::pin(async move {
			let host = name.as_str();
			let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
			let permitted: Vec<SocketAddr> = resolved
				.iter()
				.copied()
				.filter(|addr| policy.permits(host, addr.ip()))
				.collect();
			if permitted.is_empty() {
				log::debug!(target: LOG_TARGET, "{host} refused: resolves to {resolved:?}");
				return Err(io::Error::new(io::ErrorKind::PermissionDenied, Refused));
			}
			Ok(permitted.into_iter())
		})
	}
}

type HyperClient = Client<HttpsConnector<HttpConnector<PolicyResolver>>, Full<Bytes>>;

/// The node's egress client: upstream calls under a [`Policy`].
#[derive(Clone)]
pub struct EgressClient {
	client: HyperClient,
	policy: Arc<Policy>,
	runtime: tokio::runtime::Handle,
	keys: Option<Arc<sealing::OpeningKeys>>,
}

impl EgressClient {
	/// This client, opening the API secrets sealed to `keys`.
	pub fn opening_secrets_with(mut self, keys: Arc<sealing::OpeningKeys>) -> Self {
		self.keys = Some(keys);
		self
	}

	/// A client under `policy` whose calls run on `runtime`; TLS trusts the system's roots.
	/// It keeps no idle connection: see [`EgressClient::keeping_connections`].
	pub fn new(policy: Policy, runtime: tokio::runtime::Handle) -> io::Result<Self> {
		Self::build(policy, runtime, None)
	}

	/// A client like [`EgressClient::new`] that keeps idle connections to an upstream for
	/// `idle`, for the relay endpoint, which calls one upstream many times a second and would
	/// otherwise pay a connection (and a TLS handshake) per call. `idle` stays below the
	/// keep-alive timeouts servers commonly use (Node's 5 s, nginx's 75 s), and a call that
	/// finds its pooled connection closed before anything was sent is retried on a new one.
	pub fn keeping_connections(
		policy: Policy,
		runtime: tokio::runtime::Handle,
		idle: Duration,
	) -> io::Result<Self> {
		Self::build(policy, runtime, Some(idle))
	}

	fn build(
		policy: Policy,
		runtime: tokio::runtime::Handle,
		idle: Option<Duration>,
	) -> io::Result<Self> {
		let policy = Arc::new(policy);
		let mut http = HttpConnector::new_with_resolver(PolicyResolver { policy: policy.clone() });
		// `https://` URLs go through the same connector, wrapped in TLS.
		http.enforce_http(false);
		let https = hyper_rustls::HttpsConnectorBuilder::new()
			.with_provider_and_native_roots(rustls::crypto::ring::default_provider())?
			.https_or_http()
			.enable_http1()
			.wrap_connector(http);
		// The offchain worker keeps no idle connections: a server may close one just as the next
		// call goes out on it (Node closes them after 5 s idle), and that call would fail
		// although the upstream is up. Its call is one block's work; a handshake per call costs
		// it nothing.
		let mut builder = Client::builder(TokioExecutor::new());
		match idle {
			None => builder.pool_max_idle_per_host(0),
			Some(idle) => builder.pool_idle_timeout(idle).pool_timer(TokioTimer::new()),
		};
		let client = builder.build(https);
		Ok(Self { client, policy, runtime, keys: None })
	}

	/// Makes one call under the policy; never fails, every failure is a typed status.
	pub async fn fetch(&self, mut request: EgressRequest) -> EgressResponse {
		let started = Instant::now();
		let elapsed = || started.elapsed().as_millis().min(u32::MAX as u128) as u32;
		let timeout = Duration::from_millis(request.timeout_ms as u64);
		let cap = request.max_response_bytes as usize;
		let seal_response = request.seal_response.take();
		let outcome = match self.unseal(request).and_then(|request| self.prepare(request)) {
			Ok(prepared) => tokio::time::timeout(timeout, self.send(prepared, cap)).await,
			Err(status) => Ok(Err(status)),
		};
		let (code, body) = match outcome {
			Ok(Ok(answer)) => answer,
			Ok(Err(status)) => return EgressResponse::failed(status, elapsed()),
			Err(_) => return EgressResponse::failed(ResultStatus::Timeout, elapsed()),
		};
		let sealed_body = match seal_response {
			None => None,
			Some(seal) => match sealing::seal_response(&seal.client_key, &seal.info, &body) {
				Ok(sealed) => Some(sealed),
				// Only the client may read the answer: without its key, no answer at all.
				Err(_) => return EgressResponse::failed(ResultStatus::Forbidden, elapsed()),
			},
		};
		EgressResponse {
			status: ResultStatus::Response { code },
			body,
			latency_ms: elapsed(),
			sealed_body,
		}
	}

	/// `request` with what is sealed in it opened: the API's secret added to it, and a sealed
	/// request's headers and body. Nothing opened is logged.
	fn unseal(&self, mut request: EgressRequest) -> Result<EgressRequest, ResultStatus> {
		let hex = |key: &[u8; 32]| key.iter().map(|b| format!("{b:02x}")).collect::<String>();
		if let Some(sealed) = request.sealed_call.take() {
			let call = self.keys.as_ref().and_then(|keys| keys.open_call(&sealed));
			let Some(call) = call else {
				log::warn!(
					target: LOG_TARGET,
					"a sealed call to encryption key 0x{} does not open with this node's keys, or \
					 is not what its client committed to",
					hex(&sealed.envelope.recipient),
				);
				return Err(ResultStatus::Forbidden);
			};
			request.url.extend(call.path);
			request.headers.extend(call.headers);
			request.body = call.body;
		}
		let Some(sealed) = request.secret.take() else { return Ok(request) };
		let secret = self.keys.as_ref().and_then(|keys| keys.open_api_secret(&sealed));
		let Some(secret) = secret else {
			log::warn!(
				target: LOG_TARGET,
				"an API secret sealed to encryption key 0x{} does not open with this node's keys",
				hex(&sealed.envelope.recipient),
			);
			return Err(ResultStatus::Forbidden);
		};
		sealing::apply(secret, &mut request.url, &mut request.headers);
		Ok(request)
	}

	/// The HTTP request of `request`, once its URL is valid and, for an IP literal, permitted
	/// (the connector dials those without resolving, so the resolver never sees them).
	fn prepare(&self, request: EgressRequest) -> Result<http::Request<Full<Bytes>>, ResultStatus> {
		let uri = http::Uri::try_from(request.url).map_err(|_| ResultStatus::Unreachable)?;
		let host = uri.host().ok_or(ResultStatus::Unreachable)?;
		if let Ok(ip) = bare_host(host).parse::<IpAddr>() {
			if !self.policy.permits(host, ip) {
				return Err(ResultStatus::Forbidden);
			}
		}
		let method =
			http::Method::from_bytes(&request.method).map_err(|_| ResultStatus::Unreachable)?;
		let mut builder = http::Request::builder().method(method).uri(uri);
		for (name, value) in &request.headers {
			builder = builder.header(&name[..], &value[..]);
		}
		builder
			.body(Full::new(Bytes::from(request.body)))
			.map_err(|_| ResultStatus::Unreachable)
	}

	/// Sends `request` and reads its body up to `cap` bytes: the status code and body.
	async fn send(
		&self,
		request: http::Request<Full<Bytes>>,
		cap: usize,
	) -> Result<(u16, Vec<u8>), ResultStatus> {
		let response = self.client.request(request).await.map_err(|error| {
			if refused(&error) {
				ResultStatus::Forbidden
			} else {
				log::debug!(target: LOG_TARGET, "upstream unreachable: {error:?}");
				ResultStatus::Unreachable
			}
		})?;
		let code = response.status().as_u16();
		let mut body = response.into_body();
		let mut bytes = Vec::new();
		while let Some(frame) = body.frame().await {
			let frame = frame.map_err(|_| ResultStatus::Unreachable)?;
			if let Ok(data) = frame.into_data() {
				if bytes.len() + data.len() > cap {
					return Err(ResultStatus::TooLarge);
				}
				bytes.extend_from_slice(&data);
			}
		}
		Ok((code, bytes))
	}
}

/// Whether the policy refused the destination of the call that failed with `error`.
fn refused(error: &(dyn std::error::Error + 'static)) -> bool {
	let mut source = Some(error);
	while let Some(error) = source {
		if error.downcast_ref::<Refused>().is_some() {
			return true;
		}
		if let Some(io) = error.downcast_ref::<io::Error>() {
			if io.get_ref().is_some_and(|inner| inner.is::<Refused>()) {
				return true;
			}
		}
		source = error.source();
	}
	false
}

impl Fetch for EgressClient {
	fn fetch_all(&self, requests: Vec<EgressRequest>) -> Vec<EgressResponse> {
		// Offchain workers run on threads of their own, outside the async runtime: blocking on
		// it here is what they did with the HTTP host functions too.
		self.runtime.block_on(futures::future::join_all(
			requests.into_iter().map(|request| self.fetch(request)),
		))
	}
}

#[cfg(test)]
mod tests;
