//! `baton`, the program for Baton's users: API publishers (`baton api`), operators (`baton
//! operator`), clients of the settled path (`baton request`) and of relay sessions (`baton
//! session`, `baton gateway`), and anyone holding a receipt (`baton verify`). All share one chain
//! access (`chain.rs`, `storage.rs`, `transactions.rs`) and one way to print (`output.rs`).

mod apis;
mod chain;
mod gateway;
mod operators;
mod output;
mod requests;
mod secrets;
mod sessions;
mod storage;
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
	/// Print one JSON document on stdout instead of text (progress goes to stderr).
	#[arg(long, global = true)]
	json: bool,
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
	/// An API publisher's APIs: register, update, pause, show.
	///
	/// Transactions are signed with the account key whose secret URI is in BATON_SURI (or
	/// --key-file), print their progress (sent, in block, finalized) and exit 1 with the
	/// runtime's error when refused, e.g. `gateway.NotApiOwner: Only the API's owner may do
	/// this.`
	Api {
		#[command(subcommand)]
		command: ApiCommand,
		/// The node to send to and read from.
		#[arg(long, default_value = "ws://127.0.0.1:9944", global = true)]
		node: String,
	},
	/// An operator's stake and profile: bond, bond-extra, unbond, withdraw, profile, chill,
	/// activate, status.
	///
	/// Transactions are signed with the operator's account key (BATON_SURI or --key-file),
	/// print their progress and exit 1 with the runtime's error when refused.
	Operator {
		#[command(subcommand)]
		command: OperatorCommand,
		/// The node to send to and read from.
		#[arg(long, default_value = "ws://127.0.0.1:9944", global = true)]
		node: String,
	},
	/// Submits a settled request; with --wait, prints the upstream's body once its receipt
	/// verifies here (the operator's bonded gateway key over this chain, this request and this
	/// body).
	///
	/// Exits 0 when submitted (with --wait: completed), 1 when refused or refunded.
	///
	/// Example: BATON_SURI=… baton request 0 GET '/price?coin=dot' --header 'Accept:
	/// application/json' --redundancy 3 --wait
	///
	/// Example (sealed: the header and the answer only the operators and this program read):
	/// BATON_SURI=… baton request 0 GET /account --header 'X-Account: 42' --sealed --wait
	Request {
		/// The API.
		api_id: u32,
		/// GET, POST, PUT, PATCH or DELETE.
		method: String,
		/// Path and query, appended to the API's base URL.
		path: String,
		/// A header to send upstream, "Name: value"; repeat for more.
		#[arg(long = "header", short = 'H')]
		headers: Vec<String>,
		/// The body to send upstream (text).
		#[arg(long)]
		body: Option<String>,
		/// Operators that execute it and must agree (0: the API's default).
		#[arg(long, default_value_t = 0)]
		redundancy: u32,
		/// The most to pay, in BTN (default: the quote now).
		#[arg(long)]
		max_fee: Option<String>,
		/// Blocks from now to the deadline.
		#[arg(long, default_value_t = 10)]
		deadline_in: u32,
		/// Follow it to the end and print the verified response.
		#[arg(long)]
		wait: bool,
		/// Seal the headers and body (and the path, if the API keeps paths confidential) to the
		/// operators routing chooses, and have the answer sealed to a key made for this request
		/// (only this program opens it: needs --wait).
		#[arg(long, requires = "wait")]
		sealed: bool,
		/// The node to send to and read from.
		#[arg(long, default_value = "ws://127.0.0.1:9944")]
		node: String,
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
enum ApiCommand {
	/// Registers an API from a spec file (JSON, or TOML if it ends in .toml); prints its id.
	///
	/// The spec has base_url, methods, price_per_call (BTN, as text), max_response_bytes,
	/// timeout_ms, and optionally default_redundancy (1), min_reputation_percent (0),
	/// ignored_fields (top-level JSON fields not compared between operators) and
	/// confidential_path (false; true takes sealed requests only, their paths sealed too).
	///
	/// Example: BATON_SURI="$(cat key.suri)" baton api register price-api.toml
	Register {
		/// The spec file.
		spec: std::path::PathBuf,
	},
	/// Replaces an API's spec (requests already open keep their terms).
	///
	/// Example: baton api update 0 price-api.toml
	Update {
		/// The API.
		api_id: u32,
		/// The spec file.
		spec: std::path::PathBuf,
	},
	/// Pauses an API: no new requests or sessions. --resume undoes it.
	///
	/// Example: baton api pause 0; baton api pause 0 --resume
	Pause {
		/// The API.
		api_id: u32,
		/// Resume it instead.
		#[arg(long)]
		resume: bool,
	},
	/// Prints an API as the chain keeps it.
	///
	/// Example: baton api show 0 --json
	Show {
		/// The API.
		api_id: u32,
	},
	/// Seals the API's secret (its value in BATON_API_SECRET) to each operator serving it
	/// with an encryption key, whose nodes add it to every upstream call as a header or a
	/// query parameter; requests then go to these operators only. Run it again to rotate or
	/// revoke; --operator grants it to one more operator; --remove drops it.
	///
	/// Example: BATON_API_SECRET="Bearer $TOKEN" baton api secret 0 --header Authorization
	Secret {
		/// The API.
		api_id: u32,
		/// The header the secret is sent in.
		#[arg(long, conflicts_with_all = ["query", "remove"])]
		header: Option<String>,
		/// The query parameter the secret is sent in.
		#[arg(long, conflicts_with = "remove")]
		query: Option<String>,
		/// Grant it to this operator only, beside those that hold it.
		#[arg(long, conflicts_with = "remove")]
		operator: Option<String>,
		/// Remove the API's secret.
		#[arg(long)]
		remove: bool,
	},
}

#[derive(Subcommand)]
enum OperatorCommand {
	/// Bonds stake with a gateway key and a profile, proving that you hold the key.
	///
	/// The gateway key (ed25519) is the one your node signs reports with: its secret URI comes
	/// from BATON_GATEWAY_SURI (or --gateway-suri, for development keys). Then insert it into
	/// the node's keystore (key type gate) and send its account a little BTN.
	///
	/// Example: BATON_SURI=… BATON_GATEWAY_SURI=… baton operator bond 100 --endpoint
	/// https://op.example:9955 --region DE --capacity 50 --apis 0,1
	Bond {
		/// Stake, in BTN.
		amount: String,
		/// The gateway key's secret URI, if not in BATON_GATEWAY_SURI.
		#[arg(long)]
		gateway_suri: Option<String>,
		#[command(flatten)]
		profile: ProfileArgs,
	},
	/// Adds stake, in BTN.
	///
	/// Example: baton operator bond-extra 25.5
	BondExtra {
		/// Stake to add, in BTN.
		amount: String,
	},
	/// Starts unbonding stake, in BTN: it unlocks after the unbonding period.
	///
	/// Example: baton operator unbond 10
	Unbond {
		/// Stake to unbond, in BTN.
		amount: String,
	},
	/// Withdraws the unbonded stake that has unlocked.
	///
	/// Example: BATON_SURI="$(cat key.suri)" baton operator withdraw
	Withdraw,
	/// Replaces the profile: endpoint, region, capacity, APIs served.
	///
	/// With a seal key (--seal-suri or BATON_SEAL_SURI), the profile publishes its encryption
	/// key, signed by the gateway key (BATON_GATEWAY_SURI or --gateway-suri).
	///
	/// Example: baton operator profile --endpoint https://op.example:9955 --region DE
	/// --capacity 80 --apis 0,1,2
	Profile {
		/// The gateway key's secret URI, if not in BATON_GATEWAY_SURI.
		#[arg(long)]
		gateway_suri: Option<String>,
		#[command(flatten)]
		profile: ProfileArgs,
	},
	/// Takes no new requests until activated (open ones are still served).
	///
	/// Example: baton operator chill
	Chill,
	/// Takes requests again.
	///
	/// Example: baton operator activate
	Activate,
	/// Stake, unbonding chunks, state, jail, reputation and recent offences of an operator
	/// (default: the account of BATON_SURI).
	///
	/// Example: baton operator status 5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y
	Status {
		/// The operator's address.
		operator: Option<String>,
	},
}

/// An operator's profile on the command line.
#[derive(clap::Args)]
struct ProfileArgs {
	/// Where clients reach the node's relay endpoint.
	#[arg(long)]
	endpoint: String,
	/// Region: two capital letters (ISO 3166-1, e.g. DE).
	#[arg(long)]
	region: String,
	/// Requests taken at once at most.
	#[arg(long)]
	capacity: u32,
	/// APIs served, by id: 0,1,2.
	#[arg(long, value_delimiter = ',')]
	apis: Vec<u32>,
	/// Publish the encryption key of this seal key (ed25519 secret URI, or BATON_SEAL_SURI),
	/// which the node holds under key type seal, so that API secrets can be sealed to it.
	#[arg(long)]
	seal_suri: Option<String>,
}

#[derive(Subcommand)]
enum SessionCommand {
	/// Opens a session on API API_ID; holds operators × allowance in escrow.
	///
	/// Example: baton session open 0 --operators 3 --allowance 2.5 --blocks 600
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
	///
	/// Example: baton session top-up 7 --allowance 1.25
	TopUp {
		/// The session.
		session_id: u64,
		/// How much more each operator may be paid, in BTN.
		#[arg(long)]
		allowance: String,
	},
	/// Closes a session; its operators claim for the claim window, then the rest comes back.
	///
	/// Example: baton session close 7
	Close {
		/// The session.
		session_id: u64,
	},
	/// Prints a session as the node serves it: its terms, state and what each operator was
	/// paid for.
	///
	/// Example: baton session show 7 --json
	Show {
		/// The session.
		session_id: u64,
	},
}

fn main() -> ExitCode {
	let cli = Cli::parse();
	let out = output::Output { json: cli.json };
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
					run_verify(&receipt, body, &node, challenger, out).await
				},
				Command::Api { command, node } => run_api(command, &node, secret(None)?, out)
					.await
					.map(|()| ExitCode::SUCCESS)
					.or_else(refused),
				Command::Operator { command, node } => {
					run_operator(command, &node, secret(None)?, out)
						.await
						.map(|()| ExitCode::SUCCESS)
						.or_else(refused)
				},
				Command::Request {
					api_id,
					method,
					path,
					headers,
					body,
					redundancy,
					max_fee,
					deadline_in,
					wait,
					sealed,
					node,
				} => {
					let chain = chain::Chain::new(&node)?;
					let signer = signer(secret(None)?)?;
					let headers = headers
						.iter()
						.map(|h| requests::header(h))
						.collect::<Result<Vec<_>, _>>()?;
					let max_fee = match max_fee {
						Some(fee) => sessions::parse_btn(&fee)?,
						None => requests::quote(&chain, api_id, redundancy).await?,
					};
					let deadline = chain.best_number().await? + deadline_in;
					let body = body.unwrap_or_default().into_bytes();
					let ask = requests::Ask::new(
						api_id,
						&method,
						&path,
						headers,
						body,
						(redundancy, max_fee, deadline),
					)?;
					let ask = ask.for_api(&apis::get(&chain, api_id).await?.spec, sealed)?;
					match requests::request(&chain, &signer, ask, wait, out).await {
						Ok(true) => Ok(ExitCode::SUCCESS),
						Ok(false) => Ok(ExitCode::from(1)),
						Err(reason) => refused(reason),
					}
				},
				Command::Session { command, node, suri } => {
					run_session(command, &node, secret(suri)?, out)
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

/// Environment variable `name`, unless unset or empty.
fn env(name: &str) -> Option<String> {
	std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// The account an SS58 `address` names.
fn parse_address(address: &str) -> Result<baton_runtime::AccountId, String> {
	use sp_core::crypto::Ss58Codec;
	baton_runtime::AccountId::from_ss58check(address)
		.map_err(|e| format!("{address}: not an address: {e:?}"))
}

/// The account key of `suri` (from `--suri` or `--key-file`), or else of BATON_SURI.
fn signer(suri: Option<String>) -> Result<transactions::Signer, String> {
	let suri = suri
		.or_else(|| env("BATON_SURI"))
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

async fn run_api(
	command: ApiCommand,
	node: &str,
	suri: Option<String>,
	out: output::Output,
) -> Result<(), String> {
	let chain = chain::Chain::new(node)?;
	match command {
		ApiCommand::Register { spec } => {
			let spec = apis::read_spec(&spec)?;
			apis::register(&chain, &signer(suri)?, spec, out).await
		},
		ApiCommand::Update { api_id, spec } => {
			let spec = apis::read_spec(&spec)?;
			apis::update(&chain, &signer(suri)?, api_id, spec, out).await
		},
		ApiCommand::Pause { api_id, resume } => {
			apis::pause(&chain, &signer(suri)?, api_id, !resume, out).await
		},
		ApiCommand::Show { api_id } => apis::show(&chain, api_id, out).await,
		ApiCommand::Secret { api_id, header, query, operator, remove } => {
			let secret = match (header, query, remove) {
				(_, _, true) => None,
				(Some(name), None, false) => {
					Some(secrets::secret_from_env(secrets::Placement::Header(name))?)
				},
				(None, Some(name), false) => {
					Some(secrets::secret_from_env(secrets::Placement::Query(name))?)
				},
				_ => return Err("say where the secret goes: --header NAME or --query NAME".into()),
			};
			let operator = operator.map(|address| parse_address(&address)).transpose()?;
			secrets::set(&chain, &signer(suri)?, api_id, secret, operator, out).await
		},
	}
}

async fn run_operator(
	command: OperatorCommand,
	node: &str,
	suri: Option<String>,
	out: output::Output,
) -> Result<(), String> {
	use baton_runtime::AccountId;
	use pallet_operator_staking::Call;
	use sp_core::ed25519;
	let chain = &chain::Chain::new(node)?;
	let signer = || signer(suri.clone());
	let gateway = |gateway_suri: Option<String>| {
		let gateway_suri = gateway_suri
			.or_else(|| env("BATON_GATEWAY_SURI"))
			.ok_or("give the gateway key's secret URI in BATON_GATEWAY_SURI")?;
		operators::gateway_pair(&gateway_suri)
	};
	// The profile, with the encryption key of its seal key bound by `gateway` for `operator`;
	// the gateway key, and why it is missing, matter only with a seal key.
	type Gateway = Result<ed25519::Pair, String>;
	let profile = |p: ProfileArgs, operator: AccountId, gateway: Gateway| async move {
		let mut profile = operators::profile(&p.endpoint, &p.region, p.capacity, &p.apis)?;
		if let Some(seal_suri) = p.seal_suri.or_else(|| env("BATON_SEAL_SURI")) {
			let gateway = gateway?;
			let bound =
				secrets::bound_encryption_key(chain, &operator, &gateway, &seal_suri).await?;
			profile.encryption_key = Some(bound);
		}
		Ok::<_, String>(profile)
	};
	let simple = |call, done| {
		let signer = signer();
		async move { operators::simple(chain, &signer?, call, done, out).await }
	};
	match command {
		OperatorCommand::Bond { amount, gateway_suri, profile: args } => {
			let gateway = gateway(gateway_suri)?;
			let amount = sessions::parse_btn(&amount)?;
			let signer = signer()?;
			let profile = profile(args, signer.account(), Ok(gateway)).await?;
			operators::bond(chain, &signer, amount, &gateway, profile, out).await
		},
		OperatorCommand::BondExtra { amount } => {
			let amount = sessions::parse_btn(&amount)?;
			simple(Call::bond_extra { amount }, "bonded more").await
		},
		OperatorCommand::Unbond { amount } => {
			let amount = sessions::parse_btn(&amount)?;
			simple(Call::unbond { amount }, "started unbonding").await
		},
		OperatorCommand::Withdraw => simple(Call::withdraw_unbonded {}, "withdrew").await,
		OperatorCommand::Profile { gateway_suri, profile: args } => {
			let profile = profile(args, signer()?.account(), gateway(gateway_suri)).await?;
			simple(Call::update_profile { profile }, "updated its profile").await
		},
		OperatorCommand::Chill => simple(Call::chill {}, "chilled").await,
		OperatorCommand::Activate => simple(Call::activate {}, "activated").await,
		OperatorCommand::Status { operator } => {
			let operator = match operator {
				Some(address) => parse_address(&address)?,
				None => signer()?.account(),
			};
			operators::status(chain, operator, out).await
		},
	}
}

async fn run_session(
	command: SessionCommand,
	node: &str,
	suri: Option<String>,
	out: output::Output,
) -> Result<(), String> {
	let chain = chain::Chain::new(node)?;
	let signer = || signer(suri.clone());
	match command {
		SessionCommand::Open { api_id, operators, allowance, blocks } => {
			let allowance = sessions::parse_btn(&allowance)?;
			sessions::open(&chain, &signer()?, api_id, operators, allowance, blocks, out)
				.await
				.map(drop)
		},
		SessionCommand::TopUp { session_id, allowance } => {
			let allowance = sessions::parse_btn(&allowance)?;
			sessions::top_up(&chain, &signer()?, session_id, allowance, out).await
		},
		SessionCommand::Close { session_id } => {
			sessions::close(&chain, &signer()?, session_id, out).await
		},
		SessionCommand::Show { session_id } => sessions::show(&chain, session_id, out).await,
	}
}

async fn run_verify(
	receipt: &std::path::Path,
	body: Option<std::path::PathBuf>,
	node: &str,
	challenger: Option<transactions::Signer>,
	out: output::Output,
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
	let receipt = &saved.receipt;
	// For a script (--json), one document at the end; steps and the text go to stderr then.
	let mut json = serde_json::json!({
		"sessionId": receipt.session_id, "sequence": receipt.sequence,
		"answeredAt": receipt.answered_at,
	});
	out.line(&format!("receipt of {}", verify::describe(receipt)));
	let operator = match verify::verify(&chain, &saved, body.as_deref()).await? {
		verify::Verdict::Verified { operator, body_checked } => {
			out.line(&format!("  signed by: {operator}'s gateway key, on this chain"));
			out.line(if body_checked {
				"  body: the one it vouches for"
			} else {
				"  body: not checked (give --body)"
			});
			json["verified"] = true.into();
			json["operator"] = operator.to_string().into();
			json["bodyChecked"] = body_checked.into();
			operator
		},
		verify::Verdict::Refuted(reason) => {
			json["verified"] = false.into();
			json["reason"] = reason.clone().into();
			let challenged = challenger.is_some();
			out.result(
				|| {
					let mut text = format!("not verified: {reason}");
					if challenged {
						text += "\nnot challenged: the chain takes only a receipt that verifies";
					}
					text
				},
				json,
			);
			return Ok(ExitCode::from(1));
		},
	};
	let (Some(challenger), Some(kept)) = (challenger, kept) else {
		out.result(|| "verified".to_owned(), json);
		return Ok(ExitCode::SUCCESS);
	};
	out.line("verified");
	out.line(&format!("challenging {operator}'s answer"));
	match verify::challenge(&chain, &challenger, &saved, kept, out).await {
		Ok(challenge) => {
			json["challenge"] = serde_json::json!({ "requestId": challenge.request_id });
			out.result(|| challenge.to_string(), json);
			Ok(ExitCode::SUCCESS)
		},
		Err(error) => refused(error),
	}
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
