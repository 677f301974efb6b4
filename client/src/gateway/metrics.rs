//! The gateway's Prometheus metrics, served at `GET /metrics` on its listen address.

use substrate_prometheus_endpoint::{
	exponential_buckets,
	prometheus::{Encoder, TextEncoder},
	register, Counter, CounterVec, Histogram, HistogramOpts, Opts, PrometheusError, Registry, U64,
};

pub struct Metrics {
	registry: Registry,
	calls: CounterVec<U64>,
	hedges: Counter<U64>,
	handovers: CounterVec<U64>,
	sessions: CounterVec<U64>,
	latency: Histogram,
}

impl Metrics {
	pub fn new() -> Result<Self, PrometheusError> {
		let registry = Registry::new();
		let counter = |name: &str, help: &str, label: &str| {
			register(CounterVec::new(Opts::new(name, help), &[label])?, &registry)
		};
		Ok(Self {
			calls: counter(
				"baton_gateway_calls_total",
				"Calls answered, by result: ok (a verified answer), callers_fault (refused as the \
				 call's fault), upstream_failed, no_operator, no_session, bad_request",
				"result",
			)?,
			handovers: counter(
				"baton_gateway_handovers_total",
				"Calls that went on to another operator and were answered there, by the first \
				 one's fault: late, failed, bad_receipt",
				"cause",
			)?,
			sessions: counter(
				"baton_gateway_sessions_total",
				"Session events: opened, closed, close_failed",
				"event",
			)?,
			hedges: register(
				Counter::new(
					"baton_gateway_hedges_total",
					"Calls sent to a second operator while the first had not answered",
				)?,
				&registry,
			)?,
			latency: register(
				Histogram::with_opts(
					HistogramOpts::new(
						"baton_gateway_call_seconds",
						"Time from a call's arrival to its verified answer",
					)
					.buckets(exponential_buckets(0.000_5, 2.0, 18)?),
				)?,
				&registry,
			)?,
			registry,
		})
	}

	pub fn call(&self, result: &str) {
		self.calls.with_label_values(&[result]).inc();
	}

	pub fn answered(&self, seconds: f64) {
		self.call("ok");
		self.latency.observe(seconds);
	}

	pub fn hedged(&self) {
		self.hedges.inc();
	}

	pub fn handed_over(&self, cause: &str) {
		self.handovers.with_label_values(&[cause]).inc();
	}

	pub fn session(&self, event: &str) {
		self.sessions.with_label_values(&[event]).inc();
	}

	/// The metrics in Prometheus' text format.
	pub fn text(&self) -> Vec<u8> {
		let mut text = Vec::new();
		// Encoding into a Vec fails only on a metric family with no metric: none here.
		let _ = TextEncoder::new().encode(&self.registry.gather(), &mut text);
		text
	}
}
