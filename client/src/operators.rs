//! `baton operator bond|bond-extra|unbond|withdraw|profile|chill|activate|status`: an operator's
//! commands, signed with its account key. `bond` also signs the proof that the operator holds
//! its gateway key (the key's signature over the operator's account and the genesis hash).

use baton_primitives::{ApiId, OperatorView};
use baton_runtime::{AccountId, Balance, BlockNumber, Runtime, RuntimeCall};
use frame_support::storage::StoragePrefixedMap;
use pallet_operator_staking::ProfileOf;
use pallet_slashing::{OffenceRecordOf, SlashStatus};
use serde_json::{json, Value};
use sp_core::{crypto::Ss58Codec, ed25519, Pair};

use crate::{chain::Chain, output::Output, sessions::format_btn, transactions::Signer};

/// Offences read for `status`, newest first.
const RECENT_OFFENCES: usize = 5;
/// Offences scanned for `status`: the chain prunes settled ones, so the map stays small.
const OFFENCES_SCANNED: u32 = 1_000;

/// A profile from the command line: where the node is reached, its region, how much it takes
/// at once, and the APIs it serves.
pub fn profile(
	endpoint: &str,
	region: &str,
	capacity: u32,
	apis: &[ApiId],
) -> Result<ProfileOf<Runtime>, String> {
	let region: [u8; 2] = region
		.as_bytes()
		.try_into()
		.ok()
		.filter(|r: &[u8; 2]| r.iter().all(u8::is_ascii_uppercase))
		.ok_or_else(|| {
			format!("{region}: a region is two capital letters (ISO 3166-1, e.g. DE)")
		})?;
	Ok(ProfileOf::<Runtime> {
		endpoint: endpoint
			.as_bytes()
			.to_vec()
			.try_into()
			.map_err(|_| format!("{endpoint}: longer than the chain allows"))?,
		region,
		capacity,
		apis: apis
			.to_vec()
			.try_into()
			.map_err(|_| "more APIs than the chain allows".to_owned())?,
		encryption_key: None,
	})
}

/// The gateway key a secret URI names (ed25519).
pub fn gateway_pair(suri: &str) -> Result<ed25519::Pair, String> {
	ed25519::Pair::from_string(suri, None)
		.map_err(|error| format!("the gateway key's secret URI is no ed25519 key: {error:?}"))
}

/// Bonds `amount` as `signer` with gateway key `gateway` and `profile`, proving the key is held.
pub async fn bond(
	chain: &Chain,
	signer: &Signer,
	amount: Balance,
	gateway: &ed25519::Pair,
	profile: ProfileOf<Runtime>,
	out: Output,
) -> Result<(), String> {
	let operator = signer.account();
	let message = baton_primitives::key_ownership_message(&operator, &chain.genesis_hash().await?);
	let proof = gateway.sign(&message).0;
	let gateway_key = gateway.public().0;
	let call = RuntimeCall::OperatorStaking(pallet_operator_staking::Call::bond {
		amount,
		gateway_key,
		profile,
		proof,
	});
	let included = chain.submit(signer, call, |step| out.progress(step)).await?;
	let key_account = AccountId::from(gateway_key).to_ss58check();
	out.result(
		|| {
			format!(
				"{} bonded {} (#{}) with gateway key 0x{}\n\
				 next: insert the key into your node's keystore (key type gate, ed25519) and send \
				 its account {key_account} a little BTN: it signs your reports and heartbeats",
				operator.to_ss58check(),
				format_btn(amount),
				included.block,
				hex::encode(gateway_key),
			)
		},
		json!({
			"operator": operator.to_ss58check(), "bonded": amount.to_string(),
			"gatewayKey": format!("0x{}", hex::encode(gateway_key)), "keyAccount": key_account,
			"block": included.block,
		}),
	);
	Ok(())
}

/// Sends one of the operator's calls that need nothing back but their block, and says `done`.
pub async fn simple(
	chain: &Chain,
	signer: &Signer,
	call: pallet_operator_staking::Call<Runtime>,
	done: &str,
	out: Output,
) -> Result<(), String> {
	let included = chain
		.submit(signer, RuntimeCall::OperatorStaking(call), |step| out.progress(step))
		.await?;
	out.result(
		|| format!("{} {done} (#{})", signer.account().to_ss58check(), included.block),
		json!({ "operator": signer.account().to_ss58check(), "done": done, "block": included.block }),
	);
	Ok(())
}

/// Prints `operator`'s stake, unbonding chunks, state, jail, reputation and recent offences.
pub async fn status(chain: &Chain, operator: AccountId, out: Output) -> Result<(), String> {
	let view: Option<OperatorView<AccountId, Balance, BlockNumber>> =
		chain.runtime_call("OperatorApi_operator", &operator).await?;
	let address = operator.to_ss58check();
	let view =
		view.ok_or_else(|| format!("operatorStaking.NotOperator: {address} is not bonded"))?;
	let best = chain.best_number().await?;
	let prefix = pallet_slashing::Offences::<Runtime>::final_prefix();
	let mut offences: Vec<(u64, OffenceRecordOf<Runtime>)> = chain
		.storage_pairs::<OffenceRecordOf<Runtime>>(&prefix, OFFENCES_SCANNED)
		.await?
		.into_iter()
		.filter(|(_, record)| record.offender == operator)
		// Twox64Concat: the offence id follows the 8-byte hash.
		.filter_map(|(key, record)| {
			let id = key.get(prefix.len() + 8..)?.try_into().ok().map(u64::from_le_bytes)?;
			Some((id, record))
		})
		.collect();
	offences.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
	offences.truncate(RECENT_OFFENCES);

	let jailed = view.jailed_until.filter(|until| *until > best);
	let state = match (jailed, view.active, view.online) {
		(Some(until), ..) => format!("jailed until #{until}"),
		(None, false, _) => "chilled".to_owned(),
		(None, true, true) => "active, online".to_owned(),
		(None, true, false) => "active, offline (heartbeats missed)".to_owned(),
	};
	let offence_json: Vec<Value> = offences
		.iter()
		.map(|(id, r)| {
			json!({
				"id": id, "kind": format!("{:?}", r.kind), "slash": r.slash.deconstruct(),
				"reportedAt": r.reported_at, "applyAt": r.apply_at,
				"status": format!("{:?}", r.status),
			})
		})
		.collect();
	let reputation = &view.reputation;
	out.result(
		|| {
			let mut lines = vec![
				format!("operator {address}: {state}"),
				format!("  bonded:      {}", format_btn(view.bonded)),
			];
			for (amount, at) in &view.unbonding {
				lines.push(format!("  unbonding:   {} at #{at}", format_btn(*amount)));
			}
			lines.extend([
				format!("  gateway key: 0x{}", hex::encode(view.gateway_key)),
				format!("  heartbeat:   #{} ({} blocks ago)", view.last_heartbeat, best.saturating_sub(view.last_heartbeat)),
				format!("  capacity:    {} at once; APIs {:?}", view.capacity, view.apis),
				format!(
					"  reputation:  {:.1} % (α {:.2}, β {:.2}), latency {} ms",
					f64::from(reputation.score.deconstruct()) / 1e7,
					reputation.alpha_micros as f64 / 1e6,
					reputation.beta_micros as f64 / 1e6,
					reputation.latency_ms
				),
			]);
			if offences.is_empty() {
				lines.push("  offences:    none".into());
			}
			for (id, r) in &offences {
				let status = match r.status {
					SlashStatus::Pending => format!("slash of {:?} applies at #{}", r.slash, r.apply_at),
					SlashStatus::Applied => format!("slashed {:?}", r.slash),
					SlashStatus::Cancelled => "cancelled".to_owned(),
				};
				lines.push(format!("  offence {id}: {:?} at #{}, {status}", r.kind, r.reported_at));
			}
			lines.join("\n")
		},
		json!({
			"operator": address, "state": state, "bonded": view.bonded.to_string(),
			"unbonding": view.unbonding.iter().map(|(a, at)| json!({ "amount": a.to_string(), "at": at })).collect::<Vec<_>>(),
			"active": view.active, "online": view.online, "jailedUntil": jailed,
			"lastHeartbeat": view.last_heartbeat, "capacity": view.capacity, "apis": view.apis,
			"gatewayKey": format!("0x{}", hex::encode(view.gateway_key)),
			"reputation": { "scorePpb": reputation.score.deconstruct(), "alphaMicros": reputation.alpha_micros,
				"betaMicros": reputation.beta_micros, "latencyMs": reputation.latency_ms },
			"offences": offence_json,
		}),
	);
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_profile_needs_a_two_letter_region_and_fits_the_chain() {
		let good = profile("https://op.example", "DE", 10, &[0, 1]).unwrap();
		assert_eq!((good.region, good.capacity, good.apis.to_vec()), (*b"DE", 10, vec![0, 1]));
		for region in ["de", "DEU", "D", "1A"] {
			assert!(profile("https://op.example", region, 1, &[]).unwrap_err().contains("region"));
		}
		assert!(profile(&"x".repeat(10_000), "DE", 1, &[]).unwrap_err().contains("longer"));
	}
}
