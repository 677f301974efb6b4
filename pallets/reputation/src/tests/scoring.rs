//! How outcomes move the score, latency and counts.

use crate::{mock::*, ApiRecordCount, ApiReputations, Reputations};
use baton_primitives::{Outcome, ReputationSink, ReputationSource};
use sp_runtime::Perbill;

const OP: u64 = 7;

#[test]
fn an_unknown_operator_has_the_uniform_prior() {
	build_and_execute(|| {
		let view = Reputation::reputation(&OP);
		assert_eq!(view.score, Perbill::from_percent(50));
		assert_eq!((view.alpha_micros, view.beta_micros), (1_000_000, 1_000_000));
		assert_eq!(view.latency_ms, 0);
	});
}

#[test]
fn successes_raise_and_failures_lower_the_score() {
	build_and_execute(|| {
		Reputation::record(&OP, 1, Outcome::Completed { latency_ms: 100 });
		// α = 1 + 1, β = 1: mean 2/3.
		assert_eq!(Reputation::reputation(&OP).score, Perbill::from_rational(2u32, 3));
		Reputation::record(&OP, 1, Outcome::Failed);
		// Evidence decays to 90% first: α = 1 + 0.9, β = 1 + 1.
		let view = Reputation::reputation(&OP);
		assert_eq!((view.alpha_micros, view.beta_micros), (1_900_000, 2_000_000));
		assert_eq!(view.score, Perbill::from_rational(19u32, 39));
		let record = Reputations::<Test>::get(OP).unwrap();
		assert_eq!((record.completed, record.failed), (1, 1));
	});
}

#[test]
fn old_evidence_decays_so_a_recovered_operator_earns_its_score_back() {
	build_and_execute(|| {
		for _ in 0..20 {
			Reputation::record(&OP, 1, Outcome::Failed);
		}
		let bad = Reputation::reputation(&OP).score;
		for _ in 0..20 {
			Reputation::record(&OP, 1, Outcome::Completed { latency_ms: 50 });
		}
		let recovered = Reputation::reputation(&OP).score;
		assert!(bad < Perbill::from_percent(15), "{bad:?}");
		// Without decay 20 successes after 20 failures would give exactly one half.
		assert!(recovered > Perbill::from_percent(75), "{recovered:?}");
	});
}

#[test]
fn latency_is_a_moving_average() {
	build_and_execute(|| {
		Reputation::record(&OP, 1, Outcome::Completed { latency_ms: 100 });
		assert_eq!(Reputation::reputation(&OP).latency_ms, 100);
		Reputation::record(&OP, 1, Outcome::Completed { latency_ms: 200 });
		assert_eq!(Reputation::reputation(&OP).latency_ms, 120);
		Reputation::record(&OP, 1, Outcome::Completed { latency_ms: 20 });
		assert_eq!(Reputation::reputation(&OP).latency_ms, 100);
		// Failures carry no latency.
		Reputation::record(&OP, 1, Outcome::Failed);
		assert_eq!(Reputation::reputation(&OP).latency_ms, 100);
	});
}

#[test]
fn handovers_are_counted_without_touching_the_score() {
	build_and_execute(|| {
		Reputation::record(&OP, 1, Outcome::HandedOver);
		Reputation::record(&OP, 1, Outcome::TookOver);
		Reputation::record(&OP, 1, Outcome::TookOver);
		let record = Reputations::<Test>::get(OP).unwrap();
		assert_eq!((record.handed_over, record.taken_over), (1, 2));
		assert_eq!(Reputation::reputation(&OP).score, Perbill::from_percent(50));
	});
}

#[test]
fn per_api_reputation_is_kept_apart_and_falls_back_to_overall() {
	build_and_execute(|| {
		Reputation::record(&OP, 1, Outcome::Completed { latency_ms: 10 });
		Reputation::record(&OP, 2, Outcome::Failed);
		assert_eq!(Reputation::reputation_for(&OP, 1).score, Perbill::from_rational(2u32, 3));
		assert_eq!(Reputation::reputation_for(&OP, 2).score, Perbill::from_rational(1u32, 3));
		// No record for API 9: the overall reputation stands in.
		assert_eq!(Reputation::reputation_for(&OP, 9), Reputation::reputation(&OP));
	});
}

#[test]
fn per_api_records_are_bounded() {
	build_and_execute(|| {
		for api in 0..5 {
			Reputation::record(&OP, api, Outcome::Completed { latency_ms: 10 });
		}
		assert_eq!(ApiRecordCount::<Test>::get(OP), 3);
		assert!(ApiReputations::<Test>::get(OP, 4).is_none());
		// The overall record saw all five.
		assert_eq!(Reputations::<Test>::get(OP).unwrap().completed, 5);
		// Known APIs keep being updated.
		Reputation::record(&OP, 0, Outcome::Failed);
		assert_eq!(ApiReputations::<Test>::get(OP, 0).unwrap().failed, 1);
	});
}
