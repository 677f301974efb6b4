//! One try of a call at one operator's relay endpoint: the ticket signed, the call sent, the
//! answer sorted into what the gateway does next (docs/relay.md, "baton gateway").

use std::{
	sync::Arc,
	time::{Duration, Instant},
};

use baton_primitives::{RelayFault, RelayReceipt, ResultStatus, SignedRelayReceipt};
use bytes::Bytes;
use codec::{DecodeAll, Encode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::HeaderMap;

use super::{session::Taken, Call, Gateway, Session};
use crate::{chain::unhex, verify};

/// How long one try may take in all: past it the operator is taken as failed (the hedge has
/// long since sent the call on).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer taken from an operator.
const MAX_ANSWER_BYTES: usize = 16 << 20;
/// Blocks a node's best block may trail the gateway's when it answers (docs/relay.md).
const ANSWER_LAG_BLOCKS: u32 = 2;
/// Refusals every operator would make alike: the call's fault, passed on to the client.
const CALLERS_FAULT: [u16; 3] = [400, 405, 413];

/// A verified answer.
pub struct Answer {
	pub status: u16,
	pub body: Bytes,
	pub receipt_hex: String,
	pub signature_hex: String,
}

/// How a try ended.
pub enum Tried {
	/// A receipt that verifies, for an answer of the upstream's.
	Verified(Answer),
	/// The endpoint refused the call as the caller's fault: the status and body to pass on.
	CallersFault(u16, Bytes),
	/// Try the next operator: why, and what to tell if none is left. A verified answer of an
	/// upstream that did not answer comes along, to give if no operator does better.
	Next(RelayFault, String, Option<Answer>),
}

/// One try: a call sent to one member of a session with a ticket taken for it.
pub struct Try {
	pub gateway: Arc<Gateway>,
	pub session: Arc<Session>,
	pub member: usize,
	pub taken: Taken,
	pub call: Arc<Call>,
	/// The gateway's best block as it sends.
	pub sent_at: u32,
}

impl Try {
	/// Sends the call and sorts its answer.
	pub async fn run(self) -> Tried {
		let started = Instant::now();
		let tried = match tokio::time::timeout(ATTEMPT_TIMEOUT, self.send()).await {
			Ok(Ok((status, headers, body))) => self.judge(status, &headers, body),
			Ok(Err(error)) => Tried::Next(RelayFault::Failed, error, None),
			Err(_) => {
				Tried::Next(RelayFault::Late, format!("no answer in {ATTEMPT_TIMEOUT:?}"), None)
			},
		};
		if let Tried::Verified(_) = &tried {
			self.session.succeeded(self.member, started.elapsed());
		}
		tried
	}

	async fn send(&self) -> Result<(u16, HeaderMap, Bytes), String> {
		let (session, call, ticket) = (&self.session, &self.call, &self.taken.ticket);
		let endpoint = &session.members[self.member].endpoint;
		let signature = self.gateway.signer.sign(&ticket.message(&call.request_hash));
		let mut request = hyper::Request::builder()
			.method(call.method.as_str())
			.uri(format!("{endpoint}/relay/{}{}", session.id, call.path))
			.header("baton-ticket", format!("0x{}", hex::encode(ticket.encode())))
			.header("baton-signature", format!("0x{}", hex::encode(signature.encode())));
		if !call.headers.is_empty() {
			let names: Vec<_> =
				call.headers.iter().map(|(name, _)| String::from_utf8_lossy(name)).collect();
			request = request.header("baton-signed-headers", names.join(","));
		}
		for (name, value) in &call.headers {
			request = request.header(&name[..], &value[..]);
		}
		let request = request
			.body(Full::new(call.body.clone()))
			.map_err(|e| format!("{endpoint}: {e}"))?;
		let response = self
			.gateway
			.http
			.request(request)
			.await
			.map_err(|error| format!("{endpoint}: {}", describe(&error)))?;
		let (parts, body) = response.into_parts();
		let body = Limited::new(body, MAX_ANSWER_BYTES)
			.collect()
			.await
			.map_err(|error| format!("{endpoint}: the answer broke off: {error}"))?
			.to_bytes();
		Ok((parts.status.as_u16(), parts.headers, body))
	}

	fn judge(&self, status: u16, headers: &HeaderMap, body: Bytes) -> Tried {
		let header = |name| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
		let (Some(receipt_hex), Some(signature_hex)) =
			(header("baton-receipt"), header("baton-receipt-signature"))
		else {
			// Refused (a 4xx): nothing was served, so nothing is owed for it. A 5xx without a
			// receipt may come after the call was taken in.
			if (400..500).contains(&status) {
				self.session.give_back(self.member);
			}
			if CALLERS_FAULT.contains(&status) {
				return Tried::CallersFault(status, body);
			}
			let reason = serde_json::from_slice::<serde_json::Value>(&body)
				.ok()
				.and_then(|json| json["message"].as_str().map(str::to_owned))
				.unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
			let reason = format!("refused with {status}: {reason}");
			return Tried::Next(RelayFault::Failed, reason, None);
		};
		let receipt = match self.check_receipt(status, &receipt_hex, &signature_hex, &body) {
			Ok(receipt) => receipt,
			Err(reason) => {
				let evidence = Evidence {
					receipt_hex: &receipt_hex,
					signature_hex: &signature_hex,
					body: &body,
					reason: Some(&reason),
				};
				self.gateway.keep_evidence(&self.session, self.member, &self.call, evidence);
				return Tried::Next(RelayFault::BadReceipt, reason, None);
			},
		};
		match receipt.status {
			ResultStatus::Response { code } => {
				Tried::Verified(Answer { status: code, body, receipt_hex, signature_hex })
			},
			failed => {
				// The receipt vouches for no body: the client gets the gateway's own words.
				let label = failed.label();
				let body = serde_json::json!({ "error": "upstream", "status": label });
				let status = if failed == ResultStatus::Timeout { 504 } else { 502 };
				let body = body.to_string().into();
				let answer = Answer { status, body, receipt_hex, signature_hex };
				let reason = format!("the upstream did not answer ({label})");
				Tried::Next(RelayFault::Failed, reason, Some(answer))
			},
		}
	}

	/// The receipt, if it is the member's signature on this chain for this very try, with the
	/// status and body that came with it.
	fn check_receipt(
		&self,
		status: u16,
		receipt_hex: &str,
		signature_hex: &str,
		body: &[u8],
	) -> Result<RelayReceipt, String> {
		let receipt = unhex(receipt_hex).and_then(|bytes| {
			RelayReceipt::decode_all(&mut &bytes[..]).map_err(|e| format!("not a receipt: {e}"))
		})?;
		let signature: [u8; 64] = unhex(signature_hex)?
			.try_into()
			.map_err(|_| "the receipt's signature is not 64 bytes".to_owned())?;
		let ticket = &self.taken.ticket;
		if (receipt.session_id, receipt.sequence) != (ticket.session_id, ticket.sequence) {
			return Err("the receipt is for another call".to_owned());
		}
		if receipt.request_hash != self.call.request_hash {
			return Err("the receipt vouches for another request".to_owned());
		}
		if receipt.answered_at.saturating_add(ANSWER_LAG_BLOCKS) < self.sent_at {
			return Err(format!(
				"the receipt is dated #{}, before the call was sent at #{}",
				receipt.answered_at, self.sent_at
			));
		}
		// When the upstream did not answer, the endpoint's body is its own JSON about it, and
		// the receipt vouches for the (empty) answer it got.
		let answered = match receipt.status {
			ResultStatus::Response { code } if code != status => {
				return Err(format!(
					"the status {status} is not the {code} the receipt vouches for"
				));
			},
			ResultStatus::Response { .. } => true,
			_ => false,
		};
		let signed = SignedRelayReceipt { receipt, signature };
		let key = ("operator".to_owned(), self.session.members[self.member].key);
		let genesis_hash = &self.gateway.genesis_hash;
		match verify::judge(&signed, genesis_hash, &[key], answered.then_some(body)) {
			verify::Verdict::Verified { .. } => Ok(signed.receipt),
			verify::Verdict::Refuted(reason) => Err(reason),
		}
	}
}

/// A receipt as the gateway keeps it, with why it did not verify, if it did not.
pub struct Evidence<'a> {
	pub receipt_hex: &'a str,
	pub signature_hex: &'a str,
	pub body: &'a [u8],
	pub reason: Option<&'a str>,
}

/// The error and its causes, which name what failed (`connection refused`).
fn describe(error: &dyn std::error::Error) -> String {
	let mut text = error.to_string();
	let mut source = error.source();
	while let Some(cause) = source {
		text = format!("{text}: {cause}");
		source = cause.source();
	}
	text
}
