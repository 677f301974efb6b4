//! The samples of upstream calls the gateway's offchain worker leaves under
//! [`super::keys::EXECUTION_SAMPLES_KEY`] for the node's Prometheus metrics to drain.

use codec::{Decode, Encode};

use crate::ResultStatus;

/// Samples kept at most until the node drains them; older ones are dropped first.
pub const MAX_EXECUTION_SAMPLES: usize = 4_096;

/// One upstream call made by an offchain worker.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub struct ExecutionSample {
	/// How it ended.
	pub status: ResultStatus,
	/// Milliseconds it took.
	pub latency_ms: u32,
}
