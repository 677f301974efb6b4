//! The endpoint's Prometheus metrics: calls by result, and each served call's time split into
//! the upstream's and Baton's own (checks, hashing, signing, HTTP).

use substrate_prometheus_endpoint::{
	exponential_buckets, register, CounterVec, Histogram, HistogramOpts, Opts, PrometheusError,
	Registry, U64,
};

/// The endpoint's metrics.
#[derive(Clone)]
pub struct Metrics {
	calls: CounterVec<U64>,
	upstream: Histogram,
	overhead: Histogram,
}

impl Metrics {
	/// Registers the metrics in `registry`.
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		Ok(Self {
			calls: register(
				CounterVec::new(
					Opts::new(
						"baton_relay_calls_total",
						"Relayed calls, by result: the upstream's (response, timeout, ...) for \
						 served calls, the refusal's reason otherwise",
					),
					&["result"],
				)?,
				registry,
			)?,
			upstream: register(
				Histogram::with_opts(
					HistogramOpts::new(
						"baton_relay_upstream_seconds",
						"Time a served relayed call spent in the upstream call",
					)
					.buckets(exponential_buckets(0.000_5, 2.0, 16)?),
				)?,
				registry,
			)?,
			overhead: register(
				Histogram::with_opts(
					HistogramOpts::new(
						"baton_relay_overhead_seconds",
						"Time a served relayed call spent in the endpoint, the upstream call \
						 excluded",
					)
					.buckets(exponential_buckets(0.000_05, 2.0, 16)?),
				)?,
				registry,
			)?,
		})
	}

	/// Counts a call that ended with `result`.
	pub fn count(&self, result: &str) {
		self.calls.with_label_values(&[result]).inc();
	}

	/// Records a served call's upstream time and overhead, in seconds.
	pub fn served(&self, upstream: f64, overhead: f64) {
		self.upstream.observe(upstream);
		self.overhead.observe(overhead);
	}
}
