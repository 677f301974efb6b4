//! The traits that couple Baton's pallets. Pallets never call each other directly: operator
//! staking, slashing, reputation, escrow, gateway and handover meet only through these, and the
//! runtime wires them. Each says who implements it.

use alloc::vec::Vec;
use frame_support::pallet_prelude::{DispatchError, MaxEncodedLen, Parameter, Weight};

use crate::{
	ApiId, CallPrice, Candidate, Checkpoint, GatewayKey, HandoverReason, HandoverView,
	OffenceError, OffenceKind, OffenceSubject, OpenAssignment, Outcome, ReputationView, RequestId,
	ResultStatus,
};

/// Reports offences; implemented by the slashing pallet.
pub trait ReportOffence<AccountId> {
	/// Records an offence. `beneficiary` is who gets the reporter's share of the slash: the
	/// operator that took the work over, or the reporter.
	fn report_offence(
		kind: OffenceKind,
		subject: OffenceSubject,
		offender: &AccountId,
		beneficiary: Option<AccountId>,
	) -> Result<(), OffenceError>;

	/// Records that `offender` signed two answers to one call, proven by `reporter`, who gets
	/// the reporter's share of the slash.
	fn report_equivocation(
		subject: OffenceSubject,
		offender: &AccountId,
		reporter: &AccountId,
	) -> Result<(), OffenceError>
	where
		AccountId: Clone,
	{
		Self::report_offence(OffenceKind::Equivocation, subject, offender, Some(reporter.clone()))
	}
}

/// Reports offences whose proof cost the beneficiary something; implemented by the slashing
/// pallet.
pub trait CompensatedOffence<AccountId, Balance> {
	/// Records an offence as [`ReportOffence::report_offence`] does, whose slash pays
	/// `beneficiary` first `compensation` (at most the whole slash), then the reward share of
	/// the rest: a challenger gets back what its challenge cost, out of the offender's stake.
	fn report_compensated_offence(
		kind: OffenceKind,
		subject: OffenceSubject,
		offender: &AccountId,
		beneficiary: AccountId,
		compensation: Balance,
	) -> Result<(), OffenceError>;
}

/// The stake behind operators, as slashing sees it; implemented by operator staking.
pub trait SlashTarget<AccountId, BlockNumber> {
	/// Balance type of the stake.
	type Balance;
	/// Funds taken by a slash, to be paid onwards.
	type Credit;

	/// Stake that a slash can take now: bonded plus still-unbonding.
	fn slashable_stake(who: &AccountId) -> Self::Balance;

	/// Takes up to `amount` of `who`'s stake, bonded first, then unbonding chunks.
	fn slash(who: &AccountId, amount: Self::Balance) -> Self::Credit;

	/// Stops routing to `who` until block `until`, after which it must `activate` again.
	fn jail(who: &AccountId, until: BlockNumber) -> Result<(), DispatchError>;

	/// The block `who`'s jail ends at, if it is jailed.
	fn jailed_until(who: &AccountId) -> Option<BlockNumber>;

	/// Shortens `who`'s jail to end at `until` (at once if `until` has passed) because the
	/// offence behind it was cancelled; never lengthens it.
	fn lift_jail(who: &AccountId, until: BlockNumber);
}

/// Whether an operator's stake is still owed to a slash; implemented by the slashing pallet.
pub trait PendingSlash<AccountId> {
	/// Whether an offence of `who` was reported whose slash has neither landed nor been
	/// cancelled: until then none of its stake may leave.
	fn has_pending_slash(who: &AccountId) -> bool;
}

/// Operators as routing and deadlines see them; implemented by operator staking.
pub trait OperatorRouting<AccountId> {
	/// Balance type of the stake.
	type Balance;

	/// Whether `who`'s heartbeats are on time (false for non-operators).
	fn is_online(who: &AccountId) -> bool;

	/// How many operators serving `api` are available now: the slots `available_at` fills.
	fn available_count(api: ApiId) -> u32;

	/// The available operator serving `api` in `slot` (below `available_count`). Slots follow
	/// no order worth anything: routing draws them at random.
	fn available_at(api: ApiId, slot: u32) -> Option<AccountId>;

	/// What routing needs of `who`, if it may be given work now.
	fn candidate(who: &AccountId) -> Option<Candidate<Self::Balance>>;
}

/// Gateway keys and the operators that bound them, for whoever checks what a key signed;
/// implemented by operator staking.
pub trait GatewayKeys<AccountId> {
	/// The gateway key `who` signs results with.
	fn gateway_key(who: &AccountId) -> Option<GatewayKey>;

	/// The operator that bound `key`.
	fn operator_of(key: &GatewayKey) -> Option<AccountId>;

	/// The account a gateway key signs transactions as.
	fn signer_of(key: &GatewayKey) -> AccountId;

	/// The operator whose gateway key signs transactions as `signer`, and that key.
	fn operator_of_signer(signer: &AccountId) -> Option<(AccountId, GatewayKey)>;
}

/// Operators' encryption keys, for whoever checks what is sealed to them; implemented by
/// operator staking.
pub trait EncryptionKeys<AccountId> {
	/// The X25519 key in `who`'s profile, if it published one.
	fn encryption_key(who: &AccountId) -> Option<crate::sealing::EncryptionKey>;
}

/// Takes outcomes into reputation; implemented by the reputation pallet.
pub trait ReputationSink<AccountId> {
	/// Records `outcome` for `who`, overall and for `api`.
	fn record(who: &AccountId, api: ApiId, outcome: Outcome);
}

/// Reads reputation; implemented by the reputation pallet.
pub trait ReputationSource<AccountId> {
	/// Reputation of `who` overall.
	fn reputation(who: &AccountId) -> ReputationView;
	/// Reputation of `who` for `api`, or its overall reputation if it has none for `api` yet.
	fn reputation_for(who: &AccountId, api: ApiId) -> ReputationView;
}

/// Holds a payer's funds per escrow id until they are paid out or refunded; implemented by the
/// escrow pallet. Every call keeps the sum of open escrows equal to the funds held for them.
pub trait Escrow<AccountId, Balance> {
	/// Holds `amount` of `payer`'s free balance under escrow `id`, which must not be open.
	fn hold(id: RequestId, payer: &AccountId, amount: Balance) -> Result<(), DispatchError>;

	/// Pays `amount` of escrow `id` to `payee`.
	fn pay(id: RequestId, payee: &AccountId, amount: Balance) -> Result<(), DispatchError>;

	/// Returns what is left of escrow `id` to its payer and closes it; returns the amount.
	fn refund(id: RequestId) -> Balance;

	/// What escrow `id` still holds (zero if it is not open).
	fn held(id: RequestId) -> Balance;

	/// Holds `amount` more of `payer`'s free balance under escrow `id`, opening it if it is not
	/// open; an open one must be `payer`'s.
	fn hold_more(id: RequestId, payer: &AccountId, amount: Balance) -> Result<(), DispatchError>;
}

/// Prices and routing for relay sessions; implemented by the gateway, so that a session's
/// operators are chosen by the formula that chooses a request's.
pub trait SessionRouting<AccountId, Balance> {
	/// What one call to `api_id` costs now, or why no session may be opened on it (an unknown
	/// or paused API).
	fn call_price(api_id: ApiId) -> Result<CallPrice<Balance>, DispatchError>;

	/// `count` distinct operators for a session on `api_id`, in the order routing ranks them,
	/// seeded by `subject`; each of them then counts the session against its capacity.
	fn route_session(
		api_id: ApiId,
		subject: &[u8],
		count: u32,
	) -> Result<Vec<AccountId>, DispatchError>;

	/// Stops counting a session against `operator`'s capacity.
	fn release_session(operator: &AccountId);

	/// The upstream timeout of `api_id` in milliseconds, if it is registered: the most a call's
	/// latency can be.
	fn timeout_ms(api_id: ApiId) -> Option<u32>;
}

/// Settled re-executions of relayed calls, which challenges of relay receipts pay for;
/// implemented by the gateway.
pub trait Rerun<AccountId, Balance> {
	/// A relayed call as a challenge carries it: its content (method, path, headers, body), and
	/// the redundancy, most fee and deadline of its settled re-execution.
	type Call: Parameter + MaxEncodedLen;

	/// The hash the call's ticket and receipt bind ([`crate::relay_request_hash`]).
	fn relay_request_hash(call: &Self::Call) -> [u8; 32];

	/// Whether the call only reads (HTTP's safe methods; Baton's is GET): only such a call's
	/// answer can be checked by running it again, since any other may change what it answers.
	fn is_safe(call: &Self::Call) -> bool;

	/// Submits `call` to `api_id` as a settled request that `client` pays for, routed among the
	/// API's operators but `excluded`, with at least `min_redundancy` of them. Returns the
	/// request's id and the key that an answer of `status` and `body` would be compared by in it
	/// (the API's ignored fields dropped).
	fn rerun(
		client: &AccountId,
		api_id: ApiId,
		call: Self::Call,
		excluded: &AccountId,
		min_redundancy: u32,
		status: &ResultStatus,
		body: &[u8],
	) -> Result<(RequestId, [u8; 32]), DispatchError>;
}

/// Told when a settled request settles; implemented by the relay pallet, whose challenges are
/// settled requests, and by `()` for no one.
pub trait OnSettled<Balance> {
	/// Request `request_id` settled: `majority` is the key its payable majority's results
	/// share (none: it was refunded), `paid` what its client paid for it. Cheap: whatever
	/// follows from it is done later, in a hook that weighs it.
	fn on_settled(request_id: RequestId, majority: Option<[u8; 32]>, paid: Balance);

	/// The most [`OnSettled::on_settled`] costs, which every settlement is charged on top of
	/// its benchmark.
	fn weight() -> Weight;
}

impl<Balance> OnSettled<Balance> for () {
	fn on_settled(_: RequestId, _: Option<[u8; 32]>, _: Balance) {}

	fn weight() -> Weight {
		Weight::zero()
	}
}

/// The on-chain handover log; implemented by the handover pallet.
pub trait HandoverLog<AccountId, BlockNumber> {
	/// Appends a record to `request_id`'s log; returns its sequence number (0 for the first).
	fn record(
		request_id: RequestId,
		from: &AccountId,
		to: &AccountId,
		reason: HandoverReason,
		checkpoint: Option<Checkpoint>,
	) -> Result<u32, DispatchError>;

	/// `request_id`'s log, oldest first.
	fn history(request_id: RequestId) -> Vec<HandoverView<AccountId, BlockNumber>>;

	/// Whether `request_id` may be handed over once more.
	fn has_room(request_id: RequestId) -> bool;

	/// Drops `request_id`'s log (when the request is pruned).
	fn forget(request_id: RequestId);
}

/// Requests as the handover pallet sees them; implemented by the gateway.
pub trait Reassign<AccountId> {
	/// Passes `from`'s open assignment on `request_id` to the next available backup, extends
	/// the deadline, settles what the reason implies (offence, reputation) and logs the
	/// handover. Returns the successor.
	fn reassign(
		request_id: RequestId,
		from: &AccountId,
		reason: HandoverReason,
		checkpoint: Option<Checkpoint>,
	) -> Result<AccountId, DispatchError>;

	/// Up to `max` requests `operator` is assigned and has not reported.
	fn open_assignments(operator: &AccountId, max: u32) -> Vec<OpenAssignment>;

	/// The content hash of `request_id`, while it is kept.
	fn request_hash(request_id: RequestId) -> Option<[u8; 32]>;

	/// Whether `operator` holds `request_id` (is assigned and has not reported).
	fn is_assigned(operator: &AccountId, request_id: RequestId) -> bool;
}
