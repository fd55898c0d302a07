#![allow(missing_docs, clippy::print_stdout, clippy::unwrap_used)]
use std::time::Instant;
use burn::tensor::{Device, Tensor, TensorData, Distribution};
use burn::tensor::module::linear;

fn t<F: FnMut() -> Tensor<3>>(name: &str, mut f: F) {
    let _ = f().into_data();
    let t0 = Instant::now();
    let n = 20;
    for _ in 0..n { let _ = f().into_data(); }
    println!("{name}: {:.3} ms", t0.elapsed().as_secs_f64() * 1e3 / n as f64);
}

fn main() {
    let d = Device::flex();
    let x: Tensor<3> = Tensor::random([1, 1, 768], Distribution::Default, &d);
    let x32: Tensor<3> = Tensor::random([1, 32, 768], Distribution::Default, &d);
    let w: Tensor<2> = Tensor::random([768, 3072], Distribution::Default, &d);
    let wt: Tensor<2> = Tensor::random([3072, 768], Distribution::Default, &d);
    let e: Tensor<2> = Tensor::random([50272, 768], Distribution::Default, &d);
    let et: Tensor<2> = Tensor::random([768, 50272], Distribution::Default, &d);
    let b: Tensor<1> = Tensor::random([3072], Distribution::Default, &d);
    t("linear 1x768 @ [768,3072]", || linear(x.clone(), w.clone(), None));
    t("linear 1x768 @ [768,3072] +bias", || linear(x.clone(), w.clone(), Some(b.clone())));
    t("linear 1x768 @ [3072,768]^T", || linear(x.clone(), wt.clone().transpose(), None));
    t("matmul 1x768 @ [768,3072]", || x.clone().matmul(w.clone().unsqueeze_dim(0)));
    t("matmul2d 1x768 @ [768,3072]", || x.clone().reshape([1, 768]).matmul(w.clone()).unsqueeze_dim(0));
    t("head 1x768 @ E^T (view)", || linear(x.clone(), e.clone().transpose(), None));
    t("head 1x768 @ Et contiguous", || linear(x.clone(), et.clone(), None));
    t("head 32x768 @ E^T (view)", || linear(x32.clone(), e.clone().transpose(), None));
    t("head 32x768 @ Et contiguous", || linear(x32.clone(), et.clone(), None));
    t("linear 32x768 @ [768,3072]", || linear(x32.clone(), w.clone(), None));
    let _ = TensorData::new(vec![0.0f32], [1]);
}
