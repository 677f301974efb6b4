//! `baton`, the program for Baton's users. This version has `baton gateway`, `baton verify` and
//! `baton session`; the other roles' commands come on the same chain access (`chain.rs`,
//! `transactions.rs`).

mod chain;
mod gateway;
mod sessions;
mod transactions;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "baton", version, about = "Baton's program for clients, operators and publishers")]
struct Cli {
	#[command(subcommand)]
	command: Command,
	/// A file holding the account's secret URI, instead of BATON_SURI: a text file, or a key
	/// file of a Substrate keystore (the secret as a JSON string).
	#[arg(long, global = true)]
	key_file: Option<std::path::PathBuf>,
}

#[derive(Subcommand)]
enum Command {
	/// A local HTTP gateway over relay sessions: `<METHOD> http://LISTEN/<api_id>/<path>`.
	///
	/// Opens a session on the API on its first call and renews it before it ends, sends each
	/// call to the session's best operator, hedges to the next one when that one is late,
	/// fails over at once when it fails, and answers with the upstream's status and bytes once
	/// a receipt verifies (headers Baton-Receipt, Baton-Receipt-Signature, Baton-Operator,
	/// Baton-Session). Prometheus metrics at GET /metrics. On SIGINT or SIGTERM it closes its
	/// sessions, reporting their handovers. The account key is BATON_SURI's (or --suri's).
	///
	/// Example: BATON_SURI="$(cat key.suri)" baton gateway --node ws://127.0.0.1:9944
	Gateway {
		/// The node to send transactions to and read the chain from.
		#[arg(long, default_value = "ws://127.0.0.1:9944")]
		node: String,
		/// The account's secret URI, if not in BATON_SURI (development keys only).
		#[arg(long)]
		suri: Option<String>,
		/// Where to serve.
		#[arg(long, default_value = "127.0.0.1:8787")]
		listen: std::net::SocketAddr,
		/// Operators per session.
		#[arg(long, default_value_t = 3)]
		operators: u32,
		/// Each operator's allowance per session, in BTN; default: 1,000 calls' worth.
		#[arg(long)]
		allowance: Option<String>,
		/// Blocks a session serves calls for.
		#[arg(long, default_value_t = 600)]
		blocks: u32,
		/// Hedge after this many milliseconds; default: adaptive, the operator's recent p95
		/// latency, at least 50 ms.
		#[arg(long)]
		hedge_ms: Option<u64>,
		/// Failures in a row after which an operator is skipped for the rest of the session.
		#[arg(long, default_value_t = 3)]
		max_failures: u32,
		/// Where receipts that do not verify are kept with their calls.
		#[arg(long, default_value = "baton-evidence")]
		evidence_dir: std::path::PathBuf,
		/// Keep every verified receipt with its call in this directory, one file per call, for
		/// `baton verify --challenge` later.
		#[arg(long)]
		keep_receipts: Option<std::path::PathBuf>,
	},
	/// Checks a saved relay receipt with its operator's gateway key from the chain.
	///
	/// RECEIPT is a JSON file {"receipt": "0x…", "signature": "0x…"}: the values of a relayed
	/// call's Baton-Receipt and Baton-Receipt-Signature headers. Exits 0 when one of the
	/// session's operators signed it on the node's chain (and the body, if given, is the one it
	/// vouches for), 1 when not, 2 when it could not tell.
	///
	/// Example: baton verify receipt.json --body body.bin --node ws://127.0.0.1:9944
	///
	/// With --challenge, a receipt that verifies is disputed on-chain (relay.challenge, signed
	/// with BATON_SURI's key): the file must be one baton gateway kept (--keep-receipts), with
	/// the call and the body answered; the call is re-executed among other operators, and an
	/// answer that differs slashes the receipt's operator and repays the challenger.
	///
	/// Example: BATON_SURI="$(cat key.suri)" baton verify kept/session-3-call-17.json --challenge
	Verify {
		/// The saved receipt (JSON).
		receipt: std::path::PathBuf,
		/// The body the call returned, to check against the receipt's response hash (default:
		/// the file's "body", if it has one).
		#[arg(long)]
		body: Option<std::path::PathBuf>,
		/// The node to read the session and the genesis hash from.
		#[arg(long, default_value = "ws://127.0.0.1:9944")]
		node: String,
		/// Dispute the receipt on-chain once it verifies.
		#[arg(long)]
		challenge: bool,
		/// The account's secret URI for --challenge, if not in BATON_SURI.
		#[arg(long)]
		suri: Option<String>,
	},
	/// A client's relay sessions: open, top up, close, show.
	///
	/// Transactions are signed with the account key whose secret URI is in the environment
	/// variable BATON_SURI (or --suri, which puts the secret in your shell's history: for
	/// development keys only). Each prints its progress: sent, in block, finalized. A refused one
	/// exits 1 with the runtime's error, e.g. `relay.UnknownSession: No session has this id.`
	///
	/// Example: BATON_SURI="$(cat key.suri)" baton session open 0 --operators 3 --allowance 2.5
	/// --blocks 600
	Session {
		#[command(subcommand)]
		command: SessionCommand,
		/// The node to send to and read from.
		#[arg(long, default_value = "ws://127.0.0.1:9944", global = true)]
		node: String,
		/// The account's secret URI, if not in BATON_SURI.
		#[arg(long, global = true)]
		suri: Option<String>,
	},
}

#[derive(Subcommand)]
enum SessionCommand {
	/// Opens a session on API API_ID; holds operators × allowance in escrow.
	Open {
		/// The API.
		api_id: u32,
		/// How many operators routing picks for the session.
		#[arg(long, default_value_t = 3)]
		operators: u32,
		/// What each operator may be paid at most, in BTN (e.g. 2.5).
		#[arg(long)]
		allowance: String,
		/// How many blocks calls are served for.
		#[arg(long)]
		blocks: u32,
	},
	/// Raises each operator's allowance in an open session.
	TopUp {
		/// The session.
		session_id: u64,
		/// How much more each operator may be paid, in BTN.
		#[arg(long)]
		allowance: String,
	},
	/// Closes a session; its operators claim for the claim window, then the rest comes back.
	Close {
		/// The session.
		session_id: u64,
	},
	/// Prints a session as the node serves it (JSON).
	Show {
		/// The session.
		session_id: u64,
	},
}

fn main() -> ExitCode {
	let cli = Cli::parse();
	let key_file = cli.key_file;
	// --suri, else the key file, else BATON_SURI (read by `signer`).
	let secret = move |suri: Option<String>| match (suri, &key_file) {
		(Some(suri), _) => Ok(Some(suri)),
		(None, Some(path)) => read_key_file(path).map(Some),
		(None, None) => Ok(None),
	};
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
	let result = runtime.map_err(|error| error.to_string()).and_then(|runtime| {
		runtime.block_on(async {
			match cli.command {
				Command::Gateway {
					node,
					suri,
					listen,
					operators,
					allowance,
					blocks,
					hedge_ms,
					max_failures,
					evidence_dir,
					keep_receipts,
				} => {
					let hedge = match hedge_ms {
						Some(ms) => gateway::Hedge::Fixed(std::time::Duration::from_millis(ms)),
						None => gateway::Hedge::Adaptive,
					};
					let allowance = allowance.as_deref().map(sessions::parse_btn).transpose()?;
					let terms =
						gateway::Terms { operators, allowance, blocks, hedge, max_failures };
					let options = gateway::Options { listen, terms, evidence_dir, keep_receipts };
					let signer = signer(secret(suri)?)?;
					gateway::run(chain::Chain::new(&node)?, signer, options)
						.await
						.map(|()| ExitCode::SUCCESS)
				},
				Command::Verify { receipt, body, node, challenge, suri } => {
					let challenger = challenge.then(|| signer(secret(suri)?)).transpose()?;
					run_verify(&receipt, body, &node, challenger).await
				},
				Command::Session { command, node, suri } => {
					run_session(command, &node, secret(suri)?)
						.await
						.map(|()| ExitCode::SUCCESS)
						.or_else(refused)
				},
			}
		})
	});
	match result {
		Ok(code) => code,
		Err(error) => {
			eprintln!("error: {error}");
			ExitCode::from(2)
		},
	}
}

/// A transaction the chain refused, or a request the program cannot make: exit 1 with the
/// reason.
fn refused(reason: String) -> Result<ExitCode, String> {
	eprintln!("error: {reason}");
	Ok(ExitCode::from(1))
}

/// The account key of `suri` (from `--suri` or `--key-file`), or else of BATON_SURI.
fn signer(suri: Option<String>) -> Result<transactions::Signer, String> {
	let suri = suri
		.or_else(|| std::env::var("BATON_SURI").ok().filter(|suri| !suri.is_empty()))
		.ok_or("give the account's secret URI in BATON_SURI or a file (--key-file)")?;
	transactions::Signer::from_suri(&suri)
}

/// The secret URI in the file at `path`: its text, or the JSON string a Substrate keystore's
/// key file holds.
fn read_key_file(path: &std::path::Path) -> Result<String, String> {
	let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
	let text = text.trim();
	if text.starts_with('"') {
		return serde_json::from_str(text)
			.map_err(|e| format!("{}: not a keystore key file: {e}", path.display()));
	}
	if text.is_empty() {
		return Err(format!("{}: empty", path.display()));
	}
	Ok(text.to_owned())
}

async fn run_session(
	command: SessionCommand,
	node: &str,
	suri: Option<String>,
) -> Result<(), String> {
	let chain = chain::Chain::new(node)?;
	let signer = || signer(suri.clone());
	match command {
		SessionCommand::Open { api_id, operators, allowance, blocks } => {
			let allowance = sessions::parse_btn(&allowance)?;
			sessions::open(&chain, &signer()?, api_id, operators, allowance, blocks)
				.await
				.map(drop)
		},
		SessionCommand::TopUp { session_id, allowance } => {
			let allowance = sessions::parse_btn(&allowance)?;
			sessions::top_up(&chain, &signer()?, session_id, allowance).await
		},
		SessionCommand::Close { session_id } => {
			sessions::close(&chain, &signer()?, session_id).await
		},
		SessionCommand::Show { session_id } => sessions::show(&chain, session_id).await,
	}
}

async fn run_verify(
	receipt: &std::path::Path,
	body: Option<std::path::PathBuf>,
	node: &str,
	challenger: Option<transactions::Signer>,
) -> Result<ExitCode, String> {
	let read = |path: &std::path::Path| {
		std::fs::read(path).map_err(|error| format!("{}: {error}", path.display()))
	};
	let text = String::from_utf8(read(receipt)?)
		.map_err(|_| format!("{}: not UTF-8 JSON", receipt.display()))?;
	let in_file = |e: String| format!("{}: {e}", receipt.display());
	let saved = verify::parse_saved(&text).map_err(in_file)?;
	let kept = match challenger {
		Some(_) => Some(verify::parse_kept(&text).map_err(in_file)?),
		None => verify::parse_kept(&text).ok(),
	};
	let body = match body {
		Some(path) => Some(read(&path)?),
		None => kept.as_ref().map(|kept| kept.answer.clone()),
	};
	let chain = chain::Chain::new(node)?;
	println!("receipt of {}", verify::describe(&saved.receipt));
	let operator = match verify::verify(&chain, &saved, body.as_deref()).await? {
		verify::Verdict::Verified { operator, body_checked } => {
			println!("  signed by: {operator}'s gateway key, on this chain");
			if body_checked {
				println!("  body: the one it vouches for");
			} else {
				println!("  body: not checked (give --body)");
			}
			println!("verified");
			operator
		},
		verify::Verdict::Refuted(reason) => {
			println!("not verified: {reason}");
			if challenger.is_some() {
				println!("not challenged: the chain takes only a receipt that verifies");
			}
			return Ok(ExitCode::from(1));
		},
	};
	let (Some(challenger), Some(kept)) = (challenger, kept) else { return Ok(ExitCode::SUCCESS) };
	println!("challenging {operator}'s answer");
	verify::challenge(&chain, &challenger, &saved, kept)
		.await
		.map(|()| ExitCode::SUCCESS)
		.or_else(refused)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_key_file_is_the_secret_as_text_or_as_a_keystore_json_string() {
		let dir = std::env::temp_dir().join(format!("baton-key-file-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let write = |name: &str, text: &str| {
			let path = dir.join(name);
			std::fs::write(&path, text).unwrap();
			path
		};
		assert_eq!(read_key_file(&write("plain", "//Eve\n")), Ok("//Eve".to_owned()));
		let keystore = write("keystore", "\"bottom drive obey lake//Eve\"");
		assert_eq!(read_key_file(&keystore), Ok("bottom drive obey lake//Eve".to_owned()));
		assert!(read_key_file(&write("broken", "\"unterminated"))
			.unwrap_err()
			.contains("keystore"));
		assert!(read_key_file(&write("empty", " \n")).unwrap_err().contains("empty"));
		assert!(read_key_file(&dir.join("missing")).is_err());
		std::fs::remove_dir_all(&dir).unwrap();
	}
}
