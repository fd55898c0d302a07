//! The small multiple-choice suite and recorded replies the runner's integration tests share.
#![allow(dead_code, clippy::unwrap_used)]

use substance_core::Suite;

pub const SUITE_TOML: &str = r#"format = 1
name = "mc"
version = "1"
output_type = "multiple_choice"
scorers = ["acc", "acc_norm"]
data = "items.jsonl"
"#;

pub const ITEMS: &str = r#"{"id":"q1","input":"Question: 2+2?\nAnswer:","choices":["4","five"],"gold":[0],"group":"math"}
{"id":"q2","input":"Question: capital of France?\nAnswer:","choices":["Paris","Zürich"],"gold":[0],"group":"geo"}
{"id":"q3","input":"Question: largest planet?\nAnswer:","choices":["Mars","Jupiter","Venus"],"gold":[1],"group":"geo"}
{"id":"q4","input":"Question: 3*3?\nAnswer:","choices":["9","6"],"gold":[0],"group":"math"}
{"id":"q5","input":"Question: water is?\nAnswer:","choices":["wet","dry"],"gold":[0]}
"#;

pub const REPLAY: &str = r#"{"id":"q1","response":{"kind":"log_likelihood","choices":[{"ll":-1.0,"is_greedy":true},{"ll":-6.0,"is_greedy":false}]}}
{"id":"q2","response":{"kind":"log_likelihood","choices":[{"ll":-7.0,"is_greedy":false},{"ll":-6.5,"is_greedy":false}]}}
{"id":"q3","response":{"kind":"log_likelihood","choices":[{"ll":-9.0,"is_greedy":false},{"ll":-9.5,"is_greedy":true},{"ll":-12.0,"is_greedy":false}]}}
{"id":"q4","response":{"kind":"log_likelihood","choices":[{"ll":-2.0,"is_greedy":true},{"ll":-3.0,"is_greedy":false}]}}
{"id":"q5","response":{"kind":"log_likelihood","choices":[{"ll":-4.0,"is_greedy":false},{"ll":-3.0,"is_greedy":true}]}}
"#;

pub fn suite() -> Suite {
    substance_suite::load_suite_from_parts(SUITE_TOML, ITEMS, None, "mem").unwrap()
}
