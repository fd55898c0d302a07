//! Pure leaderboard math of the substance kit (work in progress).

pub mod alpaca;
pub mod arena;
pub mod error;
pub mod formats;
pub(crate) mod logistic;
pub mod num;
pub mod style;
pub mod verdict;

pub use error::LeaderboardError;
