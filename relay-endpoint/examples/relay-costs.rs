//! What one relayed call costs the endpoint's CPU, part by part, measured in this process: the
//! work `Endpoint::handle` does for every call besides HTTP, the upstream call and the voucher's
//! write, each done as the endpoint does it, on a ticket and a receipt of the sizes
//! `scripts/bench-relay.mjs` sends. That script runs this after its throughput run and sets
//! each part against the machine's time per relayed call. Prints one JSON object per part:
//! `{"part": …, "micros": …}` (mean over the iterations).
//!
//!   cargo run --release -p baton-relay-endpoint --example relay-costs [iterations]

use std::time::Instant;

use baton_primitives::{relay_request_hash, RelayReceipt, RelayTicket, ResultStatus};
use codec::{DecodeAll, Encode};
use sp_core::{ed25519, sr25519, Pair};
use sp_runtime::{traits::Verify, AccountId32, MultiSignature};

/// Mean microseconds of `work` over `iterations` runs; `work`'s result is kept from the
/// optimiser.
fn measure<R>(iterations: u32, mut work: impl FnMut() -> R) -> f64 {
	let start = Instant::now();
	for _ in 0..iterations {
		std::hint::black_box(work());
	}
	start.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
}

fn main() {
	let iterations: u32 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(20_000);
	let client = sr25519::Pair::from_seed(&[1; 32]);
	let gateway = ed25519::Pair::from_seed(&[2; 32]);
	let client_account = AccountId32::from(client.public().0);
	// bench-relay's call: GET /price, no signed headers, no body; its 31-byte answer.
	let (method, path, body) = (b"GET", b"/price", Vec::<u8>::new());
	let answer = br#"{"price":7.25,"pair":"DOT/USD"}"#;
	const NO_HEADERS: &[(Vec<u8>, Vec<u8>)] = &[];
	let ticket = RelayTicket::<AccountId32, u128> {
		genesis_hash: [3; 32],
		session_id: 7,
		sequence: 12_345,
		operator: AccountId32::from(gateway.public().0),
		calls: 12_346,
		amount: 12_346 * 110,
	};
	let request_hash = relay_request_hash(method, path, NO_HEADERS, &body);
	let signature = MultiSignature::from(client.sign(&ticket.message(&request_hash)));
	let (ticket_hex, signature_hex) = (
		format!("0x{}", hex::encode(ticket.encode())),
		format!("0x{}", hex::encode(signature.encode())),
	);
	let receipt = RelayReceipt {
		session_id: 7,
		sequence: 12_345,
		request_hash,
		response_hash: sp_crypto_hashing::blake2_256(answer),
		status: ResultStatus::Response { code: 200 },
		answered_at: 1_234,
	};

	let parts = [
		(
			"decode Baton-Ticket and Baton-Signature (hex, SCALE)",
			measure(iterations, || {
				let ticket = hex::decode(&ticket_hex[2..]).expect("hex");
				let signature = hex::decode(&signature_hex[2..]).expect("hex");
				(
					RelayTicket::<AccountId32, u128>::decode_all(&mut &ticket[..]).expect("SCALE"),
					MultiSignature::decode_all(&mut &signature[..]).expect("SCALE"),
				)
			}),
		),
		(
			"hash the request (blake2-256)",
			measure(iterations, || relay_request_hash(method, path, NO_HEADERS, &body)),
		),
		(
			"verify the client's ticket signature (sr25519)",
			measure(iterations, || {
				signature.verify(&ticket.message(&request_hash)[..], &client_account)
			}),
		),
		(
			"hash the answer (blake2-256)",
			measure(iterations, || sp_crypto_hashing::blake2_256(answer)),
		),
		(
			"sign the receipt (ed25519)",
			measure(iterations, || gateway.sign(&receipt.message(&[3u8; 32]))),
		),
		(
			"encode Baton-Receipt and its signature (SCALE, hex)",
			measure(iterations, || (hex::encode(receipt.encode()), hex::encode([9u8; 64]))),
		),
	];
	for (part, micros) in parts {
		println!(
			"{}",
			serde_json::json!({ "part": part, "micros": (micros * 100.0).round() / 100.0 })
		);
	}
}
