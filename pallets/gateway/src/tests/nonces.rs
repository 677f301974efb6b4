//! Nonces of the transactions an operator's node signs: a heartbeat and a report batch sent in
//! one block take consecutive nonces, and a gap left by a dropped transaction does not stall
//! the key for ever.

use crate::{mock::*, Call};
use baton_primitives::offchain::{
	keys::nonce_storage_key,
	signer::{LocalNonce, MAX_NONCES_AHEAD, NONCE_STALE_AFTER},
};
use codec::{Decode, Encode};
use frame_support::traits::Hooks;
use sp_core::offchain::StorageKind;

/// Block at which operator `OP`, bonded at block 1, is due a heartbeat in the mock.
const DUE: u32 = 1_001;

/// Runs `worker` as a node does: on the block's state, its state changes thrown away, so each
/// worker reads the same on-chain nonce.
fn as_node(worker: impl FnOnce()) {
	sp_io::storage::start_transaction();
	worker();
	sp_io::storage::rollback_transaction();
}

/// Expects one upstream call for each of `ids`.
fn expect_calls(upstream: &Upstream, ids: &[u64]) {
	for id in ids {
		super::offchain::expect_price(upstream, *id, b"{}");
	}
}

/// The nonces of the submitted transactions.
fn nonces(transactions: &[Vec<u8>]) -> Vec<u32> {
	sent(transactions).into_iter().map(|(_, nonce)| nonce).collect()
}

/// The call and nonce of each submitted transaction, all signed by `OP`'s gateway key.
fn sent(transactions: &[Vec<u8>]) -> Vec<(RuntimeCall, u32)> {
	transactions
		.iter()
		.map(|tx| {
			let xt = Extrinsic::decode(&mut &tx[..]).unwrap();
			let sp_runtime::generic::Preamble::Signed(signer, _, nonce) = xt.preamble else {
				panic!("a worker's transaction is signed");
			};
			assert_eq!(signer, key_account(OP));
			(xt.function, nonce.0)
		})
		.collect()
}

#[test]
fn a_heartbeat_and_a_report_batch_in_one_block_take_consecutive_nonces() {
	with_offchain_worker_state(|upstream, submitted| {
		System::set_block_number(DUE);
		let ids = [submit(1), submit(1)];
		expect_calls(upstream, &ids);
		as_node(|| OperatorStaking::offchain_worker(DUE));
		as_node(|| Gateway::offchain_worker(DUE));
		let sent = sent(&submitted());
		assert_eq!(sent.len(), 2);
		assert_eq!(
			sent[0],
			(RuntimeCall::OperatorStaking(pallet_operator_staking::Call::heartbeat {}), 0)
		);
		let RuntimeCall::Gateway(Call::report_results { reports }) = &sent[1].0 else {
			panic!("not a report batch: {:?}", sent[1].0);
		};
		let mut reported: Vec<u64> = reports.iter().map(|(id, _)| *id).collect();
		reported.sort();
		assert_eq!(reported, ids);
		assert_eq!(sent[1].1, 1);
	});
}

#[test]
fn the_local_nonce_follows_the_chain_once_it_catches_up() {
	with_offchain_worker_state(|upstream, submitted| {
		System::set_block_number(DUE);
		let first = submit(1);
		expect_calls(upstream, &[first]);
		as_node(|| OperatorStaking::offchain_worker(DUE));
		as_node(|| Gateway::offchain_worker(DUE));
		// Both landed, and more: the key also signed a transaction elsewhere.
		(0..3).for_each(|_| System::inc_account_nonce(key_account(OP)));
		System::set_block_number(DUE + 1);
		let second = submit(1);
		expect_calls(upstream, &[second]);
		as_node(|| Gateway::offchain_worker(DUE + 1));
		assert_eq!(nonces(&submitted()), vec![0, 1, 3]);
	});
}

#[test]
fn a_gap_left_by_a_dropped_transaction_is_given_up_after_a_while() {
	with_offchain_worker_state(|upstream, submitted| {
		// Nonce 0 was taken at block DUE and its transaction dropped: the chain stays at 0.
		let store = nonce_storage_key(&key_account(OP));
		let gap = LocalNonce { next: 1u32, chain: 0u32, since: DUE, spec_version: 0 };
		sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, &store, &gap.encode());
		// Until the chain has stood still for `NONCE_STALE_AFTER` blocks, reports queue behind
		// the gap; the block after, they start over from the chain's nonce.
		for block in [DUE + NONCE_STALE_AFTER, DUE + NONCE_STALE_AFTER + 1] {
			System::set_block_number(block);
			let id = submit(1);
			expect_calls(upstream, &[id]);
			as_node(|| Gateway::offchain_worker(block));
		}
		assert_eq!(nonces(&submitted()), vec![1, 0]);
		let stored = sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, &store)
			.and_then(|bytes| LocalNonce::<u32, u32>::decode(&mut &bytes[..]).ok());
		assert_eq!(
			stored,
			Some(LocalNonce {
				next: 1,
				chain: 0,
				since: DUE + NONCE_STALE_AFTER + 1,
				spec_version: 0
			})
		);
	});
}

#[test]
fn the_local_nonce_starts_over_when_it_ran_too_far_ahead() {
	let ahead =
		LocalNonce { next: 5 + MAX_NONCES_AHEAD + 1, chain: 5, since: 10u32, spec_version: 7 };
	// The chain has not stood still for long, but the count is too far ahead.
	assert_eq!(
		LocalNonce::take(Some(ahead), 5u32, 11u32, 7),
		(5, LocalNonce { next: 6, chain: 5, since: 11, spec_version: 7 })
	);
	let within = LocalNonce { next: 5 + MAX_NONCES_AHEAD, ..ahead };
	assert_eq!(
		LocalNonce::take(Some(within), 5, 11, 7),
		(
			5 + MAX_NONCES_AHEAD,
			LocalNonce { next: 6 + MAX_NONCES_AHEAD, chain: 5, since: 10, spec_version: 7 }
		)
	);
	// A chain that moved restarts the stall clock; one that passed the count wins.
	assert_eq!(
		LocalNonce::take(Some(within), 6, 30, 7),
		(
			5 + MAX_NONCES_AHEAD,
			LocalNonce { next: 6 + MAX_NONCES_AHEAD, chain: 6, since: 30, spec_version: 7 }
		)
	);
	assert_eq!(
		LocalNonce::take(Some(within), 200, 30, 7),
		(200, LocalNonce { next: 201, chain: 200, since: 30, spec_version: 7 })
	);
}

#[test]
fn under_a_new_runtime_the_local_nonce_starts_over_from_the_chains_at_once() {
	// Ahead of the chain and not stalled, but signed for spec_version 7: the upgrade to 8
	// dropped those transactions from the pool.
	let before = LocalNonce { next: 9u32, chain: 5u32, since: 10u32, spec_version: 7 };
	assert_eq!(
		LocalNonce::take(Some(before), 5, 11, 8),
		(5, LocalNonce { next: 6, chain: 5, since: 11, spec_version: 8 })
	);
}

#[test]
fn a_report_dropped_by_a_runtime_upgrade_is_resent_at_once_without_calling_the_upstream_again() {
	with_offchain_worker_state(|upstream, submitted| {
		System::set_block_number(DUE);
		let id = submit(1);
		expect_calls(upstream, &[id]);
		as_node(|| Gateway::offchain_worker(DUE));
		assert_eq!(nonces(&submitted()), vec![0]);
		// The report did not land before the runtime changed, and the pool dropped it: the
		// count this node kept is for another spec_version than the runtime's (0 in the mock).
		let store = nonce_storage_key(&key_account(OP));
		let kept = sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, &store)
			.and_then(|bytes| LocalNonce::<u32, u32>::decode(&mut &bytes[..]).ok())
			.expect("the worker kept its count");
		let before_upgrade = LocalNonce { spec_version: kept.spec_version + 1, ..kept };
		sp_io::offchain::local_storage_set(
			StorageKind::PERSISTENT,
			&store,
			&before_upgrade.encode(),
		);

		// The next block resends it, not `RESEND_AFTER` blocks later, with the chain's nonce
		// rather than after the gap; the upstream is not called again (one call was expected).
		System::set_block_number(DUE + 1);
		as_node(|| Gateway::offchain_worker(DUE + 1));
		let sent = sent(&submitted());
		assert_eq!(sent.len(), 2);
		assert_eq!(sent[1].1, 0);
		assert!(matches!(
			&sent[1].0,
			RuntimeCall::Gateway(Call::report_result { request_id, .. }) if *request_id == id
		));
	});
}
