//! What the offchain workers of Baton's pallets share: the keys of everything they keep in the
//! node's offchain storage and the protocol between them ([`keys`]), the health model behind
//! proactive handover ([`health`]), the samples behind the node's metrics ([`metrics`]), the
//! signer they send transactions with ([`signer`]), and the sweep that keeps their per-request
//! records bounded.

use sp_runtime::offchain::storage::StorageValueRef;

pub mod health;
pub mod keys;
pub mod metrics;
pub mod signer;

/// Keeps a worker's per-request records bounded. The persistent index under `index_key` lists
/// the (request, content hash) pairs the worker left records for: `new` ones are added, each
/// once, and an entry is dropped once `finished` (which clears that request's records when it
/// says so) returns true, i.e. once the chain no longer assigns the request to the node.
pub fn sweep_index(
	index_key: &[u8],
	new: impl IntoIterator<Item = (crate::RequestId, [u8; 32])>,
	mut finished: impl FnMut(crate::RequestId, &[u8; 32]) -> bool,
) {
	let index = StorageValueRef::persistent(index_key);
	let mut kept: alloc::vec::Vec<(crate::RequestId, [u8; 32])> =
		index.get().ok().flatten().unwrap_or_default();
	for entry in new {
		if !kept.contains(&entry) {
			kept.push(entry);
		}
	}
	kept.retain(|(id, request_hash)| !finished(*id, request_hash));
	index.set(&kept);
}
