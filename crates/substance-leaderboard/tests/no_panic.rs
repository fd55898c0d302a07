//! Arbitrary bytes and arbitrary texts never panic, and the statistics stay in range. (The verdict
//! parsers are substance-judge's and tested there.)
#![cfg(not(target_family = "wasm"))]
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use substance_leaderboard::alpaca::{discrete_win_rate, head2head};
use substance_leaderboard::formats::{
    ArenaVersion, parse_alpaca_annotations, parse_answers, parse_arena_judgments,
    parse_bootstrap_stats, parse_gamed_rows, parse_instruction_difficulty, parse_mt_bench_pair,
    parse_mt_bench_single,
};
use substance_leaderboard::style::count_markdown;

fn jsonish() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        "[\\[\\]{}\":,0-9a-zA-Z_ \n.\\-NaInfity>=<]{0,300}".prop_map(String::into_bytes),
        Just(br#"{"question_id": "q", "model": "m", "games": [{"score": "A>B"}, {"judgment": "[[B>>A]]"}]}"#.to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn parsers_never_panic(bytes in jsonish()) {
        let _ = parse_arena_judgments(&bytes, "f", ArenaVersion::V01);
        let _ = parse_arena_judgments(&bytes, "f", ArenaVersion::V2);
        let _ = parse_answers(&bytes, "f");
        let _ = parse_alpaca_annotations(&bytes, "f");
        let _ = parse_mt_bench_single(&bytes, "f");
        let _ = parse_mt_bench_pair(&bytes, "f");
        let _ = parse_bootstrap_stats(&bytes, "f");
        let _ = parse_instruction_difficulty(&bytes, "f");
        let _ = parse_gamed_rows(&bytes, "f");
    }

    #[test]
    fn text_functions_never_panic(s in "(\\PC|\n|\\[|\\]|#|\\*|_|`|[AB<>=]){0,200}") {
        let c = count_markdown(&s);
        prop_assert!(c.header >= 0.0 && c.list >= 0.0 && c.bold >= 0.0);
    }

    #[test]
    fn win_rates_stay_in_range(prefs in proptest::collection::vec(proptest::option::of(-1.0f64..3.0), 0..60)) {
        let h = head2head(&prefs);
        prop_assert!(h.n_wins + h.n_wins_base <= h.n_total);
        if h.n_total > 0 {
            prop_assert!((0.0..=100.0).contains(&h.win_rate));
        }
        let d = discrete_win_rate(&prefs);
        prop_assert!(d.is_nan() || (0.0..=100.0).contains(&d));
    }
}
