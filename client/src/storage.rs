//! Chain state the program reads directly: a storage item at its key, decoded with the
//! runtime's own types, and a runtime API called with `state_call`.

use codec::{Decode, Encode};
use serde_json::json;

use crate::chain::{unhex, Chain};

impl Chain {
	/// The value stored at `key` in the best block, decoded; none if nothing is stored there.
	pub async fn storage<T: Decode>(&self, key: &[u8]) -> Result<Option<T>, String> {
		let stored = self
			.call("state_getStorage", json!([format!("0x{}", hex::encode(key))]))
			.await?;
		let Some(text) = stored.as_str() else { return Ok(None) };
		T::decode(&mut &unhex(text)?[..]).map(Some).map_err(|error| {
			format!("the value at 0x{} does not decode: {error}", hex::encode(key))
		})
	}

	/// Every (key, value) under `prefix` in the best block, decoded; at most `limit`.
	pub async fn storage_pairs<T: Decode>(
		&self,
		prefix: &[u8],
		limit: u32,
	) -> Result<Vec<(Vec<u8>, T)>, String> {
		let prefix = format!("0x{}", hex::encode(prefix));
		let keys = self.call("state_getKeysPaged", json!([prefix, limit])).await?;
		let mut pairs = Vec::new();
		for key in keys.as_array().into_iter().flatten().filter_map(|k| k.as_str()) {
			let key = unhex(key)?;
			if let Some(value) = self.storage::<T>(&key).await? {
				pairs.push((key, value));
			}
		}
		Ok(pairs)
	}

	/// Runtime API `method` (e.g. `OperatorApi_operator`) at the best block with `args`.
	pub async fn runtime_call<T: Decode>(
		&self,
		method: &str,
		args: impl Encode,
	) -> Result<T, String> {
		let args = format!("0x{}", hex::encode(args.encode()));
		let answer = self.call("state_call", json!([method, args])).await?;
		let bytes = unhex(answer.as_str().ok_or_else(|| format!("{method}: not hex"))?)?;
		T::decode(&mut &bytes[..])
			.map_err(|error| format!("{method}: the answer does not decode: {error}"))
	}
}
