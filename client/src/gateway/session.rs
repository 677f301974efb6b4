//! One relay session as the gateway uses it: its operators in routing order, the next sequence
//! number, each operator's cumulative voucher, how each has served (failures in a row, recent
//! latencies), and the handovers to report when it closes.

use std::{collections::VecDeque, sync::Mutex, time::Duration};

use baton_primitives::{ApiId, RelayFault, RelayTicket, SessionId};
use baton_runtime::{AccountId, Balance, Runtime, RuntimeCall, RuntimeEvent};
use pallet_relay::{OperatorOutcome, RelayHandover};
use serde_json::json;
use sp_runtime::traits::Get;

use crate::{
	chain::{hex32, Chain},
	transactions::{Signer, Wait},
};

/// What the gateway's options say about sessions and hedging.
#[derive(Clone)]
pub struct Terms {
	/// Operators routing picks for a session.
	pub operators: u32,
	/// What each operator may be paid at most; `None`: [`DEFAULT_CALLS`] calls' worth.
	pub allowance: Option<Balance>,
	/// Blocks a session serves calls for.
	pub blocks: u32,
	/// When a call goes to the next operator while the first has not answered.
	pub hedge: Hedge,
	/// Failures in a row after which an operator is skipped for the rest of the session.
	pub max_failures: u32,
}

/// When the gateway hedges.
#[derive(Clone, Copy, Debug)]
pub enum Hedge {
	/// After this long, always.
	Fixed(Duration),
	/// After [`HEDGE_PERCENTILE`] of the operator's recent latencies, at least [`HEDGE_FLOOR`].
	Adaptive,
}

/// An operator's allowance when none is given: this many calls at the session's price.
pub const DEFAULT_CALLS: u128 = 1_000;
/// The failures in a row of an operator skipped for the rest of its session.
const SKIPPED: u32 = u32::MAX;
/// Latencies kept per operator for the adaptive hedge.
const LATENCY_WINDOW: usize = 64;
/// The adaptive hedge waits for this share of the operator's recent calls' latencies...
const HEDGE_PERCENTILE: f64 = 0.95;
/// ...and at least this long, so that ordinary jitter does not double every call.
const HEDGE_FLOOR: Duration = Duration::from_millis(50);
/// The adaptive hedge's wait before an operator has answered [`HEDGE_SAMPLES`] calls.
const HEDGE_UNKNOWN: Duration = Duration::from_millis(500);
const HEDGE_SAMPLES: usize = 8;
/// A session is renewed when it has this few blocks left...
const RENEW_BLOCKS: u32 = 20;
/// ...or an operator's voucher reached this share of its allowance (in percent).
const RENEW_SPENT_PERCENT: u128 = 80;

/// One of a session's operators.
pub struct Member {
	pub account: AccountId,
	/// The gateway key its receipts are signed with.
	pub key: [u8; 32],
	/// Its relay endpoint's base URL, from its on-chain profile.
	pub endpoint: String,
}

/// A session the gateway sends calls in.
pub struct Session {
	pub id: SessionId,
	pub api_id: ApiId,
	/// What one call costs: the operator's price and the protocol fee.
	pub cost: Balance,
	pub allowance: Balance,
	/// The last block calls are served in.
	pub expires_at: u32,
	/// In the order routing ranked them: the first is the best.
	pub members: Vec<Member>,
	state: Mutex<State>,
}

#[derive(Default)]
struct State {
	next_sequence: u64,
	/// Per member: calls vouched for, and their amount.
	vouchers: Vec<(u64, Balance)>,
	failures_in_row: Vec<u32>,
	failed_calls: Vec<u64>,
	latencies_ms: Vec<VecDeque<u32>>,
	handovers: Vec<RelayHandover<AccountId>>,
	/// No call goes to this session any more.
	retired: bool,
	/// A successor is being opened.
	renewing: bool,
	/// Its close is under way.
	closing: bool,
}

impl State {
	/// The state of a new session of `members` operators.
	fn of(members: usize) -> Self {
		Self {
			vouchers: vec![(0, 0); members],
			failures_in_row: vec![0; members],
			failed_calls: vec![0; members],
			latencies_ms: vec![VecDeque::new(); members],
			..Default::default()
		}
	}
}

/// A ticket taken for one call to one member.
pub struct Taken {
	pub ticket: RelayTicket<AccountId, Balance>,
}

impl Session {
	/// Opens a session on `api_id` as `signer` under `terms`, and reads its operators' keys
	/// and endpoints.
	pub async fn open(
		chain: &Chain,
		signer: &Signer,
		api_id: ApiId,
		terms: &Terms,
	) -> Result<Self, String> {
		let quote = chain.call("gateway_quote", json!([api_id, 1])).await?;
		let amount = |field: &str| {
			quote[field].as_str().and_then(|s| s.parse::<Balance>().ok()).ok_or_else(|| {
				format!("gateway_quote: no {field} (API {api_id} may not be registered)")
			})
		};
		let cost = amount("pricePerOperator")?.saturating_add(amount("protocolFee")?);
		let allowance = terms.allowance.unwrap_or(cost.saturating_mul(DEFAULT_CALLS));
		let call = RuntimeCall::Relay(pallet_relay::Call::open_session {
			api_id,
			operators: terms.operators,
			allowance,
			blocks: terms.blocks,
		});
		let included = chain.submit_until(signer, call, Wait::Finalized, |_| ()).await?;
		let (id, expires_at) = included
			.events
			.iter()
			.find_map(|event| match event {
				RuntimeEvent::Relay(pallet_relay::Event::SessionOpened {
					session_id,
					expires_at,
					..
				}) => Some((*session_id, *expires_at)),
				_ => None,
			})
			.ok_or("open_session succeeded without opening a session")?;
		let read = Self::read_members(chain, id, api_id).await;
		let (cost, members) = match read {
			Ok(read) => read,
			Err(error) => {
				// Opened but unusable: closed at once, so that its escrow comes back.
				let close = RuntimeCall::Relay(pallet_relay::Call::close_session {
					session_id: id,
					report: Default::default(),
				});
				let closed = chain.submit_until(signer, close, Wait::InBlock, |_| ()).await;
				let closed =
					closed.map_or_else(|e| format!("not closed: {e}"), |_| "closed".into());
				return Err(format!("session {id} opened, then {error}; {closed}"));
			},
		};
		let state = Mutex::new(State::of(members.len()));
		Ok(Self { id, api_id, cost, allowance, expires_at, members, state })
	}

	/// What one call of session `id` costs, and its operators that have a key and an endpoint.
	async fn read_members(
		chain: &Chain,
		id: SessionId,
		api_id: ApiId,
	) -> Result<(Balance, Vec<Member>), String> {
		let view = chain
			.relay_session(id)
			.await?
			.ok_or_else(|| format!("the node does not serve session {id}"))?;
		// The session's own price: the API's may have changed since the quote.
		let cost = view["cost"]
			.as_str()
			.and_then(|cost| cost.parse().ok())
			.ok_or("relay_session: no cost")?;
		let profiles = chain.call("gateway_operators", json!([api_id])).await?;
		let profiles = profiles.as_array().cloned().unwrap_or_default();
		let mut members = Vec::new();
		for operator in view["operators"].as_array().cloned().unwrap_or_default() {
			let address = operator["operator"].as_str().unwrap_or_default();
			let endpoint = profiles
				.iter()
				.find(|p| p["operator"].as_str() == Some(address))
				.and_then(|p| p["endpoint"].as_str());
			let key = operator["gatewayKey"].as_str().map(hex32).transpose()?;
			let (Some(endpoint), Some(key)) = (endpoint, key) else { continue };
			let account = sp_core::crypto::Ss58Codec::from_ss58check(address)
				.map_err(|e| format!("relay_session: operator {address}: {e:?}"))?;
			members.push(Member {
				account,
				key,
				endpoint: endpoint.trim_end_matches('/').to_owned(),
			});
		}
		if members.is_empty() {
			return Err("no operator of the session has an endpoint in its profile".into());
		}
		Ok((cost, members))
	}

	fn state(&self) -> std::sync::MutexGuard<'_, State> {
		self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	/// The members a call may go to, in the order to try them: those not skipped after
	/// `max_failures` failures in a row and with allowance left for one more call, those
	/// `suspect` says failed elsewhere lately last.
	pub fn candidates(
		&self,
		max_failures: u32,
		suspect: impl Fn(&AccountId) -> bool,
	) -> Vec<usize> {
		let state = self.state();
		let usable = |i: usize| {
			state.failures_in_row[i] < max_failures
				&& state.vouchers[i].1.saturating_add(self.cost) <= self.allowance
		};
		let mut live: Vec<usize> = (0..self.members.len()).filter(|&i| usable(i)).collect();
		live.sort_by_key(|&i| suspect(&self.members[i].account));
		live
	}

	/// The next sequence number and `member`'s voucher one call on, for a call sent now.
	pub fn take_ticket(&self, member: usize, genesis_hash: [u8; 32]) -> Taken {
		let mut state = self.state();
		let sequence = state.next_sequence;
		state.next_sequence += 1;
		let (calls, amount) = state.vouchers[member];
		let (calls, amount) = (calls + 1, amount.saturating_add(self.cost));
		state.vouchers[member] = (calls, amount);
		let operator = self.members[member].account.clone();
		let ticket =
			RelayTicket { genesis_hash, session_id: self.id, sequence, operator, calls, amount };
		Taken { ticket }
	}

	/// Gives back the voucher step of a call `member`'s endpoint refused (served nothing): the
	/// client then owes nothing for a call it did not get. Later vouchers stay high enough, as
	/// the endpoint counts only the calls it served. (A call that got no answer keeps its step:
	/// the node may have served it.)
	pub fn give_back(&self, member: usize) {
		let mut state = self.state();
		let (calls, amount) = state.vouchers[member];
		state.vouchers[member] = (calls.saturating_sub(1), amount.saturating_sub(self.cost));
	}

	/// `member` answered a call with a verified receipt in `latency`.
	pub fn succeeded(&self, member: usize, latency: Duration) {
		let mut state = self.state();
		// A skipped operator stays skipped, even when a late answer of its arrives.
		if state.failures_in_row[member] != SKIPPED {
			state.failures_in_row[member] = 0;
		}
		let window = &mut state.latencies_ms[member];
		if window.len() == LATENCY_WINDOW {
			window.pop_front();
		}
		window.push_back(latency.as_millis().min(u32::MAX as u128) as u32);
	}

	/// `member` failed a call; true when that makes it skipped.
	pub fn failed(&self, member: usize, max_failures: u32) -> bool {
		let mut state = self.state();
		state.failed_calls[member] += 1;
		let in_row = &mut state.failures_in_row[member];
		if *in_row == SKIPPED {
			return false;
		}
		*in_row += 1;
		let skipped = *in_row >= max_failures;
		if skipped {
			*in_row = SKIPPED;
		}
		skipped
	}

	/// How long a call waits for `member` before it is hedged.
	pub fn hedge_after(&self, member: usize, hedge: Hedge) -> Duration {
		match hedge {
			Hedge::Fixed(after) => after,
			Hedge::Adaptive => {
				let state = self.state();
				let window = &state.latencies_ms[member];
				if window.len() < HEDGE_SAMPLES {
					return HEDGE_UNKNOWN;
				}
				let mut sorted: Vec<u32> = window.iter().copied().collect();
				sorted.sort_unstable();
				let rank = ((sorted.len() - 1) as f64 * HEDGE_PERCENTILE).round() as usize;
				Duration::from_millis(sorted[rank].into()).max(HEDGE_FLOOR)
			},
		}
	}

	/// Records that the call sent to `from` went on to `to` as call `sequence`, because of
	/// `cause`.
	pub fn handed_over(&self, from: usize, to: usize, sequence: u64, cause: RelayFault) {
		let handover = RelayHandover {
			from: self.members[from].account.clone(),
			to: self.members[to].account.clone(),
			sequence,
			cause,
		};
		self.state().handovers.push(handover);
	}

	/// Whether the session should be renewed at best block `best`: it is near its end, or an
	/// operator's voucher is near its allowance. True once: the caller then renews it.
	pub fn start_renewal(&self, best: u32) -> bool {
		let mut state = self.state();
		let spent = state.vouchers.iter().map(|(_, amount)| *amount).max().unwrap_or(0);
		let due = best.saturating_add(RENEW_BLOCKS) >= self.expires_at
			|| spent.saturating_mul(100) >= self.allowance.saturating_mul(RENEW_SPENT_PERCENT);
		let start = due && !state.renewing && !state.retired;
		state.renewing |= start;
		start
	}

	/// Whether calls can still go to the session at best block `best`.
	pub fn usable(&self, best: u32) -> bool {
		!self.state().retired && best < self.expires_at
	}

	/// No more calls go to the session.
	pub fn retire(&self) {
		self.state().retired = true;
	}

	/// A successor could not be opened: a later call tries again.
	pub fn renewal_failed(&self) {
		self.state().renewing = false;
	}

	/// Retires the session for its close; true the first time only.
	pub fn begin_close(&self) -> bool {
		let mut state = self.state();
		state.retired = true;
		!std::mem::replace(&mut state.closing, true)
	}

	/// The close report: the handovers in sequence order (at most the runtime's bound, the
	/// earliest kept) and one outcome per operator that served or failed a call.
	pub fn report(&self) -> (pallet_relay::SessionReportOf<Runtime>, usize) {
		let state = self.state();
		let mut handovers = state.handovers.clone();
		handovers.sort_by_key(|h| h.sequence);
		let made = handovers.len();
		let bound = <<Runtime as pallet_relay::Config>::MaxReportHandovers as Get<u32>>::get();
		handovers.truncate(bound as usize);
		let outcomes: Vec<_> = (0..self.members.len())
			.filter(|&i| state.vouchers[i].0 > 0 || state.failed_calls[i] > 0)
			.map(|i| OperatorOutcome {
				operator: self.members[i].account.clone(),
				failed_calls: state.failed_calls[i],
				latency_ms: median(&state.latencies_ms[i]),
			})
			.collect();
		let report = pallet_relay::SessionReportOf::<Runtime> {
			handovers: handovers.try_into().expect("truncated to the bound"),
			outcomes: outcomes.try_into().unwrap_or_default(),
		};
		(report, made)
	}
}

fn median(window: &VecDeque<u32>) -> u32 {
	let mut sorted: Vec<u32> = window.iter().copied().collect();
	sorted.sort_unstable();
	sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn session(n: usize) -> Session {
		let members = (0..n)
			.map(|i| Member {
				account: AccountId::new([i as u8; 32]),
				key: [0; 32],
				endpoint: format!("http://127.0.0.1:{}", 9000 + i),
			})
			.collect();
		Session {
			id: 4,
			api_id: 0,
			cost: 10,
			allowance: 100,
			expires_at: 200,
			members,
			state: Mutex::new(State::of(n)),
		}
	}

	#[test]
	fn sequences_are_unique_and_vouchers_step_per_operator() {
		let s = session(3);
		let a = s.take_ticket(0, [1; 32]);
		let b = s.take_ticket(1, [1; 32]);
		let c = s.take_ticket(0, [1; 32]);
		assert_eq!((a.ticket.sequence, b.ticket.sequence, c.ticket.sequence), (0, 1, 2));
		assert_eq!((c.ticket.calls, c.ticket.amount), (2, 20));
		assert_eq!((b.ticket.calls, b.ticket.amount), (1, 10));
		assert_eq!(a.ticket.calls, 1);
		// A refused call gives its step back, also after later ones took theirs.
		s.give_back(0);
		assert_eq!(s.take_ticket(0, [1; 32]).ticket.calls, 2);
		s.give_back(1);
		assert_eq!(s.take_ticket(1, [1; 32]).ticket.calls, 1);
	}

	#[test]
	fn an_operator_with_no_allowance_left_is_no_candidate() {
		let s = session(2);
		for _ in 0..9 {
			s.take_ticket(0, [0; 32]);
		}
		assert_eq!(s.candidates(3, |_| false), vec![0, 1], "one call of 10 left");
		s.take_ticket(0, [0; 32]);
		assert_eq!(s.candidates(3, |_| false), vec![1], "100 of 100 vouched");
	}

	#[test]
	fn an_operator_failing_in_a_row_is_skipped_and_suspects_go_last() {
		let s = session(3);
		assert!(!s.failed(0, 2));
		s.succeeded(0, Duration::from_millis(5));
		assert!(!s.failed(0, 2));
		assert!(s.failed(0, 2), "two in a row");
		assert_eq!(s.candidates(2, |_| false), vec![1, 2]);
		s.succeeded(0, Duration::from_millis(5));
		assert!(!s.failed(0, 2), "skipped once");
		assert_eq!(s.candidates(2, |_| false), vec![1, 2], "a late answer does not bring it back");
		assert_eq!(s.candidates(2, |who| who == &AccountId::new([1; 32])), vec![2, 1]);
	}

	#[test]
	fn the_adaptive_hedge_is_a_high_percentile_with_a_floor() {
		let s = session(3);
		assert_eq!(s.hedge_after(0, Hedge::Adaptive), HEDGE_UNKNOWN);
		for ms in 1..=20 {
			s.succeeded(0, Duration::from_millis(ms * 10));
			s.succeeded(1, Duration::from_millis(1));
		}
		assert_eq!(s.hedge_after(0, Hedge::Adaptive), Duration::from_millis(190));
		assert_eq!(s.hedge_after(1, Hedge::Adaptive), HEDGE_FLOOR);
		assert_eq!(s.hedge_after(1, Hedge::Fixed(Duration::from_millis(7))).as_millis(), 7);
	}

	#[test]
	fn renewal_starts_once_near_the_end_or_the_allowance() {
		let s = session(3);
		assert!(!s.start_renewal(100));
		assert!(s.start_renewal(180));
		assert!(!s.start_renewal(181), "once");
		let t = session(3);
		for _ in 0..8 {
			t.take_ticket(2, [0; 32]);
		}
		assert!(t.start_renewal(0), "80 of 100 vouched to one operator");
	}

	#[test]
	fn the_report_orders_handovers_and_names_who_served() {
		let s = session(3);
		s.take_ticket(0, [0; 32]);
		s.take_ticket(1, [0; 32]);
		s.failed(0, 3);
		s.handed_over(0, 1, 9, RelayFault::Failed);
		s.handed_over(0, 2, 4, RelayFault::Late);
		let (report, made) = s.report();
		assert_eq!(made, 2);
		assert_eq!(report.handovers.iter().map(|h| h.sequence).collect::<Vec<_>>(), vec![4, 9]);
		let named: Vec<_> =
			report.outcomes.iter().map(|o| (o.operator.clone(), o.failed_calls)).collect();
		assert_eq!(named, vec![(AccountId::new([0; 32]), 1), (AccountId::new([1; 32]), 0)]);
	}
}
