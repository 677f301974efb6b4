//! Profiles: validated, bounded, updatable.

use crate::{mock::*, Error, Event, Operators, Profile};
use baton_primitives::{
	sealing::{encryption_key_message, BoundEncryptionKey},
	EncryptionKeys,
};
use codec::{Decode, Encode};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use sp_core::Pair;

fn bond_with(profile: crate::ProfileOf<Test>) -> sp_runtime::DispatchResult {
	OperatorStaking::bond(
		RuntimeOrigin::signed(account(ALICE)),
		1_000,
		key(ALICE),
		profile,
		proof(ALICE, ALICE),
	)
}

#[test]
fn invalid_profiles_are_refused() {
	build_and_execute(|| {
		let with_endpoint = |url: &[u8]| crate::ProfileOf::<Test> {
			endpoint: url.to_vec().try_into().unwrap(),
			..profile()
		};
		for url in [&b"ftp://op.example"[..], b"op.example", b"https://", b"http://a b"] {
			assert_noop!(bond_with(with_endpoint(url)), Error::<Test>::InvalidEndpoint);
		}
		assert_noop!(
			bond_with(Profile { region: *b"de", ..profile() }),
			Error::<Test>::InvalidRegion
		);
		assert_noop!(bond_with(Profile { capacity: 0, ..profile() }), Error::<Test>::ZeroCapacity);
		assert_noop!(
			bond_with(Profile { apis: vec![1, 1].try_into().unwrap(), ..profile() }),
			Error::<Test>::DuplicateApi
		);
		assert_ok!(bond_with(with_endpoint(b"http://10.0.0.1:8080/gw")));
	});
}

#[test]
fn a_profile_over_its_bounds_does_not_even_decode() {
	build_and_execute(|| {
		// Encode a profile whose endpoint is one byte over MaxEndpointLen (32).
		// The last byte is the encryption key's `None`.
		let fits = (vec![b'a'; 32], *b"DE", 4u32, vec![1u32], 0u8).encode();
		assert!(crate::ProfileOf::<Test>::decode(&mut &fits[..]).is_ok());
		let oversized = (vec![b'a'; 33], *b"DE", 4u32, vec![1u32], 0u8).encode();
		assert!(crate::ProfileOf::<Test>::decode(&mut &oversized[..]).is_err());
		let too_many_apis =
			(b"https://x".to_vec(), *b"DE", 4u32, vec![1u32, 2, 3, 4], 0u8).encode();
		assert!(crate::ProfileOf::<Test>::decode(&mut &too_many_apis[..]).is_err());
		assert!(
			BoundedVec::<u8, frame_support::traits::ConstU32<32>>::try_from(vec![0; 33]).is_err()
		);
	});
}

/// Encryption key `key` for `who`'s profile, signed by gateway key `signer`'s operator.
fn encryption_key(who: u8, signer: u8, key: [u8; 32]) -> BoundEncryptionKey {
	let genesis = baton_primitives::genesis_hash::<Test>();
	let proof = pair(signer).sign(&encryption_key_message(&account(who), &genesis, &key)).0;
	BoundEncryptionKey { key, proof }
}

#[test]
fn an_encryption_key_is_published_only_with_its_gateway_keys_signature() {
	build_and_execute(|| {
		let with_key = |bound| Profile { encryption_key: Some(bound), ..profile() };
		// Signed by another operator's gateway key, or for another operator.
		assert_noop!(
			bond_with(with_key(encryption_key(ALICE, BOB, [4; 32]))),
			Error::<Test>::BadEncryptionKeyProof
		);
		assert_noop!(
			bond_with(with_key(encryption_key(BOB, ALICE, [4; 32]))),
			Error::<Test>::BadEncryptionKeyProof
		);
		assert_ok!(bond_with(with_key(encryption_key(ALICE, ALICE, [4; 32]))));
		assert_eq!(OperatorStaking::encryption_key(&account(ALICE)), Some([4; 32]));

		// Rotating it is a profile update, bound the same way.
		let forged = Profile {
			encryption_key: Some(BoundEncryptionKey {
				key: [5; 32],
				..encryption_key(ALICE, ALICE, [4; 32])
			}),
			..profile()
		};
		assert_noop!(
			OperatorStaking::update_profile(RuntimeOrigin::signed(account(ALICE)), forged),
			Error::<Test>::BadEncryptionKeyProof
		);
		assert_ok!(OperatorStaking::update_profile(
			RuntimeOrigin::signed(account(ALICE)),
			with_key(encryption_key(ALICE, ALICE, [5; 32]))
		));
		assert_eq!(OperatorStaking::encryption_key(&account(ALICE)), Some([5; 32]));
	});
}

#[test]
fn an_operator_updates_its_profile() {
	build_and_execute(|| {
		bond_alice(1_000);
		let new = Profile { capacity: 9, region: *b"FR", ..profile() };
		assert_ok!(OperatorStaking::update_profile(
			RuntimeOrigin::signed(account(ALICE)),
			new.clone()
		));
		assert_eq!(Operators::<Test>::get(account(ALICE)).unwrap().profile, new);
		System::assert_last_event(Event::ProfileUpdated { operator: account(ALICE) }.into());
		assert_noop!(
			OperatorStaking::update_profile(
				RuntimeOrigin::signed(account(ALICE)),
				Profile { capacity: 0, ..profile() }
			),
			Error::<Test>::ZeroCapacity
		);
		assert_noop!(
			OperatorStaking::update_profile(RuntimeOrigin::signed(account(BOB)), profile()),
			Error::<Test>::NotOperator
		);
	});
}

#[test]
fn the_apis_an_operator_serves_are_indexed_for_routing() {
	use baton_primitives::OperatorRouting;
	let listed = |api| OperatorStaking::available_at(api, 0).into_iter().collect::<Vec<_>>();
	build_and_execute(|| {
		assert_ok!(bond_with(profile()));
		assert_eq!((listed(1), listed(2)), (vec![account(ALICE)], vec![account(ALICE)]));
		let moved = Profile { apis: vec![2, 3].try_into().unwrap(), ..profile() };
		assert_ok!(OperatorStaking::update_profile(RuntimeOrigin::signed(account(ALICE)), moved));
		assert!(listed(1).is_empty());
		assert_eq!(listed(3), vec![account(ALICE)]);
		// Gone with the operator.
		assert_ok!(OperatorStaking::unbond(RuntimeOrigin::signed(account(ALICE)), 1_000));
		run_to_block(12);
		assert_ok!(OperatorStaking::withdraw_unbonded(RuntimeOrigin::signed(account(ALICE))));
		assert!(listed(2).is_empty() && listed(3).is_empty());
	});
}

#[test]
fn the_views_of_an_api_are_the_operators_that_declared_it() {
	build_and_execute(|| {
		// Alice serves APIs 1 and 2; Bob only 3, and is chilled: declared, not available.
		assert_ok!(bond_with(profile()));
		let only_three = Profile { apis: vec![3].try_into().unwrap(), ..profile() };
		assert_ok!(OperatorStaking::bond(
			RuntimeOrigin::signed(account(BOB)),
			1_000,
			key(BOB),
			only_three,
			proof(BOB, BOB),
		));
		assert_ok!(OperatorStaking::chill(RuntimeOrigin::signed(account(BOB))));
		let views = |api| {
			OperatorStaking::views(api, |_| Default::default())
				.into_iter()
				.map(|view| view.operator)
				.collect::<Vec<_>>()
		};
		assert_eq!(views(1), vec![account(ALICE)]);
		assert_eq!(views(3), vec![account(BOB)]);
		assert!(views(4).is_empty());
	});
}
