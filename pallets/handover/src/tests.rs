//! `hand_over` and the log: voluntary and fraudulent handovers, and every refusal.

use crate::{mock::*, Error, Event, History};
use baton_primitives::{HandoverLog, HandoverReason};
use frame_support::{assert_noop, assert_ok, dispatch::Pays};

#[test]
fn handovers_are_operational_so_a_full_block_cannot_delay_them() {
	use frame_support::dispatch::{DispatchClass, GetDispatchInfo};
	build_and_execute(|| {
		let call = crate::Call::<Test>::hand_over {
			request_id: 7,
			checkpoint: checkpoint(OPERATOR, 7, 1),
		};
		assert_eq!(call.get_dispatch_info().class, DispatchClass::Operational);
	});
}

#[test]
fn a_signed_checkpoint_hands_the_request_to_the_next_backup() {
	build_and_execute(|| {
		open_request(7, vec![SUCCESSOR]);
		let cp = checkpoint(OPERATOR, 7, 1);
		let info =
			Handover::hand_over(RuntimeOrigin::signed(key_account(OPERATOR)), 7, cp).unwrap();
		assert_eq!(info.pays_fee, Pays::No);
		let log = History::<Test>::get(7);
		assert_eq!(log.len(), 1);
		assert_eq!(
			(&log[0].from, &log[0].to, log[0].reason),
			(&account(OPERATOR), &account(SUCCESSOR), HandoverReason::Voluntary)
		);
		assert_eq!(log[0].checkpoint, Some(cp));
		assert_eq!(log[0].block, 1);
		System::assert_last_event(
			Event::HandedOver {
				request_id: 7,
				from: account(OPERATOR),
				to: account(SUCCESSOR),
				reason: HandoverReason::Voluntary,
				seq: 0,
			}
			.into(),
		);
	});
}

#[test]
fn a_checkpoint_that_does_not_verify_hands_over_as_fraud() {
	build_and_execute(|| {
		let mut bad_signature = checkpoint(OPERATOR, 1, 1);
		bad_signature.signature[0] ^= 1;
		// Signed by another key, bound to another request, or an unknown step.
		let by_stranger = checkpoint(STRANGER, 2, 1);
		let other_request = checkpoint(OPERATOR, 99, 1);
		let unknown_step = checkpoint(OPERATOR, 4, 2);
		for (id, cp) in
			[(1, bad_signature), (2, by_stranger), (3, other_request), (4, unknown_step)]
		{
			open_request(id, vec![SUCCESSOR]);
			assert_ok!(Handover::hand_over(RuntimeOrigin::signed(key_account(OPERATOR)), id, cp));
			assert_eq!(History::<Test>::get(id)[0].reason, HandoverReason::Fraud);
		}
		assert_eq!(REASSIGNED.with(|r| r.borrow().len()), 4);
	});
}

#[test]
fn bad_handovers_are_refused_and_change_nothing() {
	build_and_execute(|| {
		open_request(7, vec![SUCCESSOR]);
		open_request(8, vec![]);
		let cp = checkpoint(OPERATOR, 7, 0);
		// Not a gateway key: the operator's own account, or nobody's.
		assert_noop!(
			Handover::hand_over(RuntimeOrigin::signed(account(OPERATOR)), 7, cp),
			Error::<Test>::NotGatewayKey
		);
		// Not assigned, unknown, no backup left: the gateway's refusals come through.
		assert_noop!(
			Handover::hand_over(
				RuntimeOrigin::signed(key_account(STRANGER)),
				7,
				checkpoint(STRANGER, 7, 0)
			),
			NOT_ASSIGNED
		);
		assert_noop!(
			Handover::hand_over(
				RuntimeOrigin::signed(key_account(OPERATOR)),
				9,
				checkpoint(OPERATOR, 9, 0)
			),
			NOT_ASSIGNED
		);
		assert_noop!(
			Handover::hand_over(
				RuntimeOrigin::signed(key_account(OPERATOR)),
				8,
				checkpoint(OPERATOR, 8, 0)
			),
			NO_BACKUP_LEFT
		);
		// Twice: the request is no longer the operator's.
		assert_ok!(Handover::hand_over(RuntimeOrigin::signed(key_account(OPERATOR)), 7, cp));
		assert_noop!(
			Handover::hand_over(RuntimeOrigin::signed(key_account(OPERATOR)), 7, cp),
			NOT_ASSIGNED
		);
	});
}

#[test]
fn a_log_is_bounded_and_forgotten_with_its_request() {
	build_and_execute(|| {
		let log = |from: u8, to: u8| {
			<Handover as HandoverLog<_, _>>::record(
				5,
				&account(from),
				&account(to),
				HandoverReason::Timeout,
				None,
			)
		};
		assert_eq!(log(1, 2), Ok(0));
		assert!(<Handover as HandoverLog<_, _>>::has_room(5));
		assert_eq!(log(2, 3), Ok(1));
		assert!(!<Handover as HandoverLog<_, _>>::has_room(5));
		assert_eq!(log(3, 1), Err(Error::<Test>::TooManyHandovers.into()));
		assert_eq!(<Handover as HandoverLog<_, _>>::history(5).len(), 2);
		<Handover as HandoverLog<_, _>>::forget(5);
		assert!(!History::<Test>::contains_key(5));
	});
}

mod offchain {
	use super::*;
	use crate::Call;
	use baton_primitives::{
		checkpoint_verifies,
		offchain::{
			health::{Breaker, Health},
			keys::{attempt_storage_key, health_storage_key},
		},
		testing::{gateway_suri, offchain_worker_ext},
	};
	use codec::{Decode, Encode};
	use frame_support::traits::Hooks;
	use sp_core::{offchain::StorageKind, Pair};

	/// Runs `test` with operator 1's gateway key in the keystore, offchain storage and a
	/// transaction pool whose transactions it can list; then checks the invariants.
	fn with_worker(test: impl FnOnce(&dyn Fn() -> Vec<Vec<u8>>)) {
		let mut ext = new_test_ext();
		let suri = gateway_suri(OPERATOR);
		let (keys, submitted) = offchain_worker_ext(&mut ext, &[&suri]);
		assert_eq!(keys[0], pair(OPERATOR).public());
		ext.execute_with(|| {
			test(&submitted);
			Handover::do_try_state().expect("handover invariants hold");
		});
	}

	fn set_health(health: Health) {
		let key = health_storage_key(&pair(OPERATOR).public().0, API);
		sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, &key, &health.encode());
	}

	/// Five fast calls, then two failures, in block 1: the breaker opens.
	fn failing() -> Health {
		let mut health = Health::default();
		(0..5).for_each(|_| health.observe(1, 10, false, 2_000));
		(0..2).for_each(|_| health.observe(1, 2_000, true, 2_000));
		health
	}

	fn handovers(transactions: &[Vec<u8>]) -> Vec<(u64, baton_primitives::Checkpoint)> {
		transactions
			.iter()
			.map(|tx| match Extrinsic::decode(&mut &tx[..]).unwrap().function {
				RuntimeCall::Handover(Call::hand_over { request_id, checkpoint }) => {
					(request_id, checkpoint)
				},
				other => panic!("unexpected call {other:?}"),
			})
			.collect()
	}

	#[test]
	fn a_healthy_node_keeps_its_requests() {
		with_worker(|submitted| {
			open_request(1, vec![SUCCESSOR]);
			let mut health = Health::default();
			(0..20).for_each(|_| health.observe(1, 10, false, 2_000));
			set_health(health);
			Handover::offchain_worker(1);
			assert!(submitted().is_empty());
		});
	}

	#[test]
	fn a_node_that_predicts_failure_hands_its_requests_over_once_with_valid_checkpoints() {
		with_worker(|submitted| {
			open_request(1, vec![SUCCESSOR]);
			open_request(2, vec![SUCCESSOR]);
			// The gateway's worker called the upstream for request 2 and got nothing usable.
			let attempted = sp_io::hashing::blake2_256(b"");
			sp_io::offchain::local_storage_set(
				StorageKind::PERSISTENT,
				&attempt_storage_key(2, &request_hash(2), &pair(OPERATOR).public().0),
				&attempted.encode(),
			);
			set_health(failing());
			Handover::offchain_worker(1);
			let mut sent = handovers(&submitted());
			sent.sort_by_key(|(id, _)| *id);
			assert_eq!(sent.len(), 2);
			for (id, checkpoint) in &sent {
				let genesis = baton_primitives::genesis_hash::<Test>();
				let (operator, key) = (account(OPERATOR), pair(OPERATOR).public().0);
				assert!(checkpoint_verifies(
					&genesis,
					*id,
					&request_hash(*id),
					checkpoint,
					&operator,
					&key
				));
			}
			assert_eq!((sent[0].1.completed_steps, sent[1].1.completed_steps), (0, 1));
			assert_eq!(sent[1].1.state_hash, attempted);
			// The chain takes them as voluntary handovers.
			for (id, checkpoint) in sent {
				assert_ok!(Handover::hand_over(
					RuntimeOrigin::signed(key_account(OPERATOR)),
					id,
					checkpoint
				));
				assert_eq!(History::<Test>::get(id)[0].reason, HandoverReason::Voluntary);
			}
			// Run again (say the transactions are still in the pool): nothing is sent twice.
			open_request(1, vec![]);
			Handover::offchain_worker(2);
			assert_eq!(submitted().len(), 2);
			// The marker of the request that left this operator is swept; the other's is kept.
			let marker = |id: u64| {
				let key =
					(b"baton/handed/", id, request_hash(id), pair(OPERATOR).public().0).encode();
				sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, &key).is_some()
			};
			assert_eq!((marker(1), marker(2)), (true, false));
		});
	}

	#[test]
	fn a_healthy_api_is_served_while_another_ones_breaker_is_open() {
		with_worker(|submitted| {
			open_request(1, vec![SUCCESSOR]);
			// Another API of this node fails; the requests' API is healthy.
			let key = health_storage_key(&pair(OPERATOR).public().0, API + 1);
			sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, &key, &failing().encode());
			Handover::offchain_worker(1);
			assert!(submitted().is_empty());
		});
	}

	#[test]
	fn the_breaker_backs_off_probes_and_closes_when_the_upstream_recovers() {
		let mut health = failing();
		assert_eq!((health.breaker(1), health.breaker(2)), (Breaker::Open, Breaker::Open));
		assert_eq!(health.breaker(3), Breaker::HalfOpen);
		// A failed probe opens it again, for twice as long.
		health.observe(3, 2_000, true, 2_000);
		assert_eq!((health.breaker(6), health.breaker(7)), (Breaker::Open, Breaker::HalfOpen));
		// A probe that succeeds closes it; the model predicts from the history again.
		health.observe(7, 10, false, 2_000);
		assert_eq!(health.breaker(7), Breaker::Closed);
		assert!(!health.predicts_failure(2_000));
		assert_eq!(health.backoff, Health::FIRST_BACKOFF);
		// However often probes fail, it stays open at most `MAX_BACKOFF` blocks.
		let mut hopeless = failing();
		let mut now = 1;
		for _ in 0..20 {
			now = hopeless.open_until.unwrap();
			hopeless.observe(now, 2_000, true, 2_000);
		}
		assert_eq!(hopeless.open_until, Some(now + Health::MAX_BACKOFF));
	}

	#[test]
	fn the_health_model_needs_a_history_and_an_anomaly() {
		let mut health = Health::default();
		health.observe(1, 2_000, true, 2_000);
		health.observe(1, 2_000, true, 2_000);
		assert!(!health.predicts_failure(2_000), "no prediction during the warm-up");
		let mut steady = Health::default();
		(0..50).for_each(|i| steady.observe(1, 10, i % 2 == 0, 2_000));
		assert!(
			!steady.predicts_failure(2_000),
			"a node that always fails half the time is not anomalous"
		);
		assert_eq!(steady.breaker(1), Breaker::Closed);
		assert!(failing().predicts_failure(2_000));
		let mut slowing = Health::default();
		(0..10).for_each(|_| slowing.observe(1, 100, false, 2_000));
		let mut predicted_at = None;
		for (i, latency) in [400, 800, 1_200, 1_600, 1_900, 1_950, 1_990].into_iter().enumerate() {
			slowing.observe(1, latency, false, 2_000);
			if predicted_at.is_none() && slowing.predicts_failure(2_000) {
				predicted_at = Some(i);
			}
		}
		assert!(
			predicted_at.is_some(),
			"latency heading for the timeout is predicted: {slowing:?}"
		);
	}
}
