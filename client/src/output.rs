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
		self.line(&format!("  {step}"));
	}

	/// Prints a line of text beside the result: on stdout for a person, on stderr with `--json`.
	pub fn line(&self, text: &str) {
		if self.json {
			eprintln!("{text}");
		} else {
			println!("{text}");
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

/// A wait shown as it goes on a terminal. After a second, one line on stderr, redrawn in place,
/// says what is awaited and for how long; it is erased before the next step is printed. Scripts
/// and logs (stderr not a terminal) see only the steps.
pub struct Waiting {
	started: std::time::Instant,
	terminal: bool,
	drawn: bool,
}

impl Waiting {
	/// A wait starting now.
	pub fn start() -> Self {
		use std::io::IsTerminal;
		Self {
			started: std::time::Instant::now(),
			terminal: std::io::stderr().is_terminal(),
			drawn: false,
		}
	}

	/// Redraws the line with `what` is awaited now.
	pub fn show(&mut self, what: &str) {
		if !self.terminal {
			return;
		}
		if let Some(line) = waiting_line(self.started.elapsed(), what) {
			eprint!("\r\x1b[2K{line}");
			self.drawn = true;
		}
	}

	/// Erases the line, if it was drawn.
	pub fn clear(&mut self) {
		if std::mem::take(&mut self.drawn) {
			eprint!("\r\x1b[2K");
		}
	}
}

impl Drop for Waiting {
	fn drop(&mut self) {
		self.clear();
	}
}

/// The line that shows a wait of `elapsed` for `what`: none in its first second.
fn waiting_line(elapsed: std::time::Duration, what: &str) -> Option<String> {
	const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
	if elapsed < std::time::Duration::from_secs(1) {
		return None;
	}
	let frame = FRAMES[(elapsed.as_millis() / 250 % 4) as usize];
	Some(format!("  {frame} {what} ({} s)", elapsed.as_secs()))
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::time::Duration;

	#[test]
	fn a_wait_is_shown_after_a_second_with_what_is_awaited() {
		assert_eq!(waiting_line(Duration::from_millis(999), "finality"), None);
		assert_eq!(
			waiting_line(Duration::from_millis(2_600), "waiting for #12 to be finalized"),
			Some("  - waiting for #12 to be finalized (2 s)".to_owned())
		);
	}
}
