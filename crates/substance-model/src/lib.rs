//! Burn model runtime (work in progress).
