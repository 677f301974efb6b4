//! Relay sessions as routing sees them: priced as a call, routed by the formula of requests,
//! and counted against their operators' capacity until released.

use crate::{mock::*, Error, Load, SessionLoad};
use baton_primitives::{CallPrice, SessionRouting};
use frame_support::{assert_noop, assert_ok};

type Routing = crate::Pallet<Test>;

#[test]
fn a_call_costs_the_apis_price_and_the_protocol_fee() {
	build_and_execute(|| {
		register_api();
		assert_eq!(Routing::call_price(0), Ok(CallPrice { operator: PRICE, protocol_fee: 10 }));
		assert_eq!(Routing::call_price(1), Err(Error::<Test>::UnknownApi.into()));
		assert_ok!(Gateway::pause_api(RuntimeOrigin::signed(account(PUBLISHER)), 0, true));
		assert_eq!(Routing::call_price(0), Err(Error::<Test>::ApiPaused.into()));
		assert_noop!(Routing::route_session(0, b"s", 1), Error::<Test>::ApiPaused);
	});
}

#[test]
fn sessions_are_routed_reproducibly_and_count_against_capacity_until_released() {
	build_and_execute(|| {
		register_api();
		for n in 0..4 {
			bond_operator(OP + n, 5_000);
		}
		let chosen = Routing::route_session(0, b"session 1", 3).unwrap();
		assert_eq!(chosen.len(), 3);
		assert!(chosen.iter().all(|who| (OP..OP + 4).any(|n| &account(n) == who)));
		assert!(chosen.iter().enumerate().all(|(i, who)| !chosen[i + 1..].contains(who)));
		for who in &chosen {
			assert_eq!((Load::<Test>::get(who), SessionLoad::<Test>::get(who)), (1, 1));
		}
		// The same subject on the same chain state chooses the same operators.
		let again = frame_support::storage::with_transaction_unchecked(|| {
			let again = Routing::route_session(0, b"session 1", 3);
			frame_support::storage::TransactionOutcome::Rollback(again)
		});
		assert_eq!(again.unwrap(), chosen);
		for who in &chosen {
			Routing::release_session(who);
			assert_eq!((Load::<Test>::get(who), SessionLoad::<Test>::get(who)), (0, 0));
		}
		// Releasing what was never counted changes nothing.
		Routing::release_session(&account(OP));
		assert_noop!(Routing::route_session(0, b"s", 0), Error::<Test>::NotEnoughOperators);
		assert_noop!(Routing::route_session(0, b"s", 5), Error::<Test>::NotEnoughOperators);
	});
}

#[test]
fn an_operator_full_of_sessions_takes_no_request() {
	build_and_execute(|| {
		register_api();
		// Capacity 8: eight sessions fill it.
		bond_operator(OP, 5_000);
		for i in 0..8u32 {
			assert_ok!(Routing::route_session(0, &i.to_le_bytes(), 1));
		}
		assert_noop!(Routing::route_session(0, b"one more", 1), Error::<Test>::NotEnoughOperators);
		assert_noop!(
			Gateway::submit_request(
				RuntimeOrigin::signed(account(CLIENT)),
				0,
				crate::HttpMethod::Get,
				b"/price".to_vec().try_into().unwrap(),
				Default::default(),
				Default::default(),
				1,
				10_000,
				System::block_number() + 5,
			),
			Error::<Test>::NotEnoughOperators
		);
		Routing::release_session(&account(OP));
		submit(1);
	});
}
