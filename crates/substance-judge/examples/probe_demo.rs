//! Print what each probe does to a small pair (for eyeballing).
#![allow(clippy::print_stdout, clippy::unwrap_used)]
use substance_judge::probe::{Placement, Probe, RestyleOptions};
use substance_judge::{JudgedPair, Side};

fn main() {
    let p = JudgedPair::new(
        "demo",
        "Which planet is largest?",
        "Jupiter is the largest planet in the Solar System. It is about 11 times wider than Earth, and it is not a rocky planet.\n\nIt has at least 95 known moons, including Ganymede.",
        Some("Saturn is the largest planet."),
    );
    for (probe, seed) in [
        (
            Probe::VerbosityPadding {
                side: Some(Side::A),
                sentences: 3,
                placement: Placement::Interleave,
            },
            1,
        ),
        (
            Probe::MarkdownRestyle {
                side: Some(Side::A),
                options: RestyleOptions::default(),
            },
            2,
        ),
        (
            Probe::SubstanceCorruption {
                side: Some(Side::A),
                kind: None,
            },
            3,
        ),
        (
            Probe::SubstanceCorruption {
                side: Some(Side::A),
                kind: None,
            },
            4,
        ),
        (
            Probe::StyleOverSubstance {
                source: Side::A,
                kind: None,
            },
            5,
        ),
    ] {
        let out = probe.apply(&p, seed).unwrap();
        println!(
            "== {} ({})\nA: {}\nB: {}\n",
            probe.name(),
            out.description,
            out.pair.answer_a,
            out.pair.answer_b.unwrap()
        );
    }
}
