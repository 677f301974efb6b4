//! `baton api register|update|pause|show`: an API publisher's commands. A spec is a JSON or TOML
//! file (by its extension) with the fields of the gateway's `ApiSpec`, amounts in BTN:
//!
//! ```toml
//! base_url = "https://api.example.com/v1"
//! methods = ["GET", "POST"]
//! price_per_call = "0.01"
//! max_response_bytes = 16384
//! timeout_ms = 2000
//! default_redundancy = 1        # optional, 1
//! min_reputation_percent = 0    # optional, 0
//! ignored_fields = ["ts"]       # optional, none
//! confidential_path = false     # optional: true takes sealed requests only, paths sealed
//! ```

use baton_primitives::ApiId;
use baton_runtime::{Runtime, RuntimeCall, RuntimeEvent};
use pallet_gateway::{Api, ApiSpec, HttpMethod};
use serde_json::json;
use sp_core::crypto::Ss58Codec;
use sp_runtime::Perbill;

use crate::{
	chain::Chain,
	output::Output,
	sessions::{format_btn, parse_btn},
	transactions::Signer,
};

/// An API spec as a publisher writes it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
	base_url: String,
	methods: Vec<String>,
	/// In BTN, as text: `"0.01"`.
	price_per_call: String,
	max_response_bytes: u32,
	timeout_ms: u32,
	#[serde(default = "one")]
	default_redundancy: u32,
	#[serde(default)]
	min_reputation_percent: u32,
	#[serde(default)]
	ignored_fields: Vec<String>,
	#[serde(default)]
	confidential_path: bool,
}

fn one() -> u32 {
	1
}

/// An HTTP method by its name, any case.
pub fn method(name: &str) -> Result<HttpMethod, String> {
	Ok(match name.to_ascii_uppercase().as_str() {
		"GET" => HttpMethod::Get,
		"POST" => HttpMethod::Post,
		"PUT" => HttpMethod::Put,
		"PATCH" => HttpMethod::Patch,
		"DELETE" => HttpMethod::Delete,
		_ => {
			return Err(format!(
				"{name}: not a method an API may allow (GET, POST, PUT, PATCH, DELETE)"
			))
		},
	})
}

fn method_name(method: &HttpMethod) -> &'static str {
	match method {
		HttpMethod::Get => "GET",
		HttpMethod::Post => "POST",
		HttpMethod::Put => "PUT",
		HttpMethod::Patch => "PATCH",
		HttpMethod::Delete => "DELETE",
	}
}

/// The spec in the file at `path`: TOML if it ends in `.toml`, else JSON.
pub fn read_spec(path: &std::path::Path) -> Result<ApiSpec<Runtime>, String> {
	let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
	let file: SpecFile = if path.extension().is_some_and(|e| e == "toml") {
		toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
	} else {
		serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
	};
	to_spec(file).map_err(|e| format!("{}: {e}", path.display()))
}

fn to_spec(file: SpecFile) -> Result<ApiSpec<Runtime>, String> {
	let too_long = |field: &str| format!("{field}: longer than the chain allows");
	let methods = file.methods.iter().map(|m| method(m)).collect::<Result<Vec<_>, _>>()?;
	if file.min_reputation_percent > 100 {
		return Err("min_reputation_percent: at most 100".into());
	}
	let ignored_fields = file
		.ignored_fields
		.into_iter()
		.map(|field| field.into_bytes().try_into().map_err(|_| too_long("ignored_fields")))
		.collect::<Result<Vec<_>, _>>()?;
	Ok(ApiSpec {
		base_url: file.base_url.into_bytes().try_into().map_err(|_| too_long("base_url"))?,
		methods: methods.try_into().map_err(|_| too_long("methods"))?,
		price_per_call: parse_btn(&file.price_per_call)?,
		max_response_bytes: file.max_response_bytes,
		timeout_ms: file.timeout_ms,
		default_redundancy: file.default_redundancy,
		min_reputation: Perbill::from_percent(file.min_reputation_percent),
		ignored_fields: ignored_fields.try_into().map_err(|_| too_long("ignored_fields"))?,
		confidential_path: file.confidential_path,
	})
}

/// Registers the API `spec` describes; prints its id.
pub async fn register(
	chain: &Chain,
	signer: &Signer,
	spec: ApiSpec<Runtime>,
	out: Output,
) -> Result<(), String> {
	let call = RuntimeCall::Gateway(pallet_gateway::Call::register_api { spec });
	let included = chain.submit(signer, call, |step| out.progress(step)).await?;
	let api_id = included
		.events
		.iter()
		.find_map(|event| match event {
			RuntimeEvent::Gateway(pallet_gateway::Event::ApiRegistered { api_id, .. }) => {
				Some(*api_id)
			},
			_ => None,
		})
		.ok_or("the transaction succeeded without registering an API")?;
	out.result(
		|| format!("API {api_id} registered (#{})", included.block),
		json!({ "apiId": api_id, "block": included.block }),
	);
	Ok(())
}

/// Replaces API `api_id`'s spec; open requests keep the terms they were submitted under.
pub async fn update(
	chain: &Chain,
	signer: &Signer,
	api_id: ApiId,
	spec: ApiSpec<Runtime>,
	out: Output,
) -> Result<(), String> {
	let call = RuntimeCall::Gateway(pallet_gateway::Call::update_api { api_id, spec });
	let included = chain.submit(signer, call, |step| out.progress(step)).await?;
	out.result(
		|| format!("API {api_id} updated (#{})", included.block),
		json!({ "apiId": api_id, "block": included.block }),
	);
	Ok(())
}

/// Pauses API `api_id` (no new requests or sessions), or resumes it.
pub async fn pause(
	chain: &Chain,
	signer: &Signer,
	api_id: ApiId,
	paused: bool,
	out: Output,
) -> Result<(), String> {
	let call = RuntimeCall::Gateway(pallet_gateway::Call::pause_api { api_id, paused });
	let included = chain.submit(signer, call, |step| out.progress(step)).await?;
	let state = if paused { "paused" } else { "resumed" };
	out.result(
		|| format!("API {api_id} {state} (#{})", included.block),
		json!({ "apiId": api_id, "paused": paused, "block": included.block }),
	);
	Ok(())
}

/// API `api_id` as the chain keeps it.
pub async fn get(chain: &Chain, api_id: ApiId) -> Result<Api<Runtime>, String> {
	let key = pallet_gateway::Apis::<Runtime>::hashed_key_for(api_id);
	chain
		.storage(&key)
		.await?
		.ok_or_else(|| format!("gateway.UnknownApi: no API has id {api_id}"))
}

/// Prints API `api_id` as the chain keeps it.
pub async fn show(chain: &Chain, api_id: ApiId, out: Output) -> Result<(), String> {
	let api = get(chain, api_id).await?;
	let spec = &api.spec;
	let methods: Vec<_> = spec.methods.iter().map(method_name).collect();
	let ignored: Vec<_> = spec
		.ignored_fields
		.iter()
		.map(|f| String::from_utf8_lossy(f).into_owned())
		.collect();
	let base_url = String::from_utf8_lossy(&spec.base_url).into_owned();
	let owner = api.owner.to_ss58check();
	out.result(
		|| {
			[
				format!("API {api_id}{}", if api.paused { " (paused)" } else { "" }),
				format!("  base URL:     {base_url}"),
				format!("  methods:      {}", methods.join(", ")),
				format!(
					"  price:        {} per operator and call",
					format_btn(spec.price_per_call)
				),
				format!("  timeout:      {} ms", spec.timeout_ms),
				format!("  response cap: {} bytes", spec.max_response_bytes),
				format!("  redundancy:   {} by default", spec.default_redundancy),
				format!("  reputation:   at least {:?}", spec.min_reputation),
				format!(
					"  ignored:      {}",
					if ignored.is_empty() { "-".into() } else { ignored.join(", ") }
				),
				format!(
					"  paths:        {}",
					if spec.confidential_path {
						"confidential (sealed requests only)"
					} else {
						"public"
					}
				),
				format!("  owner:        {owner} (deposit {})", format_btn(api.deposit)),
			]
			.join("\n")
		},
		json!({
			"apiId": api_id, "owner": owner, "paused": api.paused, "deposit": api.deposit.to_string(),
			"baseUrl": base_url, "methods": methods, "pricePerCall": spec.price_per_call.to_string(),
			"timeoutMs": spec.timeout_ms, "maxResponseBytes": spec.max_response_bytes,
			"defaultRedundancy": spec.default_redundancy,
			"minReputationPpb": spec.min_reputation.deconstruct(), "ignoredFields": ignored,
			"confidentialPath": spec.confidential_path,
		}),
	);
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use baton_runtime::currency::UNIT;

	fn write(name: &str, text: &str) -> std::path::PathBuf {
		let dir = std::env::temp_dir().join(format!("baton-spec-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let path = dir.join(name);
		std::fs::write(&path, text).unwrap();
		path
	}

	#[test]
	fn a_spec_reads_from_json_or_toml_with_amounts_in_btn() {
		let json = write(
			"api.json",
			r#"{"base_url": "https://api.example.com", "methods": ["get", "POST"],
			    "price_per_call": "0.01", "max_response_bytes": 16384, "timeout_ms": 2000,
			    "ignored_fields": ["ts"], "confidential_path": true}"#,
		);
		let toml = write(
			"api.toml",
			"base_url = \"https://api.example.com\"\nmethods = [\"GET\", \"POST\"]\n\
			 price_per_call = \"0.01\"\nmax_response_bytes = 16384\ntimeout_ms = 2000\n\
			 ignored_fields = [\"ts\"]\nconfidential_path = true\n",
		);
		let (from_json, from_toml) = (read_spec(&json).unwrap(), read_spec(&toml).unwrap());
		assert_eq!(from_json, from_toml);
		assert_eq!(from_json.price_per_call, UNIT / 100);
		assert_eq!(from_json.methods.to_vec(), vec![HttpMethod::Get, HttpMethod::Post]);
		assert_eq!(from_json.default_redundancy, 1);
		assert_eq!(from_json.min_reputation, Perbill::zero());
		assert!(from_json.confidential_path);
	}

	#[test]
	fn a_bad_spec_is_refused_with_the_field_named() {
		let cases = [
			(
				r#"{"base_url": "x", "methods": ["TRACE"], "price_per_call": "1", "max_response_bytes": 1, "timeout_ms": 1}"#,
				"TRACE",
			),
			(
				r#"{"base_url": "x", "methods": [], "price_per_call": "1.0000000000001", "max_response_bytes": 1, "timeout_ms": 1}"#,
				"not an amount",
			),
			(
				r#"{"base_url": "x", "methods": [], "price_per_call": "1", "max_response_bytes": 1, "timeout_ms": 1, "colour": 1}"#,
				"colour",
			),
			(
				r#"{"base_url": "x", "methods": [], "price_per_call": "1", "max_response_bytes": 1, "timeout_ms": 1, "min_reputation_percent": 101}"#,
				"min_reputation_percent",
			),
		];
		for (i, (text, named)) in cases.into_iter().enumerate() {
			let error = read_spec(&write(&format!("bad{i}.json"), text)).unwrap_err();
			assert!(error.contains(named), "{error}");
		}
	}
}
