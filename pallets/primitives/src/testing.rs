//! What the test runtimes of Baton's pallets share, so that each mock spells out only what is
//! its own: accounts and gateway keys, the system and balances configuration, offchain signing
//! of real transactions, the offchain worker's environment, and a slashing stand-in that
//! records offences.

use alloc::{string::String, sync::Arc, vec::Vec};
use core::cell::RefCell;
use sp_core::{
	offchain::{testing, OffchainDbExt, OffchainWorkerExt, TransactionPoolExt},
	Pair,
};
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
use sp_runtime::{
	traits::{Convert, IdentifyAccount},
	AccountId32, MultiSigner,
};

use crate::{
	CompensatedOffence, GatewayKey, OffenceError, OffenceKind, OffenceSubject, PendingSlash,
	ReportOffence, GATEWAY_KEY_TYPE,
};

/// Test externalities that run `check` (the mock's `try_state`) after the test, for
/// `impl_benchmark_test_suite!(…, exec_name = execute_checked)`: every benchmark then ends with
/// the pallets' invariants, as every other test does.
pub struct Checked(pub sp_io::TestExternalities, pub fn());

impl Checked {
	/// Runs `test`, then the check.
	pub fn execute_checked(mut self, test: impl FnOnce()) {
		let check = self.1;
		self.0.execute_with(|| {
			test();
			check();
		});
	}
}

/// Test externalities on `storage` at block 1, where every mock's tests begin, after the
/// `on_genesis` of the runtime's `Pallets` (its `AllPalletsWithSystem`), as a chain's genesis
/// runs it: each pallet stores the storage version of its code.
pub fn ext_at_block_one<T: frame_system::Config, Pallets: frame_support::traits::OnGenesis>(
	storage: sp_runtime::Storage,
) -> sp_io::TestExternalities {
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		Pallets::on_genesis();
		frame_system::Pallet::<T>::set_block_number(1u32.into());
	});
	ext
}

/// What the tests of mock runtime `$runtime` run on, given its `new_test_ext()`, `System` and
/// `AllPalletsWithSystem`:
/// - `pallets_try_state()`, the invariants of every pallet in `invariants`;
/// - `try_state()`, those and then `$extra`, the mock's own checks of its stand-ins;
/// - `build_and_execute(test)`, `test` on `new_test_ext()`, then `try_state()`;
/// - `checked_ext()`, for `impl_benchmark_test_suite!(…, exec_name = execute_checked)`: the
///   pallets' invariants only, since the suite resets storage between runs but not stand-ins;
/// - `run_to_block(n)`, every pallet's hooks until `n` is the current block.
#[macro_export]
macro_rules! impl_test_runner {
	(
		$runtime:ident,
		invariants: [$($pallet:ident),+ $(,)?]
		$(, then: $extra:path)? $(,)?
	) => {
		/// Checks the invariants of this runtime's pallets under test.
		pub fn pallets_try_state() {
			$(
				$pallet::do_try_state()
					.expect(concat!(stringify!($pallet), " invariants hold"));
			)+
		}

		/// Checks the pallets' invariants and the mock's own.
		pub fn try_state() {
			pallets_try_state();
			$($extra();)?
		}

		/// Runs `test` on `new_test_ext()`, then checks every invariant.
		pub fn build_and_execute(test: impl FnOnce()) {
			$crate::testing::Checked(new_test_ext(), try_state).execute_checked(test);
		}

		/// `new_test_ext()` with the pallets' invariants to check after each benchmark.
		#[allow(dead_code, reason = "only the benchmark tests use it")]
		pub fn checked_ext() -> $crate::testing::Checked {
			$crate::testing::Checked(new_test_ext(), pallets_try_state)
		}

		/// Runs the hooks of every block until `n` is the current block.
		#[allow(dead_code, reason = "a mock whose pallets have no hooks has no use for it")]
		pub fn run_to_block(n: frame_system::pallet_prelude::BlockNumberFor<$runtime>) {
			System::run_to_block::<AllPalletsWithSystem>(n);
		}
	};
}

/// An account from a byte: `[n; 32]`.
pub fn account(n: u8) -> AccountId32 {
	AccountId32::new([n; 32])
}

/// The gateway key pair made from the seed `[seed; 32]`.
pub fn gateway_pair(seed: u8) -> sp_core::ed25519::Pair {
	sp_core::ed25519::Pair::from_seed(&[seed; 32])
}

/// The secret URI of [`gateway_pair`]`(seed)`, for a keystore to make the same key from.
pub fn gateway_suri(seed: u8) -> String {
	alloc::format!("0x{}", sp_core::hexdisplay::HexDisplay::from(&[seed; 32]))
}

/// A gateway key's account is the key itself, as with `MultiSigner::Ed25519` in Baton's runtime.
pub struct KeyIsAccount;
impl Convert<GatewayKey, AccountId32> for KeyIsAccount {
	fn convert(key: GatewayKey) -> AccountId32 {
		MultiSigner::from(sp_core::ed25519::Public::from_raw(key)).into_account()
	}
}

/// The account gateway key `key` signs transactions as.
pub fn key_account(key: &GatewayKey) -> AccountId32 {
	KeyIsAccount::convert(*key)
}

/// An empty keystore, for benchmarks that make gateway keys and sign with them.
pub fn keystore_ext() -> KeystoreExt {
	KeystoreExt(Arc::new(MemoryKeystore::new()))
}

/// A keystore holding the gateway keys [`gateway_pair`] makes from `seeds`, for benchmarks
/// that sign as existing operators.
pub fn gateway_keystore_ext(seeds: &[u8]) -> KeystoreExt {
	let keystore = MemoryKeystore::new();
	for seed in seeds {
		keystore
			.ed25519_generate_new(GATEWAY_KEY_TYPE, Some(&gateway_suri(*seed)))
			.unwrap();
	}
	KeystoreExt(Arc::new(keystore))
}

/// Makes `ext` an offchain worker's environment: a keystore holding one gateway key per secret
/// URI of `suris` (returned in that order), offchain storage, and a transaction pool. The
/// closure returned lists the transactions submitted to the pool, encoded.
pub fn offchain_worker_ext(
	ext: &mut sp_io::TestExternalities,
	suris: &[&str],
) -> (Vec<sp_core::ed25519::Public>, impl Fn() -> Vec<Vec<u8>>) {
	let keystore = MemoryKeystore::new();
	let keys = suris
		.iter()
		.map(|suri| keystore.ed25519_generate_new(GATEWAY_KEY_TYPE, Some(suri)).unwrap())
		.collect();
	let (offchain, _) = testing::TestOffchainExt::new();
	let (pool, pool_state) = testing::TestTransactionPoolExt::new();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.register_extension(KeystoreExt(Arc::new(keystore)));
	(keys, move || pool_state.read().transactions.clone())
}

/// An offence the stand-in slashing took: (kind, subject, offender, beneficiary).
pub type RecordedOffence = (OffenceKind, OffenceSubject, AccountId32, Option<AccountId32>);

std::thread_local! {
	static OFFENCES: RefCell<Vec<RecordedOffence>> = const { RefCell::new(Vec::new()) };
	static SLASH_PENDING: RefCell<Vec<AccountId32>> = const { RefCell::new(Vec::new()) };
	static COMPENSATIONS: RefCell<Vec<(OffenceSubject, u128)>> = const { RefCell::new(Vec::new()) };
}

/// A slashing stand-in that records offences instead of slashing: each (kind, subject,
/// offender) once, as slashing does. A slash is pending for whom a test says.
pub struct RecordOffences;
impl ReportOffence<AccountId32> for RecordOffences {
	fn report_offence(
		kind: OffenceKind,
		subject: OffenceSubject,
		offender: &AccountId32,
		beneficiary: Option<AccountId32>,
	) -> Result<(), OffenceError> {
		OFFENCES.with(|offences| {
			let mut offences = offences.borrow_mut();
			if offences.iter().any(|(k, s, o, _)| (k, s, o) == (&kind, &subject, offender)) {
				return Err(OffenceError::Duplicate);
			}
			offences.push((kind, subject, offender.clone(), beneficiary));
			Ok(())
		})
	}
}

impl CompensatedOffence<AccountId32, u128> for RecordOffences {
	fn report_compensated_offence(
		kind: OffenceKind,
		subject: OffenceSubject,
		offender: &AccountId32,
		beneficiary: AccountId32,
		compensation: u128,
	) -> Result<(), OffenceError> {
		Self::report_offence(kind, subject, offender, Some(beneficiary))?;
		COMPENSATIONS.with(|all| all.borrow_mut().push((subject, compensation)));
		Ok(())
	}
}

impl PendingSlash<AccountId32> for RecordOffences {
	fn has_pending_slash(who: &AccountId32) -> bool {
		SLASH_PENDING.with(|pending| pending.borrow().contains(who))
	}
}

impl RecordOffences {
	/// Forgets every offence and pending slash: a new test begins.
	pub fn clear() {
		OFFENCES.with(|offences| offences.borrow_mut().clear());
		COMPENSATIONS.with(|all| all.borrow_mut().clear());
		SLASH_PENDING.with(|pending| pending.borrow_mut().clear());
	}

	/// The offences recorded so far, oldest first.
	pub fn all() -> Vec<RecordedOffence> {
		OFFENCES.with(|offences| offences.borrow().clone())
	}

	/// The compensations of the offences recorded with one, by subject, oldest first.
	pub fn compensations() -> Vec<(OffenceSubject, u128)> {
		COMPENSATIONS.with(|all| all.borrow().clone())
	}

	/// Marks `who` as owing a slash (`true`) or not.
	pub fn set_pending(who: &AccountId32, pending: bool) {
		SLASH_PENDING.with(|accounts| {
			let mut accounts = accounts.borrow_mut();
			accounts.retain(|other| other != who);
			if pending {
				accounts.push(who.clone());
			}
		});
	}
}

/// The configuration of frame-system, and of balances if a balance type is given, for test
/// runtime `$runtime` with accounts `$account` and blocks `$block`: everything else is
/// frame's test default. (In a module of its own, which brings `derive_impl` into scope: its
/// expansion names the attribute unqualified.)
#[macro_export]
macro_rules! impl_test_system {
	(
		$runtime:ident,
		block: $block:ty,
		account: $account:ty
		$(, balance: $balance:ty, existential_deposit: $ed:expr)? $(,)?
	) => {
		mod test_system_config {
			use super::*;
			use frame_support::derive_impl;

			#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
			impl frame_system::Config for $runtime {
				type Block = $block;
				type AccountId = $account;
				type Lookup = sp_runtime::traits::IdentityLookup<$account>;
				$(type AccountData = pallet_balances::AccountData<$balance>;)?
			}

			$(
				frame_support::parameter_types! {
					pub const ExistentialDeposit: $balance = $ed;
				}

				#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
				impl pallet_balances::Config for $runtime {
					type Balance = $balance;
					type ExistentialDeposit = ExistentialDeposit;
					type AccountStore = System;
					type RuntimeHoldReason = RuntimeHoldReason;
				}
			)?
		}
	};
}

/// Offchain signing for a test runtime `$runtime` whose accounts are `AccountId32` and whose
/// signatures are `MultiSignature`, as in Baton's runtime, so that an offchain worker under test
/// signs real transactions: declares `Extrinsic` and implements `SigningTypes`,
/// `CreateTransactionBase` and `CreateSignedTransaction`. A transaction carries its nonce in a
/// `CheckNonce` extension, and the signature covers the encoded call and that extension.
#[macro_export]
macro_rules! impl_test_offchain_signing {
	($runtime:ident, $call:ident) => {
		/// The extrinsics offchain workers submit in tests.
		pub type Extrinsic = sp_runtime::generic::UncheckedExtrinsic<
			sp_runtime::AccountId32,
			$call,
			sp_runtime::MultiSignature,
			frame_system::CheckNonce<$runtime>,
		>;

		impl frame_system::offchain::SigningTypes for $runtime {
			type Public = sp_runtime::MultiSigner;
			type Signature = sp_runtime::MultiSignature;
		}

		impl<C> frame_system::offchain::CreateTransactionBase<C> for $runtime
		where
			$call: From<C>,
		{
			type Extrinsic = Extrinsic;
			type RuntimeCall = $call;
		}

		impl<C> frame_system::offchain::CreateSignedTransaction<C> for $runtime
		where
			$call: From<C>,
		{
			fn create_signed_transaction<
				A: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
			>(
				call: $call,
				public: sp_runtime::MultiSigner,
				account: sp_runtime::AccountId32,
				nonce: <$runtime as frame_system::Config>::Nonce,
			) -> Option<Extrinsic> {
				let extension = frame_system::CheckNonce::<$runtime>::from(nonce);
				let signature = A::sign(&codec::Encode::encode(&(&call, &extension)), public)?;
				Some(Extrinsic::new_signed(call, account, signature, extension))
			}
		}
	};
}
