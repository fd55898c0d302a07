//! The one place tensors are read back to the host.
//!
//! Every read is asynchronous (`into_data_async().await`): WebGPU in the browser panics on a
//! synchronous read-back, and the same code must run there. On the CPU backend the future is ready at
//! once; native callers use the `*_blocking` wrappers, which drive it with `pollster`.

use burn::tensor::{DType, Int, Tensor};

use crate::error::{ModelError, Result};

/// Read a float tensor as a row-major `Vec<f32>`.
pub async fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    let data = t
        .into_data_async()
        .await
        .map_err(|e| ModelError::Device(e.to_string()))?;
    if data.dtype() == DType::F32 {
        data.try_into_vec::<f32>()
            .map_err(|e| ModelError::Device(format!("{e:?}")))
    } else {
        Ok(data.iter::<f32>().collect())
    }
}

/// Read a tensor back as burn's `TensorData` without converting it: on the CPU backend this hands over
/// the tensor's own buffer. [`read_f32`] copies that buffer into a `Vec<f32>` whenever its allocation
/// is aligned for SIMD rather than for `f32` (Flex's buffers are), which for full-vocabulary logits
/// is hundreds of MB; read large outputs with this and `as_slice::<f32>()`.
pub async fn read_data<const D: usize>(t: Tensor<D>) -> Result<burn::tensor::TensorData> {
    t.into_data_async()
        .await
        .map_err(|e| ModelError::Device(e.to_string()))
}

/// Read an int tensor as a row-major `Vec<i64>`.
pub async fn read_i64<const D: usize>(t: Tensor<D, Int>) -> Result<Vec<i64>> {
    let data = t
        .into_data_async()
        .await
        .map_err(|e| ModelError::Device(e.to_string()))?;
    Ok(data.iter::<i64>().collect())
}

/// Drive a future to completion on the current thread (native only).
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}
