//! `baton gateway`: a local HTTP gateway in front of relay sessions (docs/relay.md, "baton
//! gateway"). `<METHOD> /<api_id>/<path>` goes out as a relayed call in the API's session,
//! opened on first use and renewed before it ends: to the session's best operator first, to the
//! next one at once when that one fails and after the hedge delay when it is late; the first
//! answer with a verified receipt is the client's. Each call that another operator answered is
//! a handover, reported when the session closes.

mod attempt;
mod metrics;
mod session;

use std::{
	collections::HashMap,
	convert::Infallible,
	net::SocketAddr,
	path::PathBuf,
	sync::{
		atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};

use attempt::{Answer, Evidence, Tried};
use baton_primitives::{relay_request_hash, ApiId, RelayFault};
use baton_relay_endpoint::UNFORWARDABLE;
use baton_runtime::{AccountId, RuntimeCall, RuntimeEvent};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Incoming, header::HeaderValue, Request, Response};
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::{TokioExecutor, TokioIo},
};
use serde_json::json;
use sp_core::crypto::Ss58Codec;
use tokio::task::JoinSet;

use session::Session;
pub use session::{Hedge, Terms};

use crate::{chain::Chain, transactions::Signer};

/// The largest request body the gateway takes.
const MAX_REQUEST_BYTES: usize = 8 << 20;
/// How long an operator that was skipped in one session goes last in the next ones.
const SUSPECT_FOR: Duration = Duration::from_secs(300);
/// How long a closing session waits for its calls in flight, and shutdown for its calls.
const DRAIN: Duration = Duration::from_secs(attempt::ATTEMPT_TIMEOUT.as_secs() + 5);
/// How long a failed open answers for the calls after it, before the next call tries again.
const RETRY_OPEN_AFTER: Duration = Duration::from_secs(5);
/// A session with this few blocks left and no calls is closed with its report, rather than
/// left to expire on-chain with none.
const IDLE_CLOSE_BLOCKS: u32 = 10;
/// Not forwarded besides the relay endpoint's unforwardable headers: the relay passes bodies on
/// as they are, without the upstream's `content-encoding`.
const NOT_ASKED: &str = "accept-encoding";

/// The gateway's options.
pub struct Options {
	pub listen: SocketAddr,
	pub terms: Terms,
	/// Where receipts that do not verify are kept with their calls.
	pub evidence_dir: PathBuf,
	/// Where every verified receipt is kept with its call, if anywhere.
	pub keep_receipts: Option<PathBuf>,
}

/// One call as it arrived, as every operator gets it: the same request hash for all.
pub struct Call {
	method: hyper::Method,
	/// What follows `/<api_id>`, query included.
	path: String,
	/// Forwarded and signed: (lower-case name, value), `idempotency-key` among them.
	headers: Vec<(Vec<u8>, Vec<u8>)>,
	body: Bytes,
	request_hash: [u8; 32],
}

/// Where an API's current session is kept: locked while one is opened, so that calls arriving
/// meanwhile wait for it rather than open their own.
type Slot = Arc<tokio::sync::Mutex<Current>>;

/// An API's current session, and why the last try to open one failed, while that is recent.
#[derive(Default)]
struct Current {
	session: Option<Arc<Session>>,
	failed: Option<(Instant, String)>,
}

/// The running gateway.
pub struct Gateway {
	chain: Chain,
	signer: Signer,
	genesis_hash: [u8; 32],
	terms: Terms,
	evidence_dir: PathBuf,
	keep_receipts: Option<PathBuf>,
	http: Client<HttpConnector, Full<Bytes>>,
	metrics: metrics::Metrics,
	best: AtomicU32,
	slots: Mutex<HashMap<ApiId, Slot>>,
	suspects: Mutex<HashMap<AccountId, Instant>>,
	closing: Mutex<Vec<tokio::task::JoinHandle<()>>>,
	in_flight: AtomicUsize,
	/// Set at SIGINT or SIGTERM: no call is taken and no session opened after it.
	stopping: std::sync::atomic::AtomicBool,
	/// Makes this run's idempotency keys its own: a hash of its start time and process id.
	run: String,
	calls: AtomicU64,
}

/// What a call came to in one session.
enum Served {
	Answer(Response<Full<Bytes>>),
	/// No operator of the session answered: why.
	NoOperator(String),
}

/// A call sent to one member: which, as which sequence number, and which earlier try it took
/// over from and why (none for the first).
struct Started {
	member: usize,
	sequence: u64,
	from: Option<(usize, RelayFault)>,
}

/// Runs the gateway until SIGINT or SIGTERM, then closes its sessions with their reports.
pub async fn run(chain: Chain, signer: Signer, options: Options) -> Result<(), String> {
	let genesis_hash = chain.genesis_hash().await?;
	let best = chain.best_number().await?;
	let listener = tokio::net::TcpListener::bind(options.listen)
		.await
		.map_err(|error| format!("{}: {error}", options.listen))?;
	let started = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
	let gateway = Arc::new(Gateway {
		chain,
		signer,
		genesis_hash,
		terms: options.terms,
		evidence_dir: options.evidence_dir,
		keep_receipts: options.keep_receipts,
		http: Client::builder(TokioExecutor::new()).build_http(),
		metrics: metrics::Metrics::new().map_err(|error| error.to_string())?,
		best: AtomicU32::new(best),
		slots: Default::default(),
		suspects: Default::default(),
		closing: Default::default(),
		in_flight: AtomicUsize::new(0),
		stopping: Default::default(),
		run: hex::encode(&sp_crypto_hashing::blake2_128(started.as_bytes())[..6]),
		calls: AtomicU64::new(0),
	});
	println!(
		"baton gateway: listening on http://{} as {}, node at best block #{best}",
		options.listen,
		gateway.signer.account().to_ss58check()
	);
	tokio::spawn(gateway.clone().follow_best_block());
	let mut shutdown = std::pin::pin!(shutdown_signal());
	loop {
		tokio::select! {
			accepted = listener.accept() => {
				let Ok((stream, _)) = accepted else { continue };
				let _ = stream.set_nodelay(true);
				tokio::spawn(gateway.clone().serve_connection(stream));
			},
			_ = &mut shutdown => break,
		}
	}
	drop(listener);
	gateway.shut_down().await;
	Ok(())
}

async fn shutdown_signal() {
	use tokio::signal::unix::{signal, SignalKind};
	match signal(SignalKind::terminate()) {
		Ok(mut terminate) => tokio::select! {
			_ = terminate.recv() => {},
			_ = tokio::signal::ctrl_c() => {},
		},
		Err(_) => {
			let _ = tokio::signal::ctrl_c().await;
		},
	}
}

impl Gateway {
	/// Keeps the best block's number, and closes sessions that near their end with no call
	/// to renew them.
	async fn follow_best_block(self: Arc<Self>) {
		loop {
			if let Ok(best) = self.chain.best_number().await {
				self.best.store(best, Ordering::Relaxed);
				for slot in self.all_slots() {
					// A slot locked while a session opens is looked at next time: waiting for
					// it would stop the best block's number for every API meanwhile.
					let Ok(mut current) = slot.try_lock() else { continue };
					let ending = |s: &Arc<Session>| best + IDLE_CLOSE_BLOCKS >= s.expires_at;
					if let Some(session) = current.session.take_if(|s| ending(s)) {
						self.close_later(session, "near its end, idle");
					}
				}
			}
			tokio::time::sleep(Duration::from_secs(1)).await;
		}
	}

	fn all_slots(&self) -> Vec<Slot> {
		self.slots.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
	}

	fn best(&self) -> u32 {
		self.best.load(Ordering::Relaxed)
	}

	async fn serve_connection(self: Arc<Self>, stream: tokio::net::TcpStream) {
		let service = hyper::service::service_fn(move |request| {
			let gateway = self.clone();
			async move { Ok::<_, Infallible>(gateway.handle(request).await) }
		});
		let _ = hyper::server::conn::http1::Builder::new()
			.serve_connection(TokioIo::new(stream), service)
			.await;
	}

	async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<Full<Bytes>> {
		let (parts, body) = request.into_parts();
		let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
		if parts.method == hyper::Method::GET && target == "/metrics" {
			return response(200, "text/plain; version=0.0.4", self.metrics.text().into());
		}
		if self.stopping.load(Ordering::SeqCst) {
			self.metrics.call("stopping");
			return refusal(503, "stopping", "the gateway is closing its sessions");
		}
		let Some((api_id, path)) = parse_target(target) else {
			self.metrics.call("bad_request");
			return refusal(400, "bad_path", "calls go to /<api_id>/<path>, e.g. /0/price?n=1");
		};
		let Ok(body) = Limited::new(body, MAX_REQUEST_BYTES).collect().await else {
			self.metrics.call("bad_request");
			return refusal(413, "body_too_large", "the gateway takes bodies up to 8 MiB");
		};
		self.in_flight.fetch_add(1, Ordering::SeqCst);
		let answer = self.serve(api_id, parts.method, path, &parts.headers, body.to_bytes()).await;
		self.in_flight.fetch_sub(1, Ordering::SeqCst);
		answer
	}

	async fn serve(
		self: &Arc<Self>,
		api_id: ApiId,
		method: hyper::Method,
		path: String,
		headers: &hyper::HeaderMap,
		body: Bytes,
	) -> Response<Full<Bytes>> {
		let started = Instant::now();
		let call = Arc::new(self.call(method, path, headers, body));
		let session = match self.session(api_id).await {
			Ok(session) => session,
			Err(reason) => {
				self.metrics.call("no_session");
				let message = format!("no relay session on API {api_id}: {reason}");
				return refusal(502, "no_session", &message);
			},
		};
		let reason = match self.serve_in(&session, &call, started).await {
			Served::Answer(answer) => return answer,
			Served::NoOperator(reason) => reason,
		};
		// Every operator of the session failed: a new session, drawn again, gets the call once.
		session.retire();
		let retry = match self.session(api_id).await {
			Ok(fresh) if fresh.id != session.id => {
				match self.serve_in(&fresh, &call, started).await {
					Served::Answer(answer) => return answer,
					Served::NoOperator(again) => format!("and in session {}: {again}", fresh.id),
				}
			},
			Ok(_) => String::new(),
			Err(error) => format!("and no new session opened: {error}"),
		};
		self.metrics.call("no_operator");
		let message = format!("no operator of session {} answered ({reason}) {retry}", session.id);
		refusal(503, "no_operator", message.trim_end())
	}

	/// The call as every operator gets it: the client's headers but the connection's, and
	/// one idempotency key for all its tries (the client's, if it gave one).
	fn call(
		&self,
		method: hyper::Method,
		path: String,
		given: &hyper::HeaderMap,
		body: Bytes,
	) -> Call {
		// One header a name, repeated values joined with ", " (RFC 9110, 5.3): the endpoint
		// signs and forwards each named header's value once.
		let mut headers: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
		for name in given.keys() {
			let name = name.as_str();
			if UNFORWARDABLE.contains(&name) || name == NOT_ASKED || name.starts_with("baton-") {
				continue;
			}
			let values: Vec<&[u8]> = given.get_all(name).iter().map(|v| v.as_bytes()).collect();
			headers.push((name.as_bytes().to_vec(), values.join(&b", "[..])));
		}
		if !headers.iter().any(|(name, _)| name == b"idempotency-key") {
			let n = self.calls.fetch_add(1, Ordering::Relaxed);
			let key = format!("baton-{}-{n}", self.run);
			headers.push((b"idempotency-key".to_vec(), key.into_bytes()));
		}
		let request_hash =
			relay_request_hash(method.as_str().as_bytes(), path.as_bytes(), &headers, &body);
		Call { method, path, headers, body, request_hash }
	}

	/// The session calls on `api_id` go to: the current one, or a new one when there is none
	/// or it can no longer serve. Starts a successor in the background when it nears its end.
	async fn session(self: &Arc<Self>, api_id: ApiId) -> Result<Arc<Session>, String> {
		let slot = self.slot(api_id);
		let mut current = slot.lock().await;
		let best = self.best();
		if let Some(session) = current.session.as_ref().filter(|s| s.usable(best)) {
			if session.start_renewal(best) {
				tokio::spawn(self.clone().renew(api_id, session.clone()));
			}
			return Ok(session.clone());
		}
		// Calls that waited for an open that failed get its reason, not an open each.
		if let Some((at, reason)) = &current.failed {
			if at.elapsed() < RETRY_OPEN_AFTER {
				return Err(reason.clone());
			}
		}
		if self.stopping.load(Ordering::SeqCst) {
			return Err("the gateway is stopping".into());
		}
		let fresh = match self.open(api_id).await {
			Ok(fresh) => Arc::new(fresh),
			Err(reason) => {
				current.failed = Some((Instant::now(), reason.clone()));
				return Err(reason);
			},
		};
		current.failed = None;
		if let Some(old) = current.session.replace(fresh.clone()) {
			self.close_later(old, "replaced");
		}
		Ok(fresh)
	}

	fn slot(&self, api_id: ApiId) -> Slot {
		let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
		slots.entry(api_id).or_default().clone()
	}

	async fn open(self: &Arc<Self>, api_id: ApiId) -> Result<Session, String> {
		let session = Session::open(&self.chain, &self.signer, api_id, &self.terms).await?;
		self.metrics.session("opened");
		let operators: Vec<_> =
			session.members.iter().map(|m| short(&m.account.to_ss58check())).collect();
		println!(
			"session {} (API {api_id}): opened with operators {} until #{}",
			session.id,
			operators.join(", "),
			session.expires_at
		);
		Ok(session)
	}

	/// Opens `old`'s successor and puts it in `old`'s place.
	async fn renew(self: Arc<Self>, api_id: ApiId, old: Arc<Session>) {
		if self.stopping.load(Ordering::SeqCst) {
			return;
		}
		let fresh = match self.open(api_id).await {
			Ok(fresh) => Arc::new(fresh),
			Err(error) => {
				println!("session {}: no successor opened, retried later: {error}", old.id);
				old.renewal_failed();
				return;
			},
		};
		let slot = self.slot(api_id);
		let mut current = slot.lock().await;
		if current.session.as_ref().is_some_and(|c| Arc::ptr_eq(c, &old)) {
			current.session = Some(fresh);
			self.close_later(old, "renewed");
		} else {
			self.close_later(fresh, "not needed");
		}
	}

	/// Closes `session` with its report once its calls in flight are done (at most [`DRAIN`]).
	fn close_later(self: &Arc<Self>, session: Arc<Session>, why: &'static str) {
		if !session.begin_close() {
			return;
		}
		let gateway = self.clone();
		let task = tokio::spawn(async move {
			let until = Instant::now() + DRAIN;
			// Calls in flight hold the session.
			while Arc::strong_count(&session) > 1 && Instant::now() < until {
				tokio::time::sleep(Duration::from_millis(50)).await;
			}
			gateway.close(&session, why).await;
		});
		self.closing.lock().unwrap_or_else(|p| p.into_inner()).push(task);
	}

	async fn close(&self, session: &Session, why: &str) {
		let (report, made) = session.report();
		let reported = report.handovers.len();
		let call = RuntimeCall::Relay(pallet_relay::Call::close_session {
			session_id: session.id,
			report,
		});
		match self.chain.submit(&self.signer, call, |_| ()).await {
			Ok(included) => {
				self.metrics.session("closed");
				let claims_until = included.events.iter().find_map(|event| match event {
					RuntimeEvent::Relay(pallet_relay::Event::SessionClosed {
						claims_until,
						..
					}) => Some(*claims_until),
					_ => None,
				});
				let dropped = match made - reported {
					0 => String::new(),
					n => format!(" ({n} more than a report holds left out)"),
				};
				println!(
					"session {} (API {}): closed ({why}) in block #{} with {reported} \
					 handovers{dropped}; claims until #{}",
					session.id,
					session.api_id,
					included.block,
					claims_until.map_or("?".to_owned(), |b| b.to_string()),
				);
			},
			Err(error) => {
				self.metrics.session("close_failed");
				println!(
					"session {} (API {}): not closed ({why}): {error}",
					session.id, session.api_id
				);
			},
		}
	}

	/// Sends `call` in `session`: to its best operator, on to the next at once when one fails
	/// and after the hedge delay when one is late, until an answer verifies.
	async fn serve_in(
		self: &Arc<Self>,
		session: &Arc<Session>,
		call: &Arc<Call>,
		arrived: Instant,
	) -> Served {
		let candidates = session.candidates(self.terms.max_failures, |who| self.suspect(who));
		if candidates.is_empty() {
			return Served::NoOperator("every operator was skipped after failing".into());
		}
		let mut tries = JoinSet::new();
		let mut started: Vec<Started> = Vec::new();
		let mut next = 0;
		let mut fallback = None;
		let mut last_error = String::from("no try ended with an answer");
		// Sends the call to the next candidate, taking over from the try `from` says, if any;
		// returns when to hedge it.
		let launch = |tries: &mut JoinSet<_>,
		              started: &mut Vec<Started>,
		              next: &mut usize,
		              from: Option<(usize, RelayFault)>| {
			let member = candidates[*next];
			*next += 1;
			let taken = session.take_ticket(member, self.genesis_hash);
			let position = started.len();
			started.push(Started { member, sequence: taken.ticket.sequence, from });
			let attempt = attempt::Try {
				gateway: self.clone(),
				session: session.clone(),
				member,
				taken,
				call: call.clone(),
				sent_at: self.best(),
			};
			tries.spawn(async move { (position, attempt.run().await) });
			Instant::now() + session.hedge_after(member, self.terms.hedge)
		};
		let mut hedge_at = launch(&mut tries, &mut started, &mut next, None);
		loop {
			tokio::select! {
				joined = tries.join_next(), if !tries.is_empty() => {
					let Some(Ok((position, tried))) = joined else { continue };
					let member = started[position].member;
					match tried {
						Tried::Verified(answer) => {
							self.hand_over(session, &started, position);
							self.keep_receipt(session, &started[position], call, &answer);
							self.metrics.answered(arrived.elapsed().as_secs_f64());
							return Served::Answer(self.respond(session, member, answer));
						},
						Tried::CallersFault(status, body) => {
							self.metrics.call("callers_fault");
							return Served::Answer(response(status, "application/json", body));
						},
						Tried::Next(cause, reason, upstream_failure) => {
							if upstream_failure.is_none() && session.failed(member, self.terms.max_failures) {
								self.skipped(session, member);
							}
							if let Some(answer) = upstream_failure {
								fallback = Some((member, answer));
							}
							let who = short(&session.members[member].account.to_ss58check());
							last_error = format!("{who}: {reason}");
							if next < candidates.len() {
								let from = Some((position, cause));
								hedge_at = launch(&mut tries, &mut started, &mut next, from);
							} else if tries.is_empty() {
								break;
							}
						},
					}
				},
				_ = tokio::time::sleep_until(hedge_at.into()), if next < candidates.len() => {
					self.metrics.hedged();
					// The try hedged past is the last one sent.
					let from = Some((started.len() - 1, RelayFault::Late));
					hedge_at = launch(&mut tries, &mut started, &mut next, from);
				},
				// No try in flight and none left to send (a try that panicked ends here too).
				else => break,
			}
		}
		match fallback {
			// The upstream itself failed at every operator that reached it: that, verified.
			Some((member, answer)) => {
				self.metrics.call("upstream_failed");
				Served::Answer(self.respond(session, member, answer))
			},
			None => Served::NoOperator(last_error),
		}
	}

	/// Records the handovers of a call answered by its `winner`-th try: the chain of tries
	/// that led to it, each taking over from the one before for that one's fault.
	fn hand_over(&self, session: &Session, started: &[Started], winner: usize) {
		let mut chain = Vec::new();
		let mut at = winner;
		while let Some((from, cause)) = started[at].from {
			chain.push((from, at, cause));
			at = from;
		}
		for (from, to, cause) in chain.into_iter().rev() {
			let (from, to) = (&started[from], &started[to]);
			session.handed_over(from.member, to.member, to.sequence, cause);
			self.metrics.handed_over(match cause {
				RelayFault::Late => "late",
				RelayFault::Failed => "failed",
				RelayFault::BadReceipt => "bad_receipt",
			});
		}
	}

	fn skipped(&self, session: &Session, member: usize) {
		let account = &session.members[member].account;
		println!(
			"session {}: operator {} skipped after {} failures in a row",
			session.id,
			account.to_ss58check(),
			self.terms.max_failures
		);
		self.suspects
			.lock()
			.unwrap_or_else(|p| p.into_inner())
			.insert(account.clone(), Instant::now());
	}

	fn suspect(&self, who: &AccountId) -> bool {
		let suspects = self.suspects.lock().unwrap_or_else(|p| p.into_inner());
		suspects.get(who).is_some_and(|since| since.elapsed() < SUSPECT_FOR)
	}

	fn respond(&self, session: &Session, member: usize, answer: Answer) -> Response<Full<Bytes>> {
		let mut response = Response::new(Full::new(answer.body));
		*response.status_mut() =
			hyper::StatusCode::from_u16(answer.status).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
		let headers = response.headers_mut();
		let mut set = |name: &'static str, value: String| {
			if let Ok(value) = HeaderValue::try_from(value) {
				headers.insert(name, value);
			}
		};
		set("baton-receipt", answer.receipt_hex);
		set("baton-receipt-signature", answer.signature_hex);
		set("baton-operator", session.members[member].account.to_ss58check());
		set("baton-session", session.id.to_string());
		response
	}

	/// Keeps a receipt that did not verify with its call, for a later look.
	fn keep_evidence(&self, session: &Session, member: usize, call: &Call, kept: Evidence) {
		// One file per (call, operator): a call's tries at two operators may both fail.
		let request = hex::encode(&call.request_hash[..6]);
		let name = format!("session-{}-{request}-{member}.json", session.id);
		let reason = kept.reason.unwrap_or_default();
		match keep(&self.evidence_dir, &name, session, member, call, &kept) {
			Ok(path) => println!(
				"session {}: a receipt did not verify ({reason}); kept in {}",
				session.id,
				path.display()
			),
			Err(error) => println!(
				"session {}: a receipt did not verify ({reason}); not kept: {error}",
				session.id
			),
		}
	}

	/// Keeps a verified answer with its call under `--keep-receipts`, for a dispute later.
	fn keep_receipt(&self, session: &Session, tried: &Started, call: &Call, answer: &Answer) {
		let Some(dir) = &self.keep_receipts else { return };
		let kept = Evidence {
			receipt_hex: &answer.receipt_hex,
			signature_hex: &answer.signature_hex,
			body: &answer.body,
			reason: None,
		};
		let name = format!("session-{}-call-{}.json", session.id, tried.sequence);
		if let Err(error) = keep(dir, &name, session, tried.member, call, &kept) {
			println!("session {}: call {} not kept: {error}", session.id, tried.sequence);
		}
	}

	/// Stops: takes no more calls, lets those in flight finish (at most [`DRAIN`]), then
	/// closes every session, also those a renewal opens meanwhile.
	async fn shut_down(self: Arc<Self>) {
		println!("baton gateway: stopping; closing its sessions");
		self.stopping.store(true, Ordering::SeqCst);
		let until = Instant::now() + DRAIN;
		while self.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < until {
			tokio::time::sleep(Duration::from_millis(50)).await;
		}
		loop {
			for slot in self.all_slots() {
				if let Some(session) = slot.lock().await.session.take() {
					self.close_later(session, "gateway stopped");
				}
			}
			let closing =
				std::mem::take(&mut *self.closing.lock().unwrap_or_else(|p| p.into_inner()));
			if closing.is_empty() {
				break;
			}
			for task in closing {
				let _ = task.await;
			}
		}
	}
}

/// Writes `kept` with its call to `dir/name` as JSON: `{receipt, signature, body, session,
/// operator, reason?, request: {method, path, headers, body}}`, the file `baton verify` reads
/// (and with `--challenge` sends on-chain).
fn keep(
	dir: &std::path::Path,
	name: &str,
	session: &Session,
	member: usize,
	call: &Call,
	kept: &Evidence,
) -> std::io::Result<PathBuf> {
	let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
	let mut file = json!({
		"receipt": kept.receipt_hex,
		"signature": kept.signature_hex,
		"body": format!("0x{}", hex::encode(kept.body)),
		"session": session.id,
		"operator": session.members[member].account.to_ss58check(),
		"request": {
			"method": call.method.as_str(),
			"path": call.path,
			"headers": call.headers.iter().map(|(n, v)| [text(n), text(v)]).collect::<Vec<_>>(),
			"body": format!("0x{}", hex::encode(&call.body)),
		},
	});
	if let Some(reason) = kept.reason {
		file["reason"] = reason.into();
	}
	let path = dir.join(name);
	std::fs::create_dir_all(dir)?;
	std::fs::write(&path, file.to_string())?;
	Ok(path)
}

/// The API id and the upstream path (query included) of `/<api_id>/<path>`.
fn parse_target(target: &str) -> Option<(ApiId, String)> {
	let rest = target.strip_prefix('/')?;
	let end = rest.find(['/', '?']).unwrap_or(rest.len());
	let api_id = rest[..end].parse().ok()?;
	let path = &rest[end..];
	Some((api_id, if path.starts_with('/') { path.to_owned() } else { format!("/{path}") }))
}

/// An address's first and last characters, for log lines.
fn short(address: &str) -> String {
	match (address.get(..6), address.get(address.len().saturating_sub(4)..)) {
		(Some(head), Some(tail)) if address.len() > 12 => format!("{head}…{tail}"),
		_ => address.to_owned(),
	}
}

fn response(status: u16, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
	let mut response = Response::new(Full::new(body));
	*response.status_mut() =
		hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
	response
		.headers_mut()
		.insert(hyper::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
	response
}

/// A JSON `{"error", "message"}` answer of the gateway's own.
fn refusal(status: u16, error: &str, message: &str) -> Response<Full<Bytes>> {
	let body = json!({ "error": error, "message": message }).to_string();
	response(status, "application/json", body.into())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_target_is_an_api_id_and_the_upstream_path() {
		assert_eq!(parse_target("/0/price?n=1"), Some((0, "/price?n=1".to_owned())));
		assert_eq!(parse_target("/12?q=2"), Some((12, "/?q=2".to_owned())));
		assert_eq!(parse_target("/7"), Some((7, "/".to_owned())));
		assert_eq!(parse_target("/x/price"), None);
		assert_eq!(parse_target("/"), None);
		assert_eq!(parse_target("/-1/a"), None);
	}
}
