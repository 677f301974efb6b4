//! What a command prints: text for a person by default, one JSON document for a script with
//! `--json`. A transaction's progress (sent, in block, finalized) goes to stdout as text, and to
//! stderr with `--json`, so that stdout holds the JSON alone.

use serde_json::Value;

/// Where a command's output goes, and in which form.
#[derive(Clone, Copy)]
pub struct Output {
	/// One JSON document on stdout instead of text.
	pub json: bool,
}

impl Output {
	/// Prints one step of a transaction's or a wait's progress.
	pub fn progress(&self, step: &str) {
		if self.json {
			eprintln!("  {step}");
		} else {
			println!("  {step}");
		}
	}

	/// Prints a command's result: `text` for a person, or `json`.
	pub fn result(&self, text: impl FnOnce() -> String, json: Value) {
		if self.json {
			println!("{json:#}");
		} else {
			println!("{}", text());
		}
	}
}
