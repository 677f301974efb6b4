//! The API registry: register, update and pause, with every bad spec refused.

use crate::{mock::*, Apis, Error, Event, HoldReason, HttpMethod, NextApiId};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use sp_runtime::DispatchError;

#[test]
fn registering_an_api_holds_the_deposit() {
	build_and_execute(|| {
		register_api();
		let api = Apis::<Test>::get(0).unwrap();
		assert_eq!((api.owner, api.deposit, api.paused), (account(PUBLISHER), API_DEPOSIT, false));
		assert_eq!(
			Balances::balance_on_hold(&HoldReason::ApiDeposit.into(), &account(PUBLISHER)),
			API_DEPOSIT
		);
		assert_eq!(NextApiId::<Test>::get(), 1);
		System::assert_last_event(
			Event::ApiRegistered { api_id: 0, owner: account(PUBLISHER) }.into(),
		);
	});
}

#[test]
fn bad_specs_are_refused_and_change_nothing() {
	build_and_execute(|| {
		type Case = (fn(&mut crate::ApiSpec<Test>), Error<Test>);
		let cases: Vec<Case> = vec![
			(
				|s| s.base_url = b"ftp://api.example".to_vec().try_into().unwrap(),
				Error::InvalidBaseUrl,
			),
			(|s| s.base_url = b"https://".to_vec().try_into().unwrap(), Error::InvalidBaseUrl),
			(
				|s| s.base_url = b"https://api.example/".to_vec().try_into().unwrap(),
				Error::InvalidBaseUrl,
			),
			(
				|s| s.base_url = b"https://api example".to_vec().try_into().unwrap(),
				Error::InvalidBaseUrl,
			),
			(|s| s.methods = Default::default(), Error::InvalidMethods),
			(
				|s| s.methods = vec![HttpMethod::Get, HttpMethod::Get].try_into().unwrap(),
				Error::InvalidMethods,
			),
			(|s| s.price_per_call = 0, Error::ZeroPrice),
			(|s| s.max_response_bytes = 0, Error::InvalidResponseCap),
			(|s| s.max_response_bytes = 257, Error::InvalidResponseCap),
			(|s| s.timeout_ms = 0, Error::InvalidTimeout),
			(|s| s.timeout_ms = 8_001, Error::InvalidTimeout),
			(|s| s.default_redundancy = 0, Error::InvalidRedundancy),
			(|s| s.default_redundancy = 4, Error::InvalidRedundancy),
			(
				|s| s.ignored_fields = vec![Default::default()].try_into().unwrap(),
				Error::InvalidIgnoredField,
			),
			(
				|s| {
					let field: crate::FieldName = b"ts".to_vec().try_into().unwrap();
					s.ignored_fields = vec![field.clone(), field].try_into().unwrap()
				},
				Error::InvalidIgnoredField,
			),
		];
		for (break_spec, error) in cases {
			let mut bad = spec();
			break_spec(&mut bad);
			assert_noop!(
				Gateway::register_api(RuntimeOrigin::signed(account(PUBLISHER)), bad),
				error
			);
		}
	});
}

#[test]
fn registering_needs_the_deposit() {
	build_and_execute(|| {
		let broke = account(77);
		assert_ok!(Balances::force_set_balance(RuntimeOrigin::root(), broke.clone(), API_DEPOSIT));
		assert_noop!(
			Gateway::register_api(RuntimeOrigin::signed(broke), spec()),
			DispatchError::Token(sp_runtime::TokenError::FundsUnavailable)
		);
	});
}

#[test]
fn only_the_owner_updates_an_api() {
	build_and_execute(|| {
		register_api();
		let mut new = spec();
		new.price_per_call = 7;
		assert_noop!(
			Gateway::update_api(RuntimeOrigin::signed(account(CLIENT)), 0, new.clone()),
			Error::<Test>::NotApiOwner
		);
		assert_noop!(
			Gateway::update_api(RuntimeOrigin::signed(account(PUBLISHER)), 1, new.clone()),
			Error::<Test>::UnknownApi
		);
		let mut bad = new.clone();
		bad.timeout_ms = 0;
		assert_noop!(
			Gateway::update_api(RuntimeOrigin::signed(account(PUBLISHER)), 0, bad),
			Error::<Test>::InvalidTimeout
		);
		assert_ok!(Gateway::update_api(RuntimeOrigin::signed(account(PUBLISHER)), 0, new));
		assert_eq!(Apis::<Test>::get(0).unwrap().spec.price_per_call, 7);
		System::assert_last_event(Event::ApiUpdated { api_id: 0 }.into());
	});
}

#[test]
fn the_owner_or_governance_pauses_an_api() {
	build_and_execute(|| {
		register_api();
		assert_noop!(
			Gateway::pause_api(RuntimeOrigin::signed(account(CLIENT)), 0, true),
			Error::<Test>::NotApiOwner
		);
		assert_noop!(
			Gateway::pause_api(RuntimeOrigin::signed(account(PUBLISHER)), 0, false),
			Error::<Test>::PauseUnchanged
		);
		assert_noop!(Gateway::pause_api(RuntimeOrigin::root(), 5, true), Error::<Test>::UnknownApi);
		assert_ok!(Gateway::pause_api(RuntimeOrigin::signed(account(PUBLISHER)), 0, true));
		System::assert_last_event(Event::ApiPaused { api_id: 0 }.into());
		assert_ok!(Gateway::pause_api(RuntimeOrigin::root(), 0, false));
		System::assert_last_event(Event::ApiResumed { api_id: 0 }.into());
		assert!(!Apis::<Test>::get(0).unwrap().paused);
	});
}

#[test]
fn apis_pointing_at_private_addresses_are_refused_and_change_nothing() {
	build_and_execute(|| {
		register_api();
		let private = [
			"http://127.0.0.1:9944",
			"http://127.0.0.2",
			"http://localhost:9944",
			"http://node.localhost",
			"http://10.1.2.3",
			"http://192.168.0.1:8080",
			"http://169.254.169.254/latest/meta-data",
			"http://[::1]:9944",
			"http://[fd00:ec2::254]",
			"http://user@127.0.0.1",
			"http://0.0.0.0:9944",
		];
		for url in private {
			let mut bad = spec();
			bad.base_url = url.as_bytes().to_vec().try_into().unwrap();
			let owner = RuntimeOrigin::signed(account(PUBLISHER));
			assert_noop!(
				Gateway::register_api(owner.clone(), bad.clone()),
				Error::<Test>::PrivateBaseUrl
			);
			assert_noop!(Gateway::update_api(owner, 0, bad), Error::<Test>::PrivateBaseUrl);
		}
		// A name is resolved by each node, which checks the address it connects to.
		let mut named = spec();
		named.base_url = b"http://internal.example:9944".to_vec().try_into().unwrap();
		assert_ok!(Gateway::register_api(RuntimeOrigin::signed(account(PUBLISHER)), named));
	});
}

#[test]
fn a_development_chain_may_allow_private_addresses() {
	build_and_execute(|| {
		crate::PrivateBaseUrlsAllowed::<Test>::put(true);
		let mut local = spec();
		local.base_url = b"http://127.0.0.2:8080".to_vec().try_into().unwrap();
		assert_ok!(Gateway::register_api(RuntimeOrigin::signed(account(PUBLISHER)), local));
	});
}

#[test]
fn the_api_view_is_what_the_relay_endpoint_calls() {
	build_and_execute(|| {
		assert_eq!(Gateway::api_view(0), None);
		register_api();
		let view = Gateway::api_view(0).unwrap();
		assert_eq!(
			(view.owner, view.paused, view.base_url, view.methods),
			(
				account(PUBLISHER),
				false,
				b"https://api.example".to_vec(),
				vec![b"GET".to_vec(), b"POST".to_vec()]
			)
		);
		assert_eq!(
			(view.price_per_call, view.max_response_bytes, view.timeout_ms, view.max_body_bytes),
			(PRICE, 128, 2_000, 128)
		);
	});
}
