//! What the offchain workers of Baton's pallets share: sending transactions signed by one of
//! this node's gateway keys.

use frame_system::offchain::{
	AppCrypto, CreateSignedTransaction, ForAll, SendSignedTransaction, Signer, SigningTypes,
};

/// A gateway key in this node's keystore, as the application key of `A` in runtime `T`.
pub type LocalKey<T, A> =
	<A as AppCrypto<<T as SigningTypes>::Public, <T as SigningTypes>::Signature>>::RuntimeAppPublic;

/// Signs and submits transactions with one key of this node's keystore.
pub struct LocalSigner<T: SigningTypes, A: AppCrypto<T::Public, T::Signature>>(Signer<T, A, ForAll>);

impl<T: SigningTypes, A: AppCrypto<T::Public, T::Signature>> LocalSigner<T, A> {
	/// Signs with `key` only.
	pub fn new(key: LocalKey<T, A>) -> Self {
		let generic: A::GenericPublic = key.into();
		Self(Signer::<T, A>::all_accounts().with_filter(alloc::vec![generic.into()]))
	}

	/// Submits `call` as a signed transaction; false if the pool did not take it.
	pub fn send<C: Clone>(&self, call: C) -> bool
	where
		T: CreateSignedTransaction<C>,
	{
		let results = self.0.send_signed_transaction(|_| call.clone());
		!results.is_empty() && results.iter().all(|(_, result)| result.is_ok())
	}
}
