//! API secrets: set and granted by the API's owner, sealed to operators' current encryption
//! keys, routed to their holders only, and handed unopened to the node's egress client.

use crate::{mock::*, ApiSecretHolders, ApiSecrets, Error, Event};
use baton_primitives::sealing::{
	api_secret_info, encryption_key_message, BoundEncryptionKey, EncryptionKey, Envelope,
};
use frame_support::{assert_noop, assert_ok, traits::Hooks};
use sp_core::Pair;

/// The encryption key operator `n` publishes, version `version`.
pub(super) fn encryption_key(n: u8, version: u8) -> EncryptionKey {
	[n.wrapping_mul(3).wrapping_add(version); 32]
}

/// Operator `n` publishes encryption key `version` in its profile, bound by its gateway key.
pub(super) fn publish_key(n: u8, version: u8) {
	let key = encryption_key(n, version);
	let genesis = baton_primitives::genesis_hash::<Test>();
	let proof = pair(n).sign(&encryption_key_message(&account(n), &genesis, &key)).0;
	let profile = pallet_operator_staking::Profile {
		encryption_key: Some(BoundEncryptionKey { key, proof }),
		..profile(8)
	};
	assert_ok!(OperatorStaking::update_profile(RuntimeOrigin::signed(account(n)), profile));
}

/// An envelope sealed to `recipient` (its content is opaque to the chain).
fn envelope(recipient: EncryptionKey) -> Envelope {
	Envelope { recipient, encapped: [5; 32], ciphertext: vec![9; 48].try_into().unwrap() }
}

/// The secret's envelopes for operators `ns`, each to its key `version` 0.
fn envelopes(ns: &[u8]) -> Vec<(AccountId, Envelope)> {
	ns.iter().map(|n| (account(*n), envelope(encryption_key(*n, 0)))).collect()
}

fn set_secret(ns: &[u8]) -> frame_support::dispatch::DispatchResult {
	Gateway::set_api_secret(
		RuntimeOrigin::signed(account(PUBLISHER)),
		0,
		envelopes(ns).try_into().unwrap(),
	)
}

#[test]
fn requests_to_an_api_with_a_secret_go_to_its_holders_only() {
	build_and_execute(|| {
		setup(3);
		publish_key(OP, 0);
		publish_key(OP + 1, 0);
		assert_ok!(set_secret(&[OP, OP + 1]));
		System::assert_last_event(Event::ApiSecretSet { api_id: 0, holders: 2 }.into());
		assert_eq!(ApiSecretHolders::<Test>::get(0), Some(2));

		// Two at a time, within the holders' capacity of 8 each.
		for _ in 0..8 {
			let id = submit(2);
			let request = crate::Requests::<Test>::get(id).unwrap();
			let routed = request.assigned.iter().chain(request.backups.iter());
			assert!(routed.clone().all(|who| who != &account(OP + 2)), "{request:?}");
			assert_eq!(request.assigned.len(), 2);
		}

		// The worker hands each holder's envelope over, bound to the API, operator and chain.
		let sealed = Gateway::sealed_secret(0, &account(OP)).unwrap();
		assert_eq!(sealed.envelope, envelope(encryption_key(OP, 0)));
		let genesis = baton_primitives::genesis_hash::<Test>();
		assert_eq!(sealed.info, api_secret_info(&genesis, 0, &account(OP)));
		assert_eq!(Gateway::sealed_secret(0, &account(OP + 2)), None);
	});
}

#[test]
fn no_envelope_removes_the_secret_and_every_operator_serves_again() {
	build_and_execute(|| {
		setup(2);
		publish_key(OP, 0);
		assert_ok!(set_secret(&[OP]));
		assert_ok!(set_secret(&[]));
		System::assert_last_event(Event::ApiSecretSet { api_id: 0, holders: 0 }.into());
		assert_eq!(ApiSecretHolders::<Test>::get(0), None);
		assert_eq!(ApiSecrets::<Test>::iter_prefix(0).count(), 0);
		let id = submit(2);
		assert_eq!(crate::Requests::<Test>::get(id).unwrap().assigned.len(), 2);
	});
}

#[test]
fn a_new_secret_revokes_the_old_envelopes() {
	build_and_execute(|| {
		setup(3);
		for n in 0..3 {
			publish_key(OP + n, 0);
		}
		assert_ok!(set_secret(&[OP, OP + 1]));
		assert_ok!(set_secret(&[OP + 2]));
		assert_eq!(ApiSecrets::<Test>::iter_prefix(0).count(), 1);
		assert!(ApiSecrets::<Test>::contains_key(0, account(OP + 2)));
		assert_eq!(ApiSecretHolders::<Test>::get(0), Some(1));
	});
}

#[test]
fn a_grant_adds_a_holder_and_a_rotated_key_needs_a_new_envelope() {
	build_and_execute(|| {
		setup(2);
		publish_key(OP, 0);
		publish_key(OP + 1, 0);
		assert_ok!(set_secret(&[OP]));
		let grant = |n: u8, version: u8| {
			Gateway::grant_api_secret(
				RuntimeOrigin::signed(account(PUBLISHER)),
				0,
				account(n),
				envelope(encryption_key(n, version)),
			)
		};
		assert_ok!(grant(OP + 1, 0));
		System::assert_last_event(
			Event::ApiSecretGranted { api_id: 0, operator: account(OP + 1) }.into(),
		);
		assert_eq!(ApiSecretHolders::<Test>::get(0), Some(2));

		// The operator rotates its key: what was sealed to the old one stays (its node still
		// opens it), a new envelope to the old key is refused, one to the new key replaces it.
		publish_key(OP + 1, 1);
		assert!(ApiSecrets::<Test>::contains_key(0, account(OP + 1)));
		assert_noop!(grant(OP + 1, 0), Error::<Test>::NotOperatorsEncryptionKey);
		assert_ok!(grant(OP + 1, 1));
		assert_eq!(ApiSecretHolders::<Test>::get(0), Some(2));
		assert_eq!(
			ApiSecrets::<Test>::get(0, account(OP + 1)).unwrap().recipient,
			encryption_key(OP + 1, 1)
		);
	});
}

#[test]
fn bad_secrets_are_refused_and_change_nothing() {
	build_and_execute(|| {
		setup(5);
		for n in 0..5 {
			publish_key(OP + n, 0);
		}
		let set_as = |who: u8, api: u32, envelopes: Vec<(AccountId, Envelope)>| {
			Gateway::set_api_secret(
				RuntimeOrigin::signed(account(who)),
				api,
				envelopes.try_into().unwrap(),
			)
		};
		let grant = |who: u8, n: u8| {
			Gateway::grant_api_secret(
				RuntimeOrigin::signed(account(who)),
				0,
				account(n),
				envelope(encryption_key(n, 0)),
			)
		};
		assert_noop!(grant(PUBLISHER, OP), Error::<Test>::NoApiSecret);
		assert_noop!(set_as(CLIENT, 0, envelopes(&[OP])), Error::<Test>::NotApiOwner);
		assert_noop!(set_as(PUBLISHER, 7, envelopes(&[OP])), Error::<Test>::UnknownApi);
		assert_noop!(set_as(PUBLISHER, 0, envelopes(&[OP, OP])), Error::<Test>::DuplicateEnvelope);
		// An account with no profile, and one sealed to another operator's key.
		assert_noop!(set_as(PUBLISHER, 0, envelopes(&[CLIENT])), Error::<Test>::NoEncryptionKey);
		let misaddressed = vec![(account(OP), envelope(encryption_key(OP + 1, 0)))];
		assert_noop!(set_as(PUBLISHER, 0, misaddressed), Error::<Test>::NotOperatorsEncryptionKey);

		assert_ok!(set_secret(&[OP, OP + 1, OP + 2, OP + 3]));
		assert_noop!(grant(CLIENT, OP + 4), Error::<Test>::NotApiOwner);
		assert_noop!(grant(PUBLISHER, OP + 4), Error::<Test>::TooManySecretHolders);
		// More envelopes than `MaxSecretHolders` do not decode as a call.
		let five: Result<
			frame_support::BoundedVec<_, <Test as crate::Config>::MaxSecretHolders>,
			_,
		> = envelopes(&[OP, OP + 1, OP + 2, OP + 3, OP + 4]).try_into();
		assert!(five.is_err());
	});
}

#[test]
fn a_profile_key_not_signed_by_the_gateway_key_is_refused() {
	build_and_execute(|| {
		setup(2);
		let key = encryption_key(OP, 0);
		let genesis = baton_primitives::genesis_hash::<Test>();
		// Signed by another operator's gateway key, and for another operator.
		let by_another = pair(OP + 1).sign(&encryption_key_message(&account(OP), &genesis, &key)).0;
		let for_another =
			pair(OP).sign(&encryption_key_message(&account(OP + 1), &genesis, &key)).0;
		for proof in [by_another, for_another] {
			let profile = pallet_operator_staking::Profile {
				encryption_key: Some(BoundEncryptionKey { key, proof }),
				..profile(8)
			};
			assert_noop!(
				OperatorStaking::update_profile(RuntimeOrigin::signed(account(OP)), profile),
				pallet_operator_staking::Error::<Test>::BadEncryptionKeyProof
			);
		}
	});
}

#[test]
fn the_worker_hands_the_sealed_secret_to_egress_unopened() {
	with_offchain_worker_state(|upstream, submitted| {
		publish_key(OP, 0);
		assert_ok!(set_secret(&[OP]));
		let id = submit(1);
		let mut call = super::offchain::price_call(id);
		call.secret = Gateway::sealed_secret(0, &account(OP));
		assert!(call.secret.is_some());
		upstream
			.expected
			.lock()
			.push((call, super::offchain::answer(br#"{"price":7}"#)));
		Gateway::offchain_worker(1);
		assert_eq!(submitted().len(), 1);
		assert!(upstream.expected.lock().is_empty());
	});
}
