//! Routing: reproducible, favouring reputation, latency and stake, never choosing an operator
//! that may not work, and drawing its candidates at random from the available ones only.

use crate::{
	mock::*,
	routing::{draw_slots, latency_factor, stake_factor, thompson_sample, Rng},
	Apis, Error, Load, Pallet,
};
use baton_primitives::{Outcome, ReputationSink, ReputationView};
use frame_support::assert_noop;
use sp_runtime::Perbill;

/// How often each of the operators `OP..OP + n` is chosen first over `requests` request ids.
fn first_choices(n: u8, requests: u64) -> Vec<u32> {
	let api = Apis::<Test>::get(0).unwrap();
	let mut counts = vec![0u32; n as usize];
	for id in 0..requests {
		let routed =
			Pallet::<Test>::route(&mut Pallet::<Test>::eligible(0, &api), id, 1, false).unwrap();
		let chosen = &routed.assigned[0];
		let index = (OP..OP + n).position(|m| &account(m) == chosen).unwrap();
		counts[index] += 1;
	}
	counts
}

fn record(n: u8, outcome: Outcome, times: u32) {
	for _ in 0..times {
		<Reputation as ReputationSink<_>>::record(&account(n), 0, outcome);
	}
}

#[test]
fn routing_is_reproducible_from_chain_data() {
	build_and_execute(|| {
		register_api();
		for n in 0..5 {
			bond_operator(OP + n, 5_000);
		}
		let api = Apis::<Test>::get(0).unwrap();
		let first =
			Pallet::<Test>::route(&mut Pallet::<Test>::eligible(0, &api), 42, 2, false).unwrap();
		let again =
			Pallet::<Test>::route(&mut Pallet::<Test>::eligible(0, &api), 42, 2, false).unwrap();
		assert_eq!(first.assigned, again.assigned);
		assert_eq!(first.backups, again.backups);
		assert_eq!(first.candidates, 5);
		// Two assigned and every other operator a backup (up to three), all distinct.
		let mut all: Vec<_> = first.assigned.iter().chain(first.backups.iter()).collect();
		all.sort();
		all.dedup();
		assert_eq!((first.assigned.len(), first.backups.len(), all.len()), (2, 3, 5));
	});
}

#[test]
fn a_better_operator_is_chosen_more_often() {
	build_and_execute(|| {
		register_api();
		bond_operator(OP, 5_000);
		bond_operator(OP + 1, 5_000);
		record(OP, Outcome::Completed { latency_ms: 100 }, 30);
		record(OP + 1, Outcome::Completed { latency_ms: 100 }, 5);
		record(OP + 1, Outcome::Failed, 20);
		let counts = first_choices(2, 400);
		assert!(counts[0] > 2 * counts[1], "good {} vs mediocre {}", counts[0], counts[1]);
		// The worse one is still explored now and then.
		assert!(counts[1] > 0);
	});
}

#[test]
fn lower_latency_and_more_stake_are_chosen_more_often() {
	build_and_execute(|| {
		register_api();
		bond_operator(OP, 5_000);
		bond_operator(OP + 1, 5_000);
		record(OP, Outcome::Completed { latency_ms: 50 }, 10);
		record(OP + 1, Outcome::Completed { latency_ms: 3_000 }, 10);
		let by_latency = first_choices(2, 400);
		assert!(by_latency[0] > 2 * by_latency[1], "{by_latency:?}");

		bond_operator(OP + 2, 16_000);
		bond_operator(OP + 3, 1_000);
		let api = Apis::<Test>::get(0).unwrap();
		let (mut rich, mut poor) = (0, 0);
		for id in 0..400 {
			let routed =
				Pallet::<Test>::route(&mut Pallet::<Test>::eligible(0, &api), id, 1, false)
					.unwrap();
			rich += (routed.assigned[0] == account(OP + 2)) as u32;
			poor += (routed.assigned[0] == account(OP + 3)) as u32;
		}
		assert!(rich > 2 * poor, "rich {rich} vs poor {poor}");
	});
}

#[test]
fn unavailable_operators_are_never_chosen() {
	build_and_execute(|| {
		register_api();
		for n in 0..4 {
			bond_operator(OP + n, 5_000);
		}
		// Jailed, offline and chilled.
		use baton_primitives::SlashTarget;
		assert!(OperatorStaking::jail(&account(OP), 100).is_ok());
		OperatorStaking::set_offline(&account(OP + 1));
		frame_support::assert_ok!(OperatorStaking::chill(RuntimeOrigin::signed(account(OP + 2))));
		let counts = first_choices(4, 200);
		assert_eq!(counts, vec![0, 0, 0, 200]);
		let api = Apis::<Test>::get(0).unwrap();
		assert_noop!(
			Pallet::<Test>::route(&mut Pallet::<Test>::eligible(0, &api), 1, 2, false).map(|_| ()),
			Error::<Test>::NotEnoughOperators
		);
	});
}

#[test]
fn full_operators_and_those_below_the_minimum_reputation_are_skipped() {
	build_and_execute(|| {
		register_api();
		bond_operator(OP, 5_000);
		bond_operator(OP + 1, 5_000);
		// Profile capacity is 8.
		Load::<Test>::insert(account(OP), 8);
		assert_eq!(first_choices(2, 50), vec![0, 50]);
		Load::<Test>::remove(account(OP));

		record(OP, Outcome::Completed { latency_ms: 100 }, 5);
		Apis::<Test>::mutate(0, |api| {
			api.as_mut().unwrap().spec.min_reputation = Perbill::from_percent(60)
		});
		// A newcomer scores 1/2; OP scores 6/7.
		assert_eq!(first_choices(2, 50), vec![50, 0]);
	});
}

#[test]
fn the_weight_factors_have_their_documented_ranges() {
	assert_eq!(latency_factor(0), 1_000_000);
	assert_eq!(latency_factor(1_000), 500_000);
	assert_eq!(stake_factor(500, 1_000), 1_000_000);
	assert_eq!(stake_factor(4_000, 1_000), 2_000_000);
	assert_eq!(stake_factor(1_000_000, 1_000), 4_000_000);
	let mut rng = Rng::new([7; 32]);
	let confident =
		ReputationView { alpha_micros: 90_000_000, beta_micros: 10_000_000, ..Default::default() };
	let samples: Vec<u128> = (0..200).map(|_| thompson_sample(&confident, &mut rng)).collect();
	let mean = samples.iter().sum::<u128>() / 200;
	assert!((870_000..930_000).contains(&mean), "mean {mean}");
	assert!(samples.iter().all(|s| (1_000..=1_000_000).contains(s)));
	let extreme =
		ReputationView { alpha_micros: u64::MAX, beta_micros: u64::MAX, ..Default::default() };
	assert!((1_000..=1_000_000).contains(&thompson_sample(&extreme, &mut rng)));
}

/// Funds and bonds operators `OP + from .. OP + to`, serving API 0.
fn bond_operators(from: u8, to: u8) {
	use frame_support::traits::fungible::Mutate;
	for n in OP + from..OP + to {
		frame_support::assert_ok!(Balances::mint_into(&account(n), FUNDS));
		bond_operator(n, 5_000);
	}
}

#[test]
fn sixty_four_chilled_or_jailed_operators_bonded_first_do_not_stop_routing_to_the_sixty_fifth() {
	build_and_execute(|| {
		use baton_primitives::SlashTarget;
		register_api();
		bond_operators(0, 64);
		for n in OP..OP + 64 {
			if n % 2 == 0 {
				frame_support::assert_ok!(OperatorStaking::chill(RuntimeOrigin::signed(account(
					n
				))));
			} else {
				frame_support::assert_ok!(OperatorStaking::jail(&account(n), 100));
			}
		}
		bond_operators(64, 65);
		let id = submit(1);
		assert_eq!(
			crate::Requests::<Test>::get(id).unwrap().assigned.to_vec(),
			vec![account(OP + 64)]
		);
	});
}

#[test]
fn candidates_are_drawn_at_random_so_no_storage_position_wins_routing() {
	build_and_execute(|| {
		register_api();
		// Twice as many available operators as routing looks at (`MaxCandidates` is 16).
		bond_operators(0, 32);
		let api = Apis::<Test>::get(0).unwrap();
		let mut drawn = vec![0u32; 32];
		for id in 0..100 {
			crate::NextRequestId::<Test>::put(id);
			let candidates = Pallet::<Test>::eligible(0, &api);
			assert_eq!((candidates.looked_at, candidates.eligible.len()), (16, 16));
			for eligible in &candidates.eligible {
				drawn[(OP..OP + 32).position(|n| account(n) == eligible.who).unwrap()] += 1;
			}
		}
		// Each is drawn for about half of the requests, whatever its slot or account.
		assert!(drawn.iter().all(|count| (30..=70).contains(count)), "{drawn:?}");
	});
}

#[test]
fn slots_are_drawn_without_repetition() {
	let mut rng = Rng::new([3; 32]);
	let mut all = draw_slots(5, 16, &mut rng);
	all.sort();
	assert_eq!(all, vec![0, 1, 2, 3, 4]);
	let mut some = draw_slots(1_000, 16, &mut rng);
	assert!(some.iter().all(|slot| *slot < 1_000));
	some.sort();
	some.dedup();
	assert_eq!(some.len(), 16);
	assert!(draw_slots(0, 16, &mut rng).is_empty());
}
