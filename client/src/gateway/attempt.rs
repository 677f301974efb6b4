//! One try of a call at one operator's relay endpoint: the ticket signed, the call sent, the
//! answer sorted into what the gateway does next (docs/relay.md, "baton gateway").

use std::time::{Duration, Instant};

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

/// Sends `call` to `session`'s member `member` with `taken`'s ticket; `sent_at` is the
/// gateway's best block as it sends.
pub async fn attempt(
	gateway: &Gateway,
	session: &Session,
	member: usize,
	taken: &Taken,
	call: &Call,
	sent_at: u32,
) -> Tried {
	let started = Instant::now();
	let tried =
		match tokio::time::timeout(ATTEMPT_TIMEOUT, send(gateway, session, member, taken, call))
			.await
		{
			Ok(Ok((status, headers, body))) => {
				judge(gateway, session, member, taken, call, sent_at, status, &headers, body)
			},
			Ok(Err(error)) => Tried::Next(RelayFault::Failed, error, None),
			Err(_) => {
				Tried::Next(RelayFault::Late, format!("no answer in {ATTEMPT_TIMEOUT:?}"), None)
			},
		};
	if let Tried::Verified(_) = &tried {
		session.succeeded(member, started.elapsed());
	}
	tried
}

async fn send(
	gateway: &Gateway,
	session: &Session,
	member: usize,
	taken: &Taken,
	call: &Call,
) -> Result<(u16, HeaderMap, Bytes), String> {
	let endpoint = &session.members[member].endpoint;
	let signature = gateway.signer.sign(&taken.ticket.message(&call.request_hash));
	let mut request = hyper::Request::builder()
		.method(call.method.as_str())
		.uri(format!("{endpoint}/relay/{}{}", session.id, call.path))
		.header("baton-ticket", format!("0x{}", hex::encode(taken.ticket.encode())))
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
	let response = gateway
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

#[allow(clippy::too_many_arguments, reason = "one try's facts, judged together")]
fn judge(
	gateway: &Gateway,
	session: &Session,
	member: usize,
	taken: &Taken,
	call: &Call,
	sent_at: u32,
	status: u16,
	headers: &HeaderMap,
	body: Bytes,
) -> Tried {
	let header = |name| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
	let (Some(receipt_hex), Some(signature_hex)) =
		(header("baton-receipt"), header("baton-receipt-signature"))
	else {
		// Refused: nothing was served, so nothing is owed for it.
		session.give_back(member, taken);
		if CALLERS_FAULT.contains(&status) {
			return Tried::CallersFault(status, body);
		}
		let reason = serde_json::from_slice::<serde_json::Value>(&body)
			.ok()
			.and_then(|json| json["message"].as_str().map(str::to_owned))
			.unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
		return Tried::Next(RelayFault::Failed, format!("refused with {status}: {reason}"), None);
	};
	let checked = check_receipt(
		gateway,
		session,
		member,
		taken,
		call,
		sent_at,
		&receipt_hex,
		&signature_hex,
		&body,
	);
	let receipt = match checked {
		Ok(receipt) => receipt,
		Err(reason) => {
			gateway.keep_evidence(
				session,
				member,
				call,
				&receipt_hex,
				&signature_hex,
				&body,
				&reason,
			);
			return Tried::Next(RelayFault::BadReceipt, reason, None);
		},
	};
	let answer = Answer { status, body, receipt_hex, signature_hex };
	if matches!(receipt.status, ResultStatus::Response { .. }) {
		Tried::Verified(answer)
	} else {
		let reason = format!("the upstream did not answer ({})", receipt.status.label());
		Tried::Next(RelayFault::Failed, reason, Some(answer))
	}
}

/// The receipt, if it is `member`'s signature on this chain for this very call and body.
#[allow(clippy::too_many_arguments, reason = "one try's facts, judged together")]
fn check_receipt(
	gateway: &Gateway,
	session: &Session,
	member: usize,
	taken: &Taken,
	call: &Call,
	sent_at: u32,
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
	let ticket = &taken.ticket;
	if (receipt.session_id, receipt.sequence) != (ticket.session_id, ticket.sequence) {
		return Err("the receipt is for another call".to_owned());
	}
	if receipt.request_hash != call.request_hash {
		return Err("the receipt vouches for another request".to_owned());
	}
	if receipt.answered_at.saturating_add(ANSWER_LAG_BLOCKS) < sent_at {
		return Err(format!(
			"the receipt is dated #{}, before the call was sent at #{sent_at}",
			receipt.answered_at
		));
	}
	// When the upstream did not answer, the endpoint's body is its own JSON about it, and the
	// receipt vouches for the (empty) answer it got.
	let answered = matches!(receipt.status, ResultStatus::Response { .. });
	let signed = SignedRelayReceipt { receipt, signature };
	let key = ("operator".to_owned(), session.members[member].key);
	match verify::judge(&signed, &gateway.genesis_hash, &[key], answered.then_some(body)) {
		verify::Verdict::Verified { .. } => Ok(signed.receipt),
		verify::Verdict::Refuted(reason) => Err(reason),
	}
}
