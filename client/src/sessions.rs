//! `baton session open|top-up|close|show`: a client's relay sessions, as transactions signed with
//! its account key and as the node's `relay_session` serves them.

use baton_primitives::{ApiId, SessionId};
use baton_runtime::{currency::UNIT, Balance, RuntimeCall, RuntimeEvent};

use serde_json::{json, Value};

use crate::{
	chain::Chain,
	output::Output,
	transactions::{Included, Signer},
};

/// Decimals of a BTN.
const DECIMALS: usize = 12;

/// The amount `text` (BTN, with up to 12 decimals: `1.5`) in the smallest unit.
pub fn parse_btn(text: &str) -> Result<Balance, String> {
	let invalid = || format!("{text}: not an amount of BTN (e.g. 1.5)");
	let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
	if whole.is_empty() && fraction.is_empty() || fraction.len() > DECIMALS {
		return Err(invalid());
	}
	let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
	if !digits(whole) || !digits(fraction) {
		return Err(invalid());
	}
	let whole: Balance = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| invalid())? };
	let fraction: Balance = format!("{fraction:0<DECIMALS$}").parse().map_err(|_| invalid())?;
	whole
		.checked_mul(UNIT)
		.and_then(|w| w.checked_add(fraction))
		.ok_or_else(invalid)
}

/// `amount` in BTN, without trailing zeros: `1.5 BTN`.
pub fn format_btn(amount: Balance) -> String {
	let fraction = format!("{:0>DECIMALS$}", amount % UNIT);
	let fraction = fraction.trim_end_matches('0');
	match fraction {
		"" => format!("{} BTN", amount / UNIT),
		_ => format!("{}.{fraction} BTN", amount / UNIT),
	}
}

/// Opens a session on `api_id` with `operators` operators, `allowance` each, for `blocks`
/// blocks; prints and returns its id.
pub async fn open(
	chain: &Chain,
	signer: &Signer,
	api_id: ApiId,
	operators: u32,
	allowance: Balance,
	blocks: u32,
	out: Output,
) -> Result<SessionId, String> {
	let call = RuntimeCall::Relay(pallet_relay::Call::open_session {
		api_id,
		operators,
		allowance,
		blocks,
	});
	let included = chain.submit(signer, call, |step| out.progress(step)).await?;
	let opened = included.events.iter().find_map(|event| match event {
		RuntimeEvent::Relay(pallet_relay::Event::SessionOpened {
			session_id,
			operators,
			expires_at,
			..
		}) => Some((*session_id, operators.clone(), *expires_at)),
		_ => None,
	});
	let (session_id, operators, expires_at) =
		opened.ok_or("the transaction succeeded without opening a session")?;
	let operators: Vec<String> = operators.iter().map(|o| o.to_string()).collect();
	out.result(
		|| {
			let mut lines = vec![format!(
				"session {session_id} opened on API {api_id}: {} operators, {} each, calls until \
				 block #{expires_at}",
				operators.len(),
				format_btn(allowance)
			)];
			lines.extend(operators.iter().map(|operator| format!("  operator {operator}")));
			lines.join("\n")
		},
		json!({
			"sessionId": session_id, "apiId": api_id, "operators": operators,
			"allowance": allowance.to_string(), "expiresAt": expires_at, "block": included.block,
		}),
	);
	Ok(session_id)
}

/// Raises each operator's allowance in session `session_id` by `allowance`.
pub async fn top_up(
	chain: &Chain,
	signer: &Signer,
	session_id: SessionId,
	allowance: Balance,
	out: Output,
) -> Result<(), String> {
	let call = RuntimeCall::Relay(pallet_relay::Call::top_up { session_id, allowance });
	let Included { block, .. } = chain.submit(signer, call, |step| out.progress(step)).await?;
	out.result(
		|| {
			format!(
				"session {session_id}: each operator's allowance {} more (#{block})",
				format_btn(allowance)
			)
		},
		json!({ "sessionId": session_id, "allowanceAdded": allowance.to_string(), "block": block }),
	);
	Ok(())
}

/// Closes session `session_id`, reporting nothing.
pub async fn close(
	chain: &Chain,
	signer: &Signer,
	session_id: SessionId,
	out: Output,
) -> Result<(), String> {
	let call = RuntimeCall::Relay(pallet_relay::Call::close_session {
		session_id,
		report: Default::default(),
	});
	let included = chain.submit(signer, call, |step| out.progress(step)).await?;
	let claims_until = included.events.iter().find_map(|event| match event {
		RuntimeEvent::Relay(pallet_relay::Event::SessionClosed { claims_until, .. }) => {
			Some(*claims_until)
		},
		_ => None,
	});
	out.result(
		|| match claims_until {
			Some(block) => format!("session {session_id} closed: claims until block #{block}"),
			None => format!("session {session_id} closed"),
		},
		json!({ "sessionId": session_id, "claimsUntil": claims_until, "block": included.block }),
	);
	Ok(())
}

/// Prints session `session_id` as the node serves it (`relay_session`).
pub async fn show(chain: &Chain, session_id: SessionId, out: Output) -> Result<(), String> {
	let session = chain
		.relay_session(session_id)
		.await?
		.ok_or_else(|| format!("session {session_id} is not kept on this chain"))?;
	let text = describe(&session)?;
	out.result(|| text, session);
	Ok(())
}

/// A session as `relay_session` serves it, for a person: its terms, state and operators.
fn describe(session: &Value) -> Result<String, String> {
	let malformed = |field: &str| format!("relay_session: no {field} in {session}");
	let number = |field: &str| session[field].as_u64().ok_or_else(|| malformed(field));
	let amount = |field: &str| {
		session[field]
			.as_str()
			.and_then(|text| text.parse::<Balance>().ok())
			.map(format_btn)
			.ok_or_else(|| malformed(field))
	};
	let state = match (session["status"].as_str(), session["claimsUntil"].as_u64()) {
		(Some("open"), _) => format!("open, calls until #{}", number("expiresAt")?),
		(Some("closed"), Some(until)) => format!("closed, claims until #{until}"),
		(Some(status), _) => status.to_owned(),
		(None, _) => return Err(malformed("status")),
	};
	let mut lines = vec![
		format!("session {} on API {}: {state}", number("id")?, number("apiId")?),
		format!("  client:    {}", session["client"].as_str().ok_or_else(|| malformed("client"))?),
		format!(
			"  per call:  {} ({} to the operator, {} protocol fee)",
			amount("cost")?,
			amount("pricePerCall")?,
			amount("protocolFee")?
		),
		format!("  allowance: {} per operator", amount("allowance")?),
	];
	for operator in session["operators"].as_array().ok_or_else(|| malformed("operators"))? {
		lines.push(format!(
			"  operator   {}: paid for {} calls",
			operator["operator"].as_str().ok_or_else(|| malformed("operator"))?,
			operator["claimedCalls"].as_u64().ok_or_else(|| malformed("claimedCalls"))?
		));
	}
	Ok(lines.join("\n"))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_are_btn_with_up_to_twelve_decimals() {
		assert_eq!(parse_btn("1"), Ok(UNIT));
		assert_eq!(parse_btn("1.5"), Ok(UNIT * 3 / 2));
		assert_eq!(parse_btn(".000000000001"), Ok(1));
		assert_eq!(parse_btn("0.25"), Ok(UNIT / 4));
		for bad in ["", ".", "1.2.3", "-1", "1e3", "0.0000000000001", "1,5"] {
			assert!(parse_btn(bad).is_err(), "{bad}");
		}
		assert_eq!(format_btn(UNIT * 3 / 2), "1.5 BTN");
		assert_eq!(format_btn(2 * UNIT), "2 BTN");
		assert_eq!(format_btn(1), "0.000000000001 BTN");
	}

	#[test]
	fn a_session_reads_as_its_terms_state_and_operators() {
		let mut session = json!({
			"id": 7, "client": "5Client", "apiId": 0, "pricePerCall": "1000000000",
			"protocolFee": "100000000", "cost": "1100000000", "allowance": "2500000000000",
			"operators": [{ "operator": "5Op", "gatewayKey": null, "claimedCalls": 12 }],
			"openedAt": 20, "expiresAt": 620, "status": "open", "closedAt": null,
			"claimsUntil": null,
		});
		assert_eq!(
			describe(&session).unwrap(),
			"session 7 on API 0: open, calls until #620\n  client:    5Client\n  per call:  \
			 0.0011 BTN (0.001 BTN to the operator, 0.0001 BTN protocol fee)\n  allowance: 2.5 \
			 BTN per operator\n  operator   5Op: paid for 12 calls"
		);
		session["status"] = json!("closed");
		session["claimsUntil"] = json!(650);
		assert!(describe(&session)
			.unwrap()
			.starts_with("session 7 on API 0: closed, claims until #650\n"));
		session["cost"] = json!(1);
		assert!(describe(&session).unwrap_err().starts_with("relay_session: no cost in"));
	}
}
