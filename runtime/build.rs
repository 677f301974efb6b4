//! Builds the runtime's wasm, and a second one with `upgrade-rehearsal` (spec_version 101 and a
//! storage migration) for the upgrade test: `wbuild/baton-runtime/upgrade_rehearsal.compact.
//! compressed.wasm` in the target directory. Only Baton's gateway pallet and the runtime differ
//! between the two, so the second costs their compilation, not the dependencies'.

#[cfg(all(feature = "std", feature = "metadata-hash"))]
fn main() {
	substrate_wasm_builder::WasmBuilder::init_with_defaults()
		.enable_metadata_hash("BTN", 12)
		.build();
	build_upgrade_rehearsal();
}

#[cfg(all(feature = "std", not(feature = "metadata-hash")))]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
	build_upgrade_rehearsal();
}

#[cfg(feature = "std")]
fn build_upgrade_rehearsal() {
	substrate_wasm_builder::WasmBuilder::init_with_defaults()
		.enable_feature("upgrade-rehearsal")
		.set_file_name("upgrade_rehearsal")
		.build();
}

#[cfg(not(feature = "std"))]
fn main() {}
