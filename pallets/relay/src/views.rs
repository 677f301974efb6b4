//! What the `RelayApi` runtime API serves: sessions as clients and the relay endpoint see them.

use alloc::vec::Vec;
use baton_primitives::{GatewayKeys, RelaySessionView, SessionId, SessionOperatorView};
use frame_system::pallet_prelude::BlockNumberFor;

use crate::{BalanceOf, ClientSessions, Config, Pallet, SessionOf, SessionStatus, Sessions};

/// A session as the runtime API serves it.
pub type SessionViewOf<T> =
	RelaySessionView<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

impl<T: Config> Pallet<T> {
	/// Session `id`, until it settles.
	pub fn session_view(id: SessionId) -> Option<SessionViewOf<T>> {
		Sessions::<T>::get(id).map(|session| Self::view_of(id, session))
	}

	/// `client`'s sessions, until they settle, by id.
	pub fn session_views(client: &T::AccountId) -> Vec<SessionViewOf<T>> {
		ClientSessions::<T>::iter_key_prefix(client)
			.filter_map(Self::session_view)
			.collect()
	}

	fn view_of(id: SessionId, session: SessionOf<T>) -> SessionViewOf<T> {
		let closed_at = match session.status {
			SessionStatus::Open => None,
			SessionStatus::Closed { at } => Some(at),
		};
		let claims_until = closed_at.map(|_| Self::claims_until(&session));
		RelaySessionView {
			id,
			client: session.client,
			api_id: session.api_id,
			price_per_call: session.price.operator,
			protocol_fee: session.price.protocol_fee,
			allowance: session.allowance,
			operators: session
				.operators
				.into_iter()
				.map(|o| SessionOperatorView {
					gateway_key: T::Operators::gateway_key(&o.operator),
					operator: o.operator,
					claimed_calls: o.claimed_calls,
				})
				.collect(),
			opened_at: session.opened_at,
			expires_at: session.expires_at,
			closed_at,
			claims_until,
		}
	}
}
