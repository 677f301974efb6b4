//! Heartbeats: accepted from the gateway key, missed ones make an operator offline, and the
//! offchain worker sends them.

use crate::{mock::*, Call, Error, Event, HeartbeatCursor, Operators};
use baton_primitives::{crypto::Public as GatewayPublic, OffenceKind, GATEWAY_KEY_TYPE};
use codec::{Decode, Encode};
use frame_support::{assert_noop, assert_ok, dispatch::Pays, traits::Hooks};
use sp_runtime::RuntimeAppPublic;

fn signed_by_key(n: u8) -> RuntimeOrigin {
	RuntimeOrigin::signed(OperatorStaking::key_account(&key(n)))
}

#[test]
fn heartbeats_are_operational_so_a_full_block_cannot_make_an_operator_look_offline() {
	use frame_support::dispatch::{DispatchClass, GetDispatchInfo};
	assert_eq!(Call::<Test>::heartbeat {}.get_dispatch_info().class, DispatchClass::Operational);
}

#[test]
fn the_gateway_key_sends_a_heartbeat_for_free_once_per_interval() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_noop!(
			OperatorStaking::heartbeat(signed_by_key(ALICE)),
			Error::<Test>::HeartbeatTooEarly
		);
		run_to_block(6);
		let info = OperatorStaking::heartbeat(signed_by_key(ALICE)).unwrap();
		assert_eq!(info.pays_fee, Pays::No);
		assert_eq!(Operators::<Test>::get(account(ALICE)).unwrap().last_heartbeat, 6);
		System::assert_last_event(Event::HeartbeatReceived { operator: account(ALICE) }.into());
		assert_noop!(
			OperatorStaking::heartbeat(signed_by_key(ALICE)),
			Error::<Test>::HeartbeatTooEarly
		);
	});
}

#[test]
fn only_a_bound_gateway_key_may_send_heartbeats() {
	build_and_execute(|| {
		bond_alice(1_000);
		run_to_block(6);
		// The operator's own account is not its gateway key.
		assert_noop!(
			OperatorStaking::heartbeat(RuntimeOrigin::signed(account(ALICE))),
			Error::<Test>::NotGatewayKey
		);
		assert_noop!(OperatorStaking::heartbeat(signed_by_key(BOB)), Error::<Test>::NotGatewayKey);
	});
}

#[test]
fn missing_heartbeats_makes_an_operator_offline_and_reports_it_once() {
	build_and_execute(|| {
		bond_alice(1_000);
		// Bonded at block 1; two missed intervals of 5 blocks are allowed.
		run_to_block(11);
		assert!(OperatorStaking::is_available(&account(ALICE)));
		run_to_block(12);
		assert!(!OperatorStaking::is_available(&account(ALICE)));
		System::assert_has_event(
			Event::WentOffline { operator: account(ALICE), last_heartbeat: 1 }.into(),
		);
		run_to_block(30);
		let offences = RecordOffences::all();
		assert_eq!(offences.len(), 1);
		assert_eq!((offences[0].0, &offences[0].2), (OffenceKind::Offline, &account(ALICE)));

		// A heartbeat brings it back.
		assert_ok!(OperatorStaking::heartbeat(signed_by_key(ALICE)));
		System::assert_last_event(Event::BackOnline { operator: account(ALICE) }.into());
		assert!(OperatorStaking::is_available(&account(ALICE)));
	});
}

#[test]
fn chilled_operators_are_not_reported_offline() {
	build_and_execute(|| {
		bond_alice(1_000);
		assert_ok!(OperatorStaking::chill(RuntimeOrigin::signed(account(ALICE))));
		run_to_block(30);
		assert!(RecordOffences::all().is_empty());
	});
}

#[test]
fn each_block_checks_a_bounded_number_of_operators_in_turn() {
	build_and_execute(|| {
		for n in [ALICE, BOB, 10] {
			fund_and_bond(n);
		}
		// All three are overdue at block 12, but a block checks only two of them.
		System::set_block_number(12);
		assert_eq!(OperatorStaking::check_heartbeats(12), 2);
		assert_eq!(RecordOffences::all().len(), 2);
		assert!(HeartbeatCursor::<Test>::get().is_some());
		assert_eq!(OperatorStaking::check_heartbeats(12), 1);
		assert_eq!(RecordOffences::all().len(), 3);
		assert!(HeartbeatCursor::<Test>::get().is_none());
	});
}

/// Runs `test` on the test chain in an offchain worker's environment: a keystore holding one
/// gateway key made from `seed` (passed to `test`), offchain storage, and a transaction pool
/// whose submitted transactions `test` can list.
fn with_offchain_worker(
	seed: &str,
	test: impl FnOnce(sp_core::ed25519::Public, &dyn Fn() -> Vec<Vec<u8>>),
) {
	let mut ext = new_test_ext();
	let (keys, submitted) = baton_primitives::testing::offchain_worker_ext(&mut ext, &[seed]);
	baton_primitives::testing::Checked(ext, try_state)
		.execute_checked(|| test(keys[0], &submitted));
}

#[test]
fn the_offchain_worker_signs_and_submits_a_heartbeat_when_due() {
	with_offchain_worker("//Gate", |public, submitted| {
		assert_eq!(GatewayPublic::all().len(), 1);
		let message = OperatorStaking::key_ownership_message(&account(ALICE));
		let proof = sp_io::crypto::ed25519_sign(GATEWAY_KEY_TYPE, &public, &message).unwrap();
		assert_ok!(OperatorStaking::bond(
			RuntimeOrigin::signed(account(ALICE)),
			1_000,
			public.0,
			profile(),
			proof.0
		));
		// Not due before an interval has passed.
		OperatorStaking::offchain_worker(5);
		assert!(submitted().is_empty());

		System::set_block_number(6);
		OperatorStaking::offchain_worker(6);
		let transactions = submitted();
		assert_eq!(transactions.len(), 1);
		let xt = Extrinsic::decode(&mut &transactions[0][..]).unwrap();
		assert_eq!(xt.function, RuntimeCall::OperatorStaking(Call::heartbeat {}));
		let sp_runtime::generic::Preamble::Signed(signer, signature, nonce) = xt.preamble else {
			panic!("a heartbeat is a signed transaction");
		};
		assert_eq!(signer, key_account(&public));
		assert_eq!(nonce.0, System::account_nonce(&signer));
		assert!(verifies(&(&xt.function, &nonce).encode(), &signature, &signer));

		// A second run for the same interval (say on a fork) sends nothing.
		OperatorStaking::offchain_worker(6);
		assert_eq!(submitted().len(), 1);
	});
}

#[test]
fn the_offchain_worker_ignores_keys_no_operator_bound() {
	with_offchain_worker("//Stranger", |_stranger, submitted| {
		bond_alice(1_000);
		System::set_block_number(20);
		OperatorStaking::offchain_worker(20);
		assert!(submitted().is_empty());
	});
}
