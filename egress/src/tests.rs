//! The policy's address table, and real calls to servers on loopback.

use super::*;
use std::sync::{
	atomic::{AtomicUsize, Ordering},
	Mutex,
};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::TcpListener,
};

#[test]
fn only_public_unicast_addresses_are_public() {
	let refused = [
		"0.0.0.0",
		"0.1.2.3",
		"10.0.0.1",
		"100.64.0.1",
		"100.127.255.254",
		"127.0.0.1",
		"127.8.9.10",
		"169.254.169.254",
		"172.16.0.1",
		"172.31.255.255",
		"192.0.0.192",
		"192.0.2.1",
		"192.168.1.1",
		"198.18.0.1",
		"198.51.100.7",
		"203.0.113.9",
		"224.0.0.1",
		"239.255.255.250",
		"240.0.0.1",
		"255.255.255.255",
		"::",
		"::1",
		"::ffff:127.0.0.1",
		"::ffff:169.254.169.254",
		"::10.0.0.1",
		"64:ff9b::192.168.0.1",
		"fc00::1",
		"fd00:ec2::254",
		"fe80::1",
		"ff02::1",
		"2001:db8::1",
	];
	for ip in refused {
		assert!(!is_public(ip.parse().unwrap()), "{ip} must be refused");
	}
	let public = [
		"1.1.1.1",
		"8.8.8.8",
		"100.63.255.255",
		"100.128.0.1",
		"172.15.0.1",
		"172.32.0.1",
		"192.0.1.1",
		"198.17.0.1",
		"223.255.255.255",
		"2606:4700:4700::1111",
		"::ffff:8.8.8.8",
		"64:ff9b::8.8.8.8",
	];
	for ip in public {
		assert!(is_public(ip.parse().unwrap()), "{ip} is public");
	}
}

#[test]
fn allowed_hosts_match_exactly_and_ignore_case_and_brackets() {
	let policy = Policy::allow_hosts(["LocalHost".to_string(), "[::1]".to_string()]);
	assert!(policy.is_allowed_host("localhost"));
	assert!(policy.is_allowed_host("[::1]"));
	assert!(policy.permits("::1", "::1".parse().unwrap()));
	assert!(!policy.is_allowed_host("localhost.evil.example"));
	assert!(!policy.permits("127.0.0.1", "127.0.0.1".parse().unwrap()));
	assert!(policy.permits("anything", "8.8.8.8".parse().unwrap()));
}

/// A server on 127.0.0.1 answering every request with `respond(request head)`; counts the
/// connections it accepted.
struct Upstream {
	port: u16,
	connections: Arc<AtomicUsize>,
	requests: Arc<Mutex<Vec<String>>>,
}

impl Upstream {
	async fn start(respond: impl Fn(&str) -> (Duration, Vec<u8>) + Send + Sync + 'static) -> Self {
		let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
		let port = listener.local_addr().unwrap().port();
		let connections = Arc::new(AtomicUsize::new(0));
		let requests = Arc::new(Mutex::new(Vec::new()));
		let respond = Arc::new(respond);
		let (count, seen) = (connections.clone(), requests.clone());
		tokio::spawn(async move {
			while let Ok((mut socket, _)) = listener.accept().await {
				count.fetch_add(1, Ordering::SeqCst);
				let (respond, seen) = (respond.clone(), seen.clone());
				tokio::spawn(async move {
					// One request a connection is all these tests send.
					let Some(head) = read_head(&mut socket).await else { return };
					seen.lock().unwrap().push(head.clone());
					let (delay, response) = respond(&head);
					tokio::time::sleep(delay).await;
					let _ = socket.write_all(&response).await;
				});
			}
		});
		Self { port, connections, requests }
	}

	fn connections(&self) -> usize {
		self.connections.load(Ordering::SeqCst)
	}
}

/// Reads a request's head (up to the blank line) from `socket`; None if it closes first.
async fn read_head(socket: &mut tokio::net::TcpStream) -> Option<String> {
	let mut buffer = vec![0u8; 16 * 1024];
	let mut read = 0;
	while !buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
		match socket.read(&mut buffer[read..]).await {
			Ok(0) | Err(_) => return None,
			Ok(n) => read += n,
		}
	}
	Some(String::from_utf8_lossy(&buffer[..read]).to_string())
}

fn ok(body: &str) -> Vec<u8> {
	format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())
		.into_bytes()
}

fn client(allow: &[&str]) -> EgressClient {
	let policy = Policy::allow_hosts(allow.iter().map(|host| host.to_string()));
	EgressClient::new(policy, tokio::runtime::Handle::current()).unwrap()
}

fn get(url: String) -> EgressRequest {
	EgressRequest {
		method: b"GET".to_vec(),
		url: url.into_bytes(),
		headers: vec![(b"Idempotency-Key".to_vec(), b"7".to_vec())],
		body: Vec::new(),
		timeout_ms: 2_000,
		max_response_bytes: 128,
		secret: None,
		sealed_call: None,
		seal_response: None,
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn loopback_is_refused_before_any_connection() {
	let upstream = Upstream::start(|_| (Duration::ZERO, ok("secret"))).await;
	let client = client(&[]);
	for url in [
		format!("http://127.0.0.1:{}/", upstream.port),
		format!("http://[::ffff:127.0.0.1]:{}/", upstream.port),
		// A name that resolves to loopback: the check is on the resolved address.
		format!("http://localhost:{}/", upstream.port),
	] {
		let response = client.fetch(get(url.clone())).await;
		assert_eq!(response.status, ResultStatus::Forbidden, "{url}");
		assert!(response.body.is_empty());
	}
	assert_eq!(upstream.connections(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_allowed_host_is_called_with_the_exact_request() {
	let upstream = Upstream::start(|_| (Duration::ZERO, ok(r#"{"price":7}"#))).await;
	let client = client(&["127.0.0.1"]);
	let mut request = get(format!("http://127.0.0.1:{}/quote?x=1", upstream.port));
	request.method = b"POST".to_vec();
	request.body = br#"{"coin":"dot"}"#.to_vec();
	let response = client.fetch(request).await;
	assert_eq!(response.status, ResultStatus::Response { code: 200 });
	assert_eq!(response.body, br#"{"price":7}"#);
	let head = upstream.requests.lock().unwrap()[0].to_ascii_lowercase();
	assert!(head.starts_with("post /quote?x=1 http/1.1"), "{head}");
	assert!(head.contains("idempotency-key: 7"), "{head}");
	// Allowing the literal does not allow another name for the same address.
	let by_name = client.fetch(get(format!("http://localhost:{}/", upstream.port))).await;
	assert_eq!(by_name.status, ResultStatus::Forbidden);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_is_the_answer_and_is_not_followed() {
	let target = Upstream::start(|_| (Duration::ZERO, ok("followed"))).await;
	let location = format!("http://127.0.0.1:{}/", target.port);
	let upstream = Upstream::start(move |_| {
		let response =
			format!("HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n");
		(Duration::ZERO, response.into_bytes())
	})
	.await;
	let response = client(&["127.0.0.1"])
		.fetch(get(format!("http://127.0.0.1:{}/", upstream.port)))
		.await;
	assert_eq!(response.status, ResultStatus::Response { code: 302 });
	assert_eq!(target.connections(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_size_cap_and_the_timeout_are_enforced() {
	let upstream = Upstream::start(|head| match head.split_whitespace().nth(1) {
		Some("/slow") => (Duration::from_secs(5), ok("late")),
		Some("/128") => (Duration::ZERO, ok(&"a".repeat(128))),
		_ => (Duration::ZERO, ok(&"a".repeat(129))),
	})
	.await;
	let client = client(&["127.0.0.1"]);
	let url = |path: &str| format!("http://127.0.0.1:{}{path}", upstream.port);
	let at_cap = client.fetch(get(url("/128"))).await;
	assert_eq!((at_cap.status, at_cap.body.len()), (ResultStatus::Response { code: 200 }, 128));
	let over = client.fetch(get(url("/129"))).await;
	assert_eq!((over.status, over.body.len()), (ResultStatus::TooLarge, 0));
	let mut slow = get(url("/slow"));
	slow.timeout_ms = 200;
	let late = client.fetch(slow).await;
	assert_eq!(late.status, ResultStatus::Timeout);
	assert!(late.latency_ms >= 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_port_is_unreachable_and_a_bad_url_too() {
	let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
	let client = client(&["127.0.0.1"]);
	let closed = client.fetch(get(format!("http://127.0.0.1:{port}/"))).await;
	assert_eq!(closed.status, ResultStatus::Unreachable);
	let bad = client.fetch(get("not a url".to_string())).await;
	assert_eq!(bad.status, ResultStatus::Unreachable);
}

#[test]
fn fetch_all_answers_in_order_from_a_thread_outside_the_runtime() {
	let runtime = tokio::runtime::Runtime::new().unwrap();
	let upstream = runtime.block_on(Upstream::start(|head| {
		let path = head.split_whitespace().nth(1).unwrap_or_default().to_string();
		(Duration::ZERO, ok(&path))
	}));
	let policy = Policy::allow_hosts(["127.0.0.1".to_string()]);
	let client = EgressClient::new(policy, runtime.handle().clone()).unwrap();
	let port = upstream.port;
	let url = move |path: &str| format!("http://127.0.0.1:{port}{path}");
	// As an offchain worker's thread calls it.
	let responses = std::thread::spawn(move || {
		client.fetch_all(vec![get(url("/a")), get("http://10.0.0.1/".to_string()), get(url("/b"))])
	})
	.join()
	.unwrap();
	let statuses: Vec<_> = responses.iter().map(|r| (r.status, r.body.clone())).collect();
	assert_eq!(
		statuses,
		vec![
			(ResultStatus::Response { code: 200 }, b"/a".to_vec()),
			(ResultStatus::Forbidden, Vec::new()),
			(ResultStatus::Response { code: 200 }, b"/b".to_vec()),
		]
	);
}

/// A server that keeps connections alive and drops one when the next request on it arrives,
/// as a server closing idle connections does (Node's after 5 s) when a request crosses the
/// close. A pooled connection would turn that race into an unreachable upstream.
#[tokio::test(flavor = "multi_thread")]
async fn every_call_opens_its_own_connection() {
	let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
	let port = listener.local_addr().unwrap().port();
	let connections = Arc::new(AtomicUsize::new(0));
	let accepted = connections.clone();
	tokio::spawn(async move {
		while let Ok((mut socket, _)) = listener.accept().await {
			accepted.fetch_add(1, Ordering::SeqCst);
			tokio::spawn(async move {
				if read_head(&mut socket).await.is_none() {
					return;
				}
				let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
				// The next request on this connection is read and dropped unanswered.
				let _ = read_head(&mut socket).await;
			});
		}
	});
	let client = client(&["127.0.0.1"]);
	for _ in 0..3 {
		let response = client.fetch(get(format!("http://127.0.0.1:{port}/"))).await;
		assert_eq!(
			(response.status, response.body),
			(ResultStatus::Response { code: 200 }, b"ok".to_vec())
		);
	}
	assert_eq!(connections.load(Ordering::SeqCst), 3);
}

/// The `seal` keys of a node, held in memory; a stand-in public key for each seed.
struct Seeds(Vec<[u8; 32]>);

impl sealing::SealSeeds for Seeds {
	fn public_keys(&self) -> Vec<[u8; 32]> {
		self.0.iter().map(|seed| seed.map(|b| !b)).collect()
	}

	fn seed(&self, public: &[u8; 32]) -> Option<[u8; 32]> {
		self.0.iter().find(|seed| &seed.map(|b| !b) == public).copied()
	}
}

fn sealed(recipient: &[u8; 32], info: &[u8], secret: ApiSecret) -> SealedSecret {
	let envelope = sealing::seal_api_secret(recipient, info, &secret).unwrap();
	SealedSecret { envelope, info: info.to_vec() }
}

use baton_primitives::sealing::{ApiSecret, SealedSecret};

#[tokio::test(flavor = "multi_thread")]
async fn a_sealed_secret_is_opened_and_added_to_that_call_only() {
	let upstream = Upstream::start(|_| (Duration::ZERO, ok("{}"))).await;
	// The node holds its current key and the one it rotated away from.
	let (old_seed, seed) = ([1; 32], [2; 32]);
	let keys = sealing::OpeningKeys::new(Arc::new(Seeds(vec![old_seed, seed])));
	let client = client(&["127.0.0.1"]).opening_secrets_with(Arc::new(keys));
	let url = format!("http://127.0.0.1:{}/v1/quote?coin=dot", upstream.port);
	let header =
		ApiSecret::Header { name: b"Authorization".to_vec(), value: b"Bearer s3cr3t".to_vec() };
	let query = ApiSecret::Query { name: b"api_key".to_vec(), value: b"k&y=1 2".to_vec() };

	let mut with_header = get(url.clone());
	with_header.secret = Some(sealed(&sealing::encryption_key(&seed), b"info", header.clone()));
	let mut with_query = get(url.clone());
	with_query.secret = Some(sealed(&sealing::encryption_key(&old_seed), b"info", query));
	let plain = get(url.clone());
	for request in [with_header, with_query, plain] {
		assert_eq!(client.fetch(request).await.status, ResultStatus::Response { code: 200 });
	}
	let heads = upstream.requests.lock().unwrap().clone();
	let heads: Vec<String> = heads.iter().map(|head| head.to_ascii_lowercase()).collect();
	assert!(heads[0].contains("authorization: bearer s3cr3t"), "{}", heads[0]);
	assert!(heads[1].starts_with("get /v1/quote?coin=dot&api_key=k%26y%3d1%202 "), "{}", heads[1]);
	assert!(!heads[1].contains("authorization") && !heads[2].contains("authorization"));
	assert!(heads[2].starts_with("get /v1/quote?coin=dot http/1.1"), "{}", heads[2]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_that_does_not_open_is_no_call() {
	let upstream = Upstream::start(|_| (Duration::ZERO, ok("{}"))).await;
	let keys = sealing::OpeningKeys::new(Arc::new(Seeds(vec![[2; 32]])));
	let client = client(&["127.0.0.1"]).opening_secrets_with(Arc::new(keys));
	let url = format!("http://127.0.0.1:{}/", upstream.port);
	let secret = ApiSecret::Header { name: b"X-Key".to_vec(), value: b"v".to_vec() };
	let mine = sealing::encryption_key(&[2; 32]);

	// Sealed to another node's key; under another binding; altered in transit.
	let mut others = get(url.clone());
	others.secret = Some(sealed(&sealing::encryption_key(&[3; 32]), b"info", secret.clone()));
	let mut rebound = get(url.clone());
	rebound.secret = Some(SealedSecret {
		info: b"another api".to_vec(),
		..sealed(&mine, b"info", secret.clone())
	});
	let mut altered = get(url.clone());
	let mut tampered = sealed(&mine, b"info", secret.clone());
	tampered.envelope.ciphertext[0] ^= 1;
	altered.secret = Some(tampered);
	// And a node that opens no secrets at all.
	let mut unopened = get(url.clone());
	unopened.secret = Some(sealed(&mine, b"info", secret));
	for request in [others, rebound, altered] {
		assert_eq!(client.fetch(request).await.status, ResultStatus::Forbidden);
	}
	assert_eq!(self::client(&["127.0.0.1"]).fetch(unopened).await.status, ResultStatus::Forbidden);
	assert_eq!(upstream.connections(), 0);
}

#[test]
fn a_secret_too_long_for_an_envelope_is_refused() {
	let key = sealing::encryption_key(&[2; 32]);
	let long = ApiSecret::Header { name: b"X-Key".to_vec(), value: vec![b'a'; 1_100] };
	assert_eq!(sealing::seal_api_secret(&key, b"info", &long), Err(sealing::SealError::TooLong));
	assert_eq!(
		sealing::seal_api_secret(&[0; 32], b"info", &long).map(|_| ()),
		Err(sealing::SealError::BadRecipient)
	);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sealed_call_is_opened_sent_and_answered_sealed_to_its_client() {
	use baton_primitives::sealing::{ResponseSeal, SealedCall, SealedCallRequest};
	let upstream = Upstream::start(|_| (Duration::ZERO, ok(r#"{"balance":5}"#))).await;
	let seed = [2; 32];
	let keys = sealing::OpeningKeys::new(Arc::new(Seeds(vec![seed])));
	let client = client(&["127.0.0.1"]).opening_secrets_with(Arc::new(keys));
	let base = format!("http://127.0.0.1:{}", upstream.port);
	let (client_secret, client_key) = sealing::derive_key(&[9; 32]);
	let sealed_call = |call: &SealedCall, content_hash: [u8; 32]| SealedCallRequest {
		envelope: sealing::seal_call(&sealing::encryption_key(&seed), b"call", call).unwrap(),
		info: b"call".to_vec(),
		content_hash,
		max_headers: 4,
		max_header_len: 64,
		max_body_len: 64,
		max_path_len: 32,
		path_sealed: !call.path.is_empty(),
	};
	let call = SealedCall {
		path: Vec::new(),
		headers: vec![(b"X-Account".to_vec(), b"private-42".to_vec())],
		body: Vec::new(),
	};
	let mut request = get(format!("{base}/account"));
	request.sealed_call = Some(sealed_call(&call, call.content_hash()));
	request.seal_response = Some(ResponseSeal { client_key, info: b"response".to_vec() });
	let response = client.fetch(request).await;
	assert_eq!(response.status, ResultStatus::Response { code: 200 });
	// The worker needs the plaintext to compare results; only the sealed bytes are reported.
	assert_eq!(response.body, br#"{"balance":5}"#);
	let sealed = response.sealed_body.unwrap();
	assert_eq!(
		sealing::open_response(&client_secret, b"response", &sealed).unwrap(),
		response.body
	);
	assert_eq!(sealing::open_response(&client_secret, b"another request", &sealed), None);
	let head = upstream.requests.lock().unwrap()[0].to_ascii_lowercase();
	assert!(head.starts_with("get /account "), "{head}");
	assert!(head.contains("x-account: private-42"), "{head}");
	assert!(head.contains("idempotency-key: 7"), "{head}");

	// A confidential path: the request's URL is the API's base, the path comes sealed.
	let hidden = SealedCall { path: b"/account/private-7?full=1".to_vec(), ..call.clone() };
	let mut request = get(base.clone());
	request.sealed_call = Some(sealed_call(&hidden, hidden.content_hash()));
	assert_eq!(client.fetch(request).await.status, ResultStatus::Response { code: 200 });
	let head = upstream.requests.lock().unwrap()[1].clone();
	assert!(head.starts_with("GET /account/private-7?full=1 "), "{head}");

	// Not what its client committed to; a header the operators set; over the chain's bounds;
	// a sealed path that could leave the API's host, or is too long; a path in the sealed
	// call of a request that has one in public, or none where it must.
	let reserved = SealedCall {
		headers: vec![(b"Idempotency-Key".to_vec(), b"mine".to_vec())],
		..call.clone()
	};
	let long = SealedCall { body: vec![b'x'; 65], ..call.clone() };
	let host = SealedCall { path: b"@evil.example/".to_vec(), ..call.clone() };
	let long_path = SealedCall { path: [&b"/"[..], &[b'a'; 32]].concat(), ..call.clone() };
	let mut bad: Vec<_> = [&call, &reserved, &long, &host, &long_path]
		.into_iter()
		.map(|call| sealed_call(call, call.content_hash()))
		.collect();
	bad[0].content_hash = [0; 32];
	let mut second_path = sealed_call(&hidden, hidden.content_hash());
	second_path.path_sealed = false;
	let mut no_path = sealed_call(&call, call.content_hash());
	no_path.path_sealed = true;
	for bad in bad.into_iter().chain([second_path, no_path]) {
		let mut request = get(base.clone());
		request.sealed_call = Some(bad);
		assert_eq!(client.fetch(request).await.status, ResultStatus::Forbidden);
	}
	assert_eq!(upstream.connections(), 2);
}
