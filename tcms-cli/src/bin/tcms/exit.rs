//! Exit codes of `tcms` (they differ from the plugins' [`tcms_cli::exit`]: here 1 is an
//! answer, not an error, so that a script can tell "something failed" from "cannot tell"):
//!
//! | code | `failing` | `flaky` | `shard` | `history` |
//! |---|---|---|---|---|
//! | 0 | nothing failed | no test flipped | the shard was printed | results were printed |
//! | 1 | at least one test failed | at least one test flipped | - | no result for the name |
//! | 2 | usage, configuration or server error (also: several profiles and none chosen for a flat list) | same | same | same |

/// The answer is "nothing" (or the output was printed).
pub(crate) const OK: u8 = 0;
/// The list is not empty (`failing`, `flaky`), or `history` found no result.
pub(crate) const FOUND: u8 = 1;
/// Usage, configuration or server error: no answer.
pub(crate) const ERROR: u8 = 2;

/// The exit codes, for `--help`.
pub(crate) const HELP: &str = "\
Exit codes:
  0  failing: nothing failed; flaky: no test flipped; shard, history: printed
  1  failing: at least one test failed; flaky: at least one test flipped;
     history: no result for the name
  2  usage, configuration or server error, or several profiles and none chosen
     for a flat list (the message lists them)";
