//! The endpoint over real HTTP on loopback, with a real upstream, real keys and
//! in-memory offchain storage; the chain is a stand-in that tests change between blocks.

use std::{net::SocketAddr, sync::Arc};

use baton_primitives::{
	offchain::keys::{relay_voucher_key, RELAY_VOUCHER_INDEX_KEY},
	ApiId, ApiView, GatewayKey, ServedVoucher, SessionOperatorView,
};
use codec::{Decode, Encode};
use parking_lot::Mutex;
use sp_core::{
	offchain::{testing::TestPersistentOffchainDB, OffchainStorage, STORAGE_PREFIX},
	Pair,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::chain::BlockNumber;

const GENESIS: [u8; 32] = [7; 32];
const PRICE: Balance = 10;
const FEE: Balance = 1;
const COST: Balance = PRICE + FEE;

/// The chain as the tests set it.
struct Chain {
	best: Mutex<BlockNumber>,
	sessions: Mutex<Vec<SessionView>>,
	api: ApiView<AccountId, Balance>,
	keys: Vec<GatewayKey>,
}

impl ChainSource for Chain {
	fn best_number(&self) -> BlockNumber {
		*self.best.lock()
	}
	fn session(&self, id: u64) -> Option<SessionView> {
		self.sessions.lock().iter().find(|s| s.id == id).cloned()
	}
	fn api(&self, id: ApiId) -> Option<ApiView<AccountId, Balance>> {
		(id == 0).then(|| self.api.clone())
	}
	fn api_secret(
		&self,
		_: ApiId,
		_: &AccountId,
	) -> Option<baton_primitives::sealing::SealedSecret> {
		None
	}
	fn local_keys(&self) -> Vec<GatewayKey> {
		self.keys.clone()
	}
	fn key_pair(&self, key: &GatewayKey) -> Option<sp_core::ed25519::Pair> {
		(key == &gateway().public().0).then(gateway)
	}
}

fn client_pair() -> sp_core::sr25519::Pair {
	sp_core::sr25519::Pair::from_seed(&[1; 32])
}

fn client() -> AccountId {
	client_pair().public().0.into()
}

fn operator() -> AccountId {
	AccountId::new([10; 32])
}

fn session(id: u64, allowance: Balance) -> SessionView {
	SessionView {
		id,
		client: client(),
		api_id: 0,
		price_per_call: PRICE,
		protocol_fee: FEE,
		allowance,
		operators: vec![SessionOperatorView {
			operator: operator(),
			gateway_key: Some(gateway().public().0),
			claimed_calls: 0,
		}],
		opened_at: 1,
		expires_at: 100,
		closed_at: None,
		claims_until: None,
	}
}

fn gateway() -> sp_core::ed25519::Pair {
	sp_core::ed25519::Pair::from_seed(&[10; 32])
}

/// An upstream on loopback answering `<method> <path> <idempotency key> <body>`.
async fn upstream() -> (SocketAddr, Arc<Mutex<u32>>) {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let address = listener.local_addr().unwrap();
	let calls = Arc::new(Mutex::new(0));
	let counted = calls.clone();
	tokio::spawn(async move {
		loop {
			let (stream, _) = listener.accept().await.unwrap();
			let counted = counted.clone();
			tokio::spawn(async move {
				let service = hyper::service::service_fn(move |request: Request<Incoming>| {
					*counted.lock() += 1;
					async move {
						let idempotency = request
							.headers()
							.get("idempotency-key")
							.map(|v| v.to_str().unwrap().to_owned())
							.unwrap_or_default();
						let head = format!("{} {} {idempotency} ", request.method(), request.uri());
						let body = request.into_body().collect().await.unwrap().to_bytes();
						let text = [head.as_bytes(), &body[..]].concat();
						Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
					}
				});
				let _ = hyper::server::conn::http1::Builder::new()
					.serve_connection(hyper_util::rt::TokioIo::new(stream), service)
					.await;
			});
		}
	});
	(address, calls)
}

struct Harness {
	endpoint: Arc<Endpoint<TestPersistentOffchainDB>>,
	chain: Arc<Chain>,
	storage: TestPersistentOffchainDB,
	address: SocketAddr,
	upstream_calls: Arc<Mutex<u32>>,
}

impl Harness {
	async fn new(sessions: Vec<SessionView>) -> Self {
		Self::over(sessions, TestPersistentOffchainDB::new()).await
	}

	/// An endpoint over `storage`, which may hold what an earlier one served.
	async fn over(sessions: Vec<SessionView>, storage: TestPersistentOffchainDB) -> Self {
		let (upstream, upstream_calls) = upstream().await;
		let chain = Arc::new(Chain {
			best: Mutex::new(10),
			sessions: Mutex::new(sessions),
			api: ApiView {
				owner: AccountId::new([2; 32]),
				paused: false,
				base_url: format!("http://{upstream}").into_bytes(),
				methods: vec![b"GET".to_vec(), b"POST".to_vec()],
				price_per_call: PRICE,
				max_response_bytes: 1_024,
				timeout_ms: 2_000,
				max_body_bytes: 64,
			},
			keys: vec![gateway().public().0],
		});
		let egress = EgressClient::keeping_connections(
			baton_egress::Policy::allow_hosts(["127.0.0.1".to_owned()]),
			tokio::runtime::Handle::current(),
			std::time::Duration::from_secs(2),
		)
		.unwrap();
		let endpoint =
			Arc::new(Endpoint::new(GENESIS, chain.clone(), storage.clone(), egress, None));
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let address = listener.local_addr().unwrap();
		tokio::spawn(serve(listener, endpoint.clone()));
		Self { endpoint, chain, storage, address, upstream_calls }
	}

	fn upstream_calls(&self) -> u32 {
		*self.upstream_calls.lock()
	}

	fn kept(&self, session_id: u64) -> Option<ServedVoucher<Balance, MultiSignature>> {
		let raw = OffchainStorage::get(
			&self.storage,
			STORAGE_PREFIX,
			&relay_voucher_key(session_id, &operator()),
		)?;
		Some(Decode::decode(&mut &raw[..]).unwrap())
	}
}

/// A call as a client makes it.
#[derive(Clone)]
struct Call {
	method: &'static str,
	path: String,
	headers: Vec<(String, String)>,
	body: Vec<u8>,
	ticket: RelayTicket<AccountId, Balance>,
	/// Signs with this pair instead of the client's.
	signer: sp_core::sr25519::Pair,
	/// Sent as the ticket instead of the ticket's encoding.
	raw_ticket: Option<String>,
}

fn call(session_id: u64, sequence: u64, calls: u64) -> Call {
	Call {
		method: "GET",
		path: format!("/price?n={sequence}"),
		headers: vec![],
		body: vec![],
		ticket: RelayTicket {
			genesis_hash: GENESIS,
			session_id,
			sequence,
			operator: operator(),
			calls,
			amount: COST * calls as Balance,
		},
		signer: client_pair(),
		raw_ticket: None,
	}
}

struct Answer {
	status: u16,
	headers: Vec<(String, String)>,
	body: Vec<u8>,
}

impl Answer {
	fn header(&self, name: &str) -> Option<&str> {
		self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
	}

	fn error(&self) -> String {
		let json: serde_json::Value = serde_json::from_slice(&self.body).unwrap();
		json["error"].as_str().unwrap().to_owned()
	}
}

/// Sends `call` over a fresh connection and reads the whole answer.
async fn send(address: SocketAddr, call: &Call) -> Answer {
	let headers: Vec<(Vec<u8>, Vec<u8>)> = call
		.headers
		.iter()
		.map(|(n, v)| (n.to_ascii_lowercase().into_bytes(), v.clone().into_bytes()))
		.collect();
	let request_hash =
		relay_request_hash(call.method.as_bytes(), call.path.as_bytes(), &headers, &call.body);
	let t = &call.ticket;
	let signature = MultiSignature::Sr25519(call.signer.sign(&t.message(&request_hash)));
	let ticket = call
		.raw_ticket
		.clone()
		.unwrap_or_else(|| format!("0x{}", hex::encode(t.encode())));
	let mut head = format!(
		"{} /relay/{}{} HTTP/1.1\r\nhost: relay\r\nconnection: close\r\ncontent-length: {}\r\n\
		 baton-ticket: {ticket}\r\nbaton-signature: 0x{}\r\n",
		call.method,
		t.session_id,
		call.path,
		call.body.len(),
		hex::encode(signature.encode()),
	);
	if !call.headers.is_empty() {
		let names: Vec<_> = call.headers.iter().map(|(n, _)| n.as_str()).collect();
		head.push_str(&format!("baton-signed-headers: {}\r\n", names.join(", ")));
		for (name, value) in &call.headers {
			head.push_str(&format!("{name}: {value}\r\n"));
		}
	}
	head.push_str("\r\n");
	exchange(address, &head, &call.body).await
}

/// Sends `head` (the request line and headers, through the blank line) and `body` over a fresh
/// connection and reads the whole answer.
async fn exchange(address: SocketAddr, head: &str, body: &[u8]) -> Answer {
	let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
	stream.write_all(head.as_bytes()).await.unwrap();
	stream.write_all(body).await.unwrap();
	let mut raw = Vec::new();
	stream.read_to_end(&mut raw).await.unwrap();
	let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
	let head = String::from_utf8(raw[..split].to_vec()).unwrap();
	let mut lines = head.split("\r\n");
	let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
	let headers = lines
		.map(|line| {
			let (n, v) = line.split_once(':').unwrap();
			(n.trim().to_ascii_lowercase(), v.trim().to_owned())
		})
		.collect();
	Answer { status, headers, body: raw[split + 4..].to_vec() }
}

fn unhex(text: &str) -> Vec<u8> {
	hex::decode(text.strip_prefix("0x").unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_served_with_a_receipt_the_gateway_key_alone_verifies() {
	let h = Harness::new(vec![session(3, 100 * COST)]).await;
	let mut post = call(3, 0, 1);
	post.method = "POST";
	post.body = b"{\"q\":1}".to_vec();
	post.headers = vec![("Content-Type".into(), "application/json".into())];
	let answer = send(h.address, &post).await;
	assert_eq!(answer.status, 200, "{:?}", String::from_utf8_lossy(&answer.body));
	assert_eq!(answer.body, b"POST /price?n=0 3-0 {\"q\":1}".to_vec());

	let receipt =
		RelayReceipt::decode_all(&mut &unhex(answer.header("baton-receipt").unwrap())[..]).unwrap();
	let headers = vec![(b"content-type".to_vec(), b"application/json".to_vec())];
	let request_hash = relay_request_hash(b"POST", b"/price?n=0", &headers, &post.body);
	assert_eq!(
		(receipt.session_id, receipt.sequence, receipt.request_hash, receipt.response_hash),
		(3, 0, request_hash, sp_crypto_hashing::blake2_256(&answer.body))
	);
	assert_eq!(receipt.status, ResultStatus::Response { code: 200 });
	// Dated by the node's best block (the fake chain's is 10).
	assert_eq!(receipt.answered_at, 10);
	let signature: [u8; 64] =
		unhex(answer.header("baton-receipt-signature").unwrap()).try_into().unwrap();
	assert!(sp_core::ed25519::Pair::verify(
		&sp_core::ed25519::Signature::from_raw(signature),
		receipt.message(&GENESIS),
		&gateway().public()
	));
	assert_eq!(unhex(answer.header("baton-operator").unwrap()), operator().encode());

	let kept = h.kept(3).unwrap();
	assert_eq!((kept.served, kept.voucher.calls, kept.voucher.amount), (1, 1, COST));
	let index = OffchainStorage::get(&h.storage, STORAGE_PREFIX, RELAY_VOUCHER_INDEX_KEY).unwrap();
	assert_eq!(Vec::<(u64, AccountId)>::decode(&mut &index[..]).unwrap(), vec![(3, operator())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_idempotency_key_goes_upstream_as_the_client_gave_it() {
	let h = Harness::new(vec![session(3, 100 * COST)]).await;
	let mut hedged = call(3, 5, 1);
	hedged.headers = vec![("Idempotency-Key".into(), "3-4".into())];
	let answer = send(h.address, &hedged).await;
	assert_eq!(answer.status, 200, "{:?}", String::from_utf8_lossy(&answer.body));
	assert_eq!(answer.body, b"GET /price?n=5 3-4 ".to_vec(), "the client's key, not 3-5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_has_its_status_and_reason_and_changes_nothing() {
	let h = Harness::new(vec![session(3, 100 * COST), session(4, COST)]).await;
	// Session 4's one call is spent first, so that its next one is over the allowance.
	assert_eq!(send(h.address, &call(4, 0, 1)).await.status, 200);
	assert_eq!(send(h.address, &call(3, 1, 1)).await.status, 200);
	let (kept, upstream_calls) = (h.kept(3), h.upstream_calls());

	let with = |f: fn(&mut Call)| {
		let mut c = call(3, 2, 2);
		f(&mut c);
		c
	};
	let mut closed = session(5, 100 * COST);
	closed.closed_at = Some(9);
	let mut expired = session(6, 100 * COST);
	expired.expires_at = 9;
	let mut foreign = session(7, 100 * COST);
	foreign.operators[0].gateway_key = Some([99; 32]);
	h.chain.sessions.lock().extend([closed, expired, foreign]);

	let cases: Vec<(Call, u16, &str)> = vec![
		(with(|c| c.raw_ticket = Some(String::new())), 400, "bad_ticket"),
		(with(|c| c.raw_ticket = Some("0x0102".into())), 400, "bad_ticket"),
		(with(|c| c.raw_ticket = Some("zz".into())), 400, "bad_ticket"),
		(with(|c| c.ticket.genesis_hash = [8; 32]), 421, "wrong_chain"),
		(with(|c| c.ticket.session_id = 999), 404, "unknown_session"),
		(with(|c| c.ticket.session_id = 5), 410, "session_closed"),
		(with(|c| c.ticket.session_id = 6), 410, "session_closed"),
		(with(|c| c.ticket.operator = AccountId::new([11; 32])), 403, "not_operator"),
		(with(|c| c.ticket.session_id = 7), 403, "not_operator"),
		(with(|c| c.method = "DELETE"), 405, "method_not_allowed"),
		(with(|c| c.body = vec![0; 65]), 413, "body_too_large"),
		(with(|c| c.signer = sp_core::sr25519::Pair::from_seed(&[2; 32])), 401, "bad_signature"),
		(with(|c| c.headers = vec![("Baton-Extra".into(), "x".into())]), 400, "bad_ticket"),
		(call(3, 1, 2), 409, "replayed"),
		(with(|c| c.ticket.amount = COST), 402, "voucher_short"),
		(call(4, 1, 2), 402, "allowance_exhausted"),
	];
	for (call, status, error) in cases {
		let answer = send(h.address, &call).await;
		assert_eq!((answer.status, answer.error().as_str()), (status, error), "{}", call.path);
	}
	assert_eq!((h.kept(3), h.upstream_calls()), (kept, upstream_calls), "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_arriving_out_of_order_are_covered_by_the_best_voucher() {
	let h = Harness::new(vec![session(3, 100 * COST)]).await;
	assert_eq!(send(h.address, &call(3, 1, 2)).await.status, 200);
	assert_eq!(send(h.address, &call(3, 0, 1)).await.status, 200);
	let kept = h.kept(3).unwrap();
	assert_eq!((kept.served, kept.voucher.sequence, kept.voucher.amount), (2, 1, 2 * COST));
	assert_eq!(send(h.address, &call(3, 2, 2)).await.error(), "voucher_short");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_preflight_is_answered_and_any_page_may_read_every_answer() {
	let h = Harness::new(vec![session(3, 100 * COST)]).await;
	let preflight = exchange(
		h.address,
		"OPTIONS /relay/3/price HTTP/1.1\r\nhost: relay\r\nconnection: close\r\n\
		 origin: https://dapp.example\r\naccess-control-request-method: POST\r\n\
		 access-control-request-headers: baton-ticket,baton-signature,content-type\r\n\r\n",
		&[],
	)
	.await;
	assert_eq!(preflight.status, 204);
	assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
	assert!(preflight.header("access-control-allow-methods").unwrap().contains("POST"));
	assert_eq!(
		preflight.header("access-control-allow-headers"),
		Some("baton-ticket,baton-signature,content-type")
	);
	assert_eq!((h.kept(3), h.upstream_calls()), (None, 0), "a preflight is no call");

	let exposed = "baton-receipt, baton-receipt-signature, baton-operator";
	let served = send(h.address, &call(3, 0, 1)).await;
	assert_eq!(served.status, 200);
	assert_eq!(served.header("access-control-allow-origin"), Some("*"));
	assert_eq!(served.header("access-control-expose-headers"), Some(exposed));
	let mut bad = call(3, 1, 2);
	bad.raw_ticket = Some("0xzz".into());
	let refused = send(h.address, &bad).await;
	assert_eq!((refused.status, refused.error().as_str()), (400, "bad_ticket"));
	assert_eq!(refused.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_keeps_what_it_served_and_forgets_settled_sessions() {
	let h = Harness::new(vec![session(3, 100 * COST)]).await;
	for n in 0..5 {
		assert_eq!(send(h.address, &call(3, n, n + 1)).await.status, 200);
	}
	let restarted = Harness::over(vec![session(3, 100 * COST)], h.storage.clone()).await;
	assert_eq!(send(restarted.address, &call(3, 4, 5)).await.error(), "replayed");
	assert_eq!(send(restarted.address, &call(3, 9, 5)).await.error(), "voucher_short");
	assert_eq!(send(restarted.address, &call(3, 5, 6)).await.status, 200);
	assert_eq!(restarted.kept(3).unwrap().served, 6);

	restarted.chain.sessions.lock().clear();
	restarted.endpoint.on_best_block();
	assert_eq!(restarted.kept(3), None);
	let index =
		OffchainStorage::get(&restarted.storage, STORAGE_PREFIX, RELAY_VOUCHER_INDEX_KEY).unwrap();
	assert_eq!(index, Vec::<(u64, AccountId)>::new().encode());
}
