//! Burn model runtime (work in progress).

pub mod cache;
pub mod config;
pub mod error;
pub mod gpt2;
pub mod llama;
pub mod lm;
pub mod load;
pub mod local;
pub mod nn;
pub mod opt;
pub mod read;
pub mod runtime;
pub mod sampling;
pub mod tokenizer;
pub mod weights;

pub use cache::KvCache;
pub use error::{ModelError, Result};
pub use lm::{Architecture, CausalLm};
pub use load::{HfFiles, ModelSpec};
pub use local::LocalModel;
pub use runtime::{
    FinishReason, GenerateOptions, GenerationState, LogLikelihood, LoglikOptions, Model, ModelMeta,
};
pub use sampling::{Sampler, Sampling};
pub use tokenizer::{ChatTemplate, Tokenizer};
