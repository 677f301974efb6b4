//! `baton session open|top-up|close|show`: a client's relay sessions, as transactions signed with
//! its account key and as the node's `relay_session` serves them.

use baton_primitives::{ApiId, SessionId};
use baton_runtime::{currency::UNIT, Balance, RuntimeCall, RuntimeEvent};

use crate::{
	chain::Chain,
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

/// Prints a transaction's progress, one line a step.
fn progress(step: &str) {
	println!("  {step}");
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
) -> Result<SessionId, String> {
	let call = RuntimeCall::Relay(pallet_relay::Call::open_session {
		api_id,
		operators,
		allowance,
		blocks,
	});
	let included = chain.submit(signer, call, progress).await?;
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
	println!(
		"session {session_id} opened on API {api_id}: {} operators, {} each, calls until block \
		 #{expires_at}",
		operators.len(),
		format_btn(allowance)
	);
	for operator in operators {
		println!("  operator {operator}");
	}
	Ok(session_id)
}

/// Raises each operator's allowance in session `session_id` by `allowance`.
pub async fn top_up(
	chain: &Chain,
	signer: &Signer,
	session_id: SessionId,
	allowance: Balance,
) -> Result<(), String> {
	let call = RuntimeCall::Relay(pallet_relay::Call::top_up { session_id, allowance });
	let Included { block, .. } = chain.submit(signer, call, progress).await?;
	println!(
		"session {session_id}: each operator's allowance {} more (#{block})",
		format_btn(allowance)
	);
	Ok(())
}

/// Closes session `session_id`, reporting nothing.
pub async fn close(chain: &Chain, signer: &Signer, session_id: SessionId) -> Result<(), String> {
	let call = RuntimeCall::Relay(pallet_relay::Call::close_session {
		session_id,
		report: Default::default(),
	});
	let included = chain.submit(signer, call, progress).await?;
	let claims_until = included.events.iter().find_map(|event| match event {
		RuntimeEvent::Relay(pallet_relay::Event::SessionClosed { claims_until, .. }) => {
			Some(*claims_until)
		},
		_ => None,
	});
	match claims_until {
		Some(block) => println!("session {session_id} closed: claims until block #{block}"),
		None => println!("session {session_id} closed"),
	}
	Ok(())
}

/// Prints session `session_id` as the node serves it (JSON).
pub async fn show(chain: &Chain, session_id: SessionId) -> Result<(), String> {
	match chain.relay_session(session_id).await? {
		Some(session) => {
			println!("{}", serde_json::to_string_pretty(&session).map_err(|e| e.to_string())?);
			Ok(())
		},
		None => Err(format!("session {session_id} is not kept on this chain")),
	}
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
}
