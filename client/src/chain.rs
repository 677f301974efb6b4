//! The chain as the program reads it: JSON-RPC over HTTP to a node. A node's RPC port serves
//! HTTP and WebSocket on one port, so a `ws://` address is taken as the same `http://` one.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};
use serde_json::{json, Value};

/// How long the node may take to answer one call.
const RPC_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A node's JSON-RPC methods, over HTTP.
pub struct Chain {
	url: hyper::Uri,
	http: Client<HttpConnector, Full<Bytes>>,
	genesis: tokio::sync::OnceCell<[u8; 32]>,
	/// Held while a transaction is signed and sent (`transactions.rs`).
	pub(crate) sending: tokio::sync::Mutex<()>,
}

impl Chain {
	/// The node at `node`: `ws://host:port` or `http://host:port`.
	pub fn new(node: &str) -> Result<Self, String> {
		let url = match node.split_once("://") {
			Some(("ws" | "http", rest)) => format!("http://{rest}"),
			_ => {
				return Err(format!(
					"{node}: a node's address is ws://host:port or http://host:port"
				))
			},
		};
		let url = url.parse().map_err(|error| format!("{node}: {error}"))?;
		Ok(Self {
			url,
			http: Client::builder(TokioExecutor::new()).build_http(),
			genesis: Default::default(),
			sending: Default::default(),
		})
	}

	/// Calls `method` with `params`; its result, or the node's error as text.
	pub async fn call(&self, method: &str, params: Value) -> Result<Value, String> {
		let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
		let request = hyper::Request::post(&self.url)
			.header(hyper::header::CONTENT_TYPE, "application/json")
			.body(Full::new(Bytes::from(body.to_string())))
			.map_err(|error| error.to_string())?;
		let unreachable = |error: &dyn std::fmt::Display| format!("node {}: {error}", self.url);
		let exchange = async {
			let response = self.http.request(request).await.map_err(|e| unreachable(&e))?;
			let body = response.into_body().collect().await.map_err(|e| unreachable(&e))?;
			Ok::<_, String>(body.to_bytes())
		};
		let bytes = tokio::time::timeout(RPC_TIMEOUT, exchange)
			.await
			.map_err(|_| unreachable(&format!("no answer to {method} in {RPC_TIMEOUT:?}")))??;
		let mut reply: Value = serde_json::from_slice(&bytes).map_err(|e| unreachable(&e))?;
		match reply.get("error") {
			// The message names the kind ("Invalid Transaction"), the data says which.
			Some(error) => Err(match (error["message"].as_str(), error["data"].as_str()) {
				(Some(message), Some(data)) => format!("{method}: {message}: {data}"),
				(message, _) => format!("{method}: {}", message.unwrap_or("error")),
			}),
			None => Ok(reply["result"].take()),
		}
	}

	/// The chain's genesis hash, which every signature binds.
	pub async fn genesis_hash(&self) -> Result<[u8; 32], String> {
		let read = || async {
			let hash = self.call("chain_getBlockHash", json!([0])).await?;
			hash.as_str()
				.and_then(|hash| hex32(hash).ok())
				.ok_or_else(|| format!("chain_getBlockHash: not a hash: {hash}"))
		};
		self.genesis.get_or_try_init(read).await.copied()
	}

	/// Relay session `id` as `relay_session` serves it, while the chain keeps it.
	pub async fn relay_session(&self, id: u64) -> Result<Option<Value>, String> {
		let session = self.call("relay_session", json!([id])).await?;
		Ok((!session.is_null()).then_some(session))
	}
}

/// The 32 bytes `0x`-prefixed hex `text` spells.
pub fn hex32(text: &str) -> Result<[u8; 32], String> {
	unhex(text)?.try_into().map_err(|_| format!("{text}: not 32 bytes"))
}

/// The bytes `0x`-prefixed hex `text` spells.
pub fn unhex(text: &str) -> Result<Vec<u8>, String> {
	let digits = text.strip_prefix("0x").ok_or_else(|| format!("{text}: not 0x-prefixed hex"))?;
	hex::decode(digits).map_err(|error| format!("{text}: {error}"))
}
