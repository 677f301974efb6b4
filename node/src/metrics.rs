//! Prometheus metrics of the gateway work this node's offchain worker does: upstream calls by
//! result, failures by kind, and upstream latency. The worker (in the runtime) cannot reach
//! Prometheus, so it leaves samples in offchain storage and this task drains them.

use std::time::Duration;

use baton_primitives::offchain::{keys::EXECUTION_SAMPLES_KEY, metrics::ExecutionSample};
use codec::{Decode, Encode};
use sp_core::offchain::{OffchainStorage, STORAGE_PREFIX};
use substrate_prometheus_endpoint::{
	exponential_buckets, register, CounterVec, Histogram, HistogramOpts, Opts, PrometheusError,
	Registry, U64,
};

/// How often samples are drained.
const DRAIN_EVERY: Duration = Duration::from_secs(1);

struct Metrics {
	executed: CounterVec<U64>,
	failures: CounterVec<U64>,
	latency: Histogram,
}

impl Metrics {
	fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		Ok(Self {
			executed: register(
				CounterVec::new(
					Opts::new(
						"baton_gateway_requests_executed_total",
						"Upstream calls made, by result",
					),
					&["result"],
				)?,
				registry,
			)?,
			failures: register(
				CounterVec::new(
					Opts::new(
						"baton_gateway_failures_total",
						"Upstream calls that failed, by kind",
					),
					&["kind"],
				)?,
				registry,
			)?,
			latency: register(
				Histogram::with_opts(
					HistogramOpts::new(
						"baton_gateway_upstream_latency_seconds",
						"Upstream call latency",
					)
					.buckets(exponential_buckets(0.005, 2.0, 13)?),
				)?,
				registry,
			)?,
		})
	}

	fn observe(&self, sample: &ExecutionSample) {
		let label = sample.status.label();
		self.executed.with_label_values(&[label]).inc();
		if !sample.status.is_response() {
			self.failures.with_label_values(&[label]).inc();
		}
		self.latency.observe(sample.latency_ms as f64 / 1_000.0);
	}
}

/// Takes the samples the offchain worker left, leaving an empty list.
fn drain<S: OffchainStorage>(db: &mut S) -> Vec<ExecutionSample> {
	let Some(stored) = db.get(STORAGE_PREFIX, EXECUTION_SAMPLES_KEY) else { return Vec::new() };
	let empty = Vec::<ExecutionSample>::new().encode();
	if stored == empty
		|| !db.compare_and_set(STORAGE_PREFIX, EXECUTION_SAMPLES_KEY, Some(&stored), &empty)
	{
		// Nothing new, or the worker is writing right now: next round.
		return Vec::new();
	}
	Vec::<ExecutionSample>::decode(&mut &stored[..]).unwrap_or_default()
}

/// Registers the metrics and returns the task that keeps them up to date.
pub fn task<S: OffchainStorage + 'static>(
	registry: &Registry,
	mut db: S,
) -> Result<impl std::future::Future<Output = ()>, PrometheusError> {
	let metrics = Metrics::register(registry)?;
	Ok(async move {
		loop {
			futures_timer::Delay::new(DRAIN_EVERY).await;
			for sample in drain(&mut db) {
				metrics.observe(&sample);
			}
		}
	})
}

#[cfg(test)]
mod tests {
	use super::*;
	use baton_primitives::ResultStatus;
	use sp_core::offchain::storage::InMemOffchainStorage;

	#[test]
	fn draining_takes_every_sample_once() {
		let mut db = InMemOffchainStorage::default();
		assert!(drain(&mut db).is_empty());
		let samples = vec![
			ExecutionSample { status: ResultStatus::Response { code: 200 }, latency_ms: 12 },
			ExecutionSample { status: ResultStatus::Timeout, latency_ms: 2_000 },
		];
		db.set(STORAGE_PREFIX, EXECUTION_SAMPLES_KEY, &samples.encode());
		assert_eq!(drain(&mut db), samples);
		assert!(drain(&mut db).is_empty());

		let registry = Registry::new();
		let metrics = Metrics::register(&registry).unwrap();
		samples.iter().for_each(|s| metrics.observe(s));
		assert_eq!(metrics.executed.with_label_values(&["response"]).get(), 1);
		assert_eq!(metrics.failures.with_label_values(&["timeout"]).get(), 1);
		assert_eq!(metrics.latency.get_sample_count(), 2);
	}
}
