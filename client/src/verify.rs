//! `baton verify`: whether a saved relay receipt is one of its session's operators' signatures on
//! this chain, and whether a body is the one it vouches for.
//!
//! A saved receipt is the JSON `{"receipt": "0x…", "signature": "0x…"}`: the values of a relayed
//! call's `Baton-Receipt` and `Baton-Receipt-Signature` headers. A receipt `baton gateway` kept
//! (`--keep-receipts`, `--evidence-dir`) also has the `body` answered and the `request` made, and
//! `baton verify --challenge` disputes it on-chain with them.

use baton_primitives::{RelayReceipt, RequestId, ResultStatus, SessionId, SignedRelayReceipt};
use baton_runtime::{Runtime, RuntimeCall, RuntimeEvent};
use codec::DecodeAll;
use serde_json::Value;
use sp_runtime::traits::Get;

use crate::{
	chain::{hex32, unhex, Chain},
	output::Output,
	transactions::Signer,
};

/// Reads the saved receipt JSON `text`: the receipt and its gateway key's signature.
pub fn parse_saved(text: &str) -> Result<SignedRelayReceipt, String> {
	let json: serde_json::Value =
		serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
	let field =
		|name: &str| json[name].as_str().ok_or_else(|| format!("no \"{name}\" (0x-prefixed hex)"));
	let bytes = unhex(field("receipt")?)?;
	let receipt = RelayReceipt::decode_all(&mut &bytes[..])
		.map_err(|error| format!("\"receipt\" is no relay receipt: {error}"))?;
	let signature = unhex(field("signature")?)?
		.try_into()
		.map_err(|_| "\"signature\" is not 64 bytes".to_owned())?;
	Ok(SignedRelayReceipt { receipt, signature })
}

/// A call as `baton gateway` keeps it with its receipt: what was sent, and what came back.
#[derive(Debug, PartialEq, Eq)]
pub struct Kept {
	pub method: String,
	pub path: String,
	pub headers: Vec<(String, String)>,
	pub body: Vec<u8>,
	/// The body the receipt answered with.
	pub answer: Vec<u8>,
}

/// The call and the answer in a kept receipt's JSON `text`, if it has them.
pub fn parse_kept(text: &str) -> Result<Kept, String> {
	let json: Value = serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
	let request = &json["request"];
	let missing = |what: &str| {
		format!("no {what}: a challenge needs the call and its answer, as baton gateway keeps them")
	};
	let text_of =
		|value: &Value, what: &str| value.as_str().map(str::to_owned).ok_or(missing(what));
	let headers = request["headers"]
		.as_array()
		.ok_or(missing("\"request\".\"headers\""))?
		.iter()
		.map(|pair| Ok((text_of(&pair[0], "header name")?, text_of(&pair[1], "header value")?)))
		.collect::<Result<_, String>>()?;
	Ok(Kept {
		method: text_of(&request["method"], "\"request\".\"method\"")?,
		path: text_of(&request["path"], "\"request\".\"path\"")?,
		headers,
		body: unhex(&text_of(&request["body"], "\"request\".\"body\"")?)?,
		answer: unhex(&text_of(&json["body"], "\"body\"")?)?,
	})
}

/// Disputes `saved` on-chain as `signer` (`relay.challenge`): its call is re-executed as a
/// settled request among `MinChallengeRedundancy` other operators, paid at the quote. Returns
/// the request that re-executes it.
pub async fn challenge(
	chain: &Chain,
	signer: &Signer,
	saved: &SignedRelayReceipt,
	kept: Kept,
	out: Output,
) -> Result<Challenge, String> {
	let session_id = saved.receipt.session_id;
	let session = chain
		.relay_session(session_id)
		.await?
		.ok_or_else(|| format!("session {session_id} is not kept on this chain"))?;
	let api_id = session["apiId"]
		.as_u64()
		.and_then(|id| u32::try_from(id).ok())
		.ok_or("relay_session: no apiId")?;
	if crate::apis::get(chain, api_id).await?.spec.confidential_path {
		return Err(format!(
			"API {api_id} keeps its paths confidential: a challenge re-runs the call as a public \
			 settled request, which would publish its path (the chain refuses it: \
			 gateway.ConfidentialPath); refused here"
		));
	}
	let redundancy = <<Runtime as pallet_relay::Config>::MinChallengeRedundancy as Get<u32>>::get();
	let max_fee = crate::requests::quote(chain, api_id, redundancy).await?;
	// A few blocks for the re-execution, as for any settled request (the API's timeout needs
	// at least its own).
	const DEADLINE_BLOCKS: u32 = 8;
	let deadline = chain.best_number().await? + DEADLINE_BLOCKS;
	let terms = (redundancy, max_fee, deadline);
	let request = crate::requests::Ask::new(
		api_id,
		&kept.method,
		&kept.path,
		kept.headers,
		kept.body,
		terms,
	)?
	.request;
	let receipt = pallet_relay::AnsweredReceipt {
		signed: saved.clone(),
		body: kept.answer.try_into().map_err(|_| "the answer: longer than the chain allows")?,
	};
	let call = RuntimeCall::Relay(pallet_relay::Call::challenge {
		session_id,
		receipt: Box::new(receipt),
		request: Box::new(request),
	});
	let included = chain.submit(signer, call, |step| out.progress(step)).await?;
	let request_id = included.events.iter().find_map(|event| match event {
		RuntimeEvent::Relay(pallet_relay::Event::Challenged { request_id, .. }) => {
			Some(*request_id)
		},
		_ => None,
	});
	Ok(Challenge { request_id, session_id, sequence: saved.receipt.sequence, redundancy })
}

/// A challenge the chain took: the settled request that re-executes the call.
pub struct Challenge {
	pub request_id: Option<RequestId>,
	session_id: SessionId,
	sequence: u64,
	redundancy: u32,
}

impl core::fmt::Display for Challenge {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		match self.request_id {
			Some(id) => write!(
				f,
				"challenged: request {id} re-executes call {} of session {} among {} other \
				 operators; the verdict comes in the block after it settles \
				 (relay.ChallengeSettled)",
				self.sequence, self.session_id, self.redundancy
			),
			None => write!(f, "challenged"),
		}
	}
}

/// What `baton verify` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
	/// Signed by `operator`'s gateway key, and the body (if given) is the one vouched for.
	Verified { operator: String, body_checked: bool },
	/// Why the receipt does not hold.
	Refuted(String),
}

/// Checks `saved` against its session on `chain`, and `body` against its response hash.
pub async fn verify(
	chain: &Chain,
	saved: &SignedRelayReceipt,
	body: Option<&[u8]>,
) -> Result<Verdict, String> {
	let receipt = &saved.receipt;
	let genesis = chain.genesis_hash().await?;
	let Some(session) = chain.relay_session(receipt.session_id).await? else {
		return Err(format!(
			"session {} is not kept on this chain (never opened, or settled after its claim \
			 window): its operators' keys cannot be read",
			receipt.session_id
		));
	};
	let operators = session["operators"].as_array().cloned().unwrap_or_default();
	let mut keys = Vec::new();
	for operator in &operators {
		if let Some(key) = operator["gatewayKey"].as_str() {
			keys.push((operator["operator"].as_str().unwrap_or("?").to_owned(), hex32(key)?));
		}
	}
	Ok(judge(saved, &genesis, &keys, body))
}

/// The verdict on `saved`, given the chain's genesis hash, the session's operators' gateway
/// keys and the body, if any.
pub fn judge(
	saved: &SignedRelayReceipt,
	genesis_hash: &[u8; 32],
	keys: &[(String, [u8; 32])],
	body: Option<&[u8]>,
) -> Verdict {
	let Some((operator, _)) = keys.iter().find(|(_, key)| saved.signed_by(key, genesis_hash))
	else {
		return Verdict::Refuted(format!(
			"no operator of session {} signed it on this chain",
			saved.receipt.session_id
		));
	};
	if let Some(body) = body {
		if sp_crypto_hashing::blake2_256(body) != saved.receipt.response_hash {
			return Verdict::Refuted("the body is not the one the receipt vouches for".to_owned());
		}
	}
	Verdict::Verified { operator: operator.clone(), body_checked: body.is_some() }
}

/// The receipt's fields, one line each.
pub fn describe(receipt: &RelayReceipt) -> String {
	let status = match receipt.status {
		ResultStatus::Response { code } => format!("HTTP {code}"),
		ref failure => format!("no answer ({})", failure.label()),
	};
	format!(
		"session {}, call {}, answered at block {}\n  status: {status}\n  request hash: 0x{}\n  \
		 response hash: 0x{}",
		receipt.session_id,
		receipt.sequence,
		receipt.answered_at,
		hex::encode(receipt.request_hash),
		hex::encode(receipt.response_hash),
	)
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Encode;
	use sp_core::{ed25519, Pair};

	const GENESIS: [u8; 32] = [7; 32];

	fn saved(pair: &ed25519::Pair, body: &[u8]) -> SignedRelayReceipt {
		let receipt = RelayReceipt {
			session_id: 3,
			sequence: 9,
			request_hash: [1; 32],
			response_hash: sp_crypto_hashing::blake2_256(body),
			status: ResultStatus::Response { code: 200 },
			answered_at: 40,
		};
		let signature = pair.sign(&receipt.message(&GENESIS)).0;
		let json = format!(
			r#"{{"receipt":"0x{}","signature":"0x{}"}}"#,
			hex::encode(receipt.encode()),
			hex::encode(signature)
		);
		parse_saved(&json).unwrap()
	}

	#[test]
	fn a_receipt_holds_only_with_its_signer_its_chain_and_its_body() {
		let (signer, other) =
			(ed25519::Pair::from_seed(&[1; 32]), ed25519::Pair::from_seed(&[2; 32]));
		let keys =
			vec![("other".to_owned(), other.public().0), ("signer".to_owned(), signer.public().0)];
		let receipt = saved(&signer, b"{\"price\":7}");
		assert_eq!(
			judge(&receipt, &GENESIS, &keys, Some(b"{\"price\":7}")),
			Verdict::Verified { operator: "signer".into(), body_checked: true }
		);
		assert_eq!(
			judge(&receipt, &GENESIS, &keys, None),
			Verdict::Verified { operator: "signer".into(), body_checked: false }
		);
		assert!(matches!(
			judge(&receipt, &GENESIS, &keys, Some(b"{\"price\":8}")),
			Verdict::Refuted(reason) if reason.contains("body")
		));
		assert!(matches!(judge(&receipt, &[8; 32], &keys, None), Verdict::Refuted(_)));
		assert!(matches!(judge(&receipt, &GENESIS, &keys[..1], None), Verdict::Refuted(_)));
	}

	#[test]
	fn a_kept_receipt_has_its_call_and_answer() {
		let text = r#"{"receipt":"0x00","signature":"0x00","body":"0x7b7d","request":{"method":"GET","path":"/price?n=1","headers":[["accept","*/*"],["idempotency-key","k"]],"body":"0x"}}"#;
		assert_eq!(
			parse_kept(text),
			Ok(Kept {
				method: "GET".into(),
				path: "/price?n=1".into(),
				headers: vec![
					("accept".into(), "*/*".into()),
					("idempotency-key".into(), "k".into())
				],
				body: vec![],
				answer: b"{}".to_vec(),
			})
		);
		let saved_only = r#"{"receipt":"0x00","signature":"0x00"}"#;
		assert!(parse_kept(saved_only).unwrap_err().contains("baton gateway keeps them"));
		let no_answer = text.replace(r#""body":"0x7b7d","#, "");
		assert!(parse_kept(&no_answer).unwrap_err().contains("\"body\""));
	}

	#[test]
	fn a_saved_receipt_that_is_not_one_is_refused_with_its_reason() {
		for (text, reason) in [
			("[", "not JSON"),
			("{}", "no \"receipt\""),
			(r#"{"receipt":"0x00","signature":"0x00"}"#, "no relay receipt"),
			(r#"{"receipt":"00","signature":"0x00"}"#, "not 0x-prefixed"),
		] {
			let error = parse_saved(text).err().unwrap();
			assert!(error.contains(reason), "{text}: {error}");
		}
	}
}
