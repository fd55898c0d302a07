//! The few async building blocks the client needs, written out instead of pulling in an async runtime
//! (tokio and its timer/IO drivers would double this crate's compile time and do not run in the browser):
//! a clock/sleeper seam ([`Clock`]), a counting [`Semaphore`], [`join_all`], a one-shot channel and —
//! natively — [`block_on`] and a thread-backed sleep.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

/// A boxed future, as [`Clock::sleep`] returns (not `Send`: the browser's timers are not).
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Wall-clock time and sleeping, injectable so tests run retries without waiting and can check every
/// backoff delay.
pub trait Clock: Send + Sync {
    /// The current time (for `Retry-After: <HTTP-date>`).
    fn now(&self) -> SystemTime;
    /// Wait `d`.
    fn sleep(&self, d: Duration) -> LocalBoxFuture<'static, ()>;
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A virtual clock: `sleep` returns at once, records the delay and advances `now` by it.
#[derive(Clone)]
pub struct MockClock {
    inner: Arc<Mutex<(SystemTime, Vec<Duration>)>>,
}

impl MockClock {
    /// A clock that reads `start`.
    pub fn new(start: SystemTime) -> Self {
        Self {
            inner: Arc::new(Mutex::new((start, Vec::new()))),
        }
    }

    /// Every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        lock(&self.inner).1.clone()
    }
}

impl Clock for MockClock {
    fn now(&self) -> SystemTime {
        lock(&self.inner).0
    }
    fn sleep(&self, d: Duration) -> LocalBoxFuture<'static, ()> {
        let mut g = lock(&self.inner);
        g.0 += d;
        g.1.push(d);
        Box::pin(std::future::ready(()))
    }
}

/// The platform clock: `SystemTime` and a helper-thread sleep natively; `Date.now()` and `setTimeout`
/// in the browser (where `SystemTime::now` would panic).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
    fn sleep(&self, d: Duration) -> LocalBoxFuture<'static, ()> {
        let (tx, rx) = oneshot();
        if d.is_zero() {
            tx.send(());
        } else {
            std::thread::spawn(move || {
                std::thread::sleep(d);
                tx.send(());
            });
        }
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

/// A counting semaphore. `acquire` waits for a permit; dropping the [`Permit`] returns it.
pub struct Semaphore {
    state: Mutex<(usize, VecDeque<Waker>)>,
}

impl Semaphore {
    /// A semaphore with `permits` permits (at least 1).
    pub fn new(permits: usize) -> Self {
        Self {
            state: Mutex::new((permits.max(1), VecDeque::new())),
        }
    }

    /// Wait for a permit.
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire { sem: self }
    }

    /// Permits available now.
    pub fn available(&self) -> usize {
        lock(&self.state).0
    }
}

/// Future of [`Semaphore::acquire`].
pub struct Acquire<'a> {
    sem: &'a Semaphore,
}

impl<'a> Future for Acquire<'a> {
    type Output = Permit<'a>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit<'a>> {
        let mut g = lock(&self.sem.state);
        if g.0 > 0 {
            g.0 -= 1;
            Poll::Ready(Permit { sem: self.sem })
        } else {
            g.1.push_back(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// A held permit.
pub struct Permit<'a> {
    sem: &'a Semaphore,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let waiters: Vec<Waker> = {
            let mut g = lock(&self.sem.state);
            g.0 += 1;
            g.1.drain(..).collect()
        };
        // Wake every waiter; those that lose the race re-register.
        waiters.into_iter().for_each(Waker::wake);
    }
}

/// Run futures concurrently on the current task; results in input order.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    JoinAll {
        futures: futures.into_iter().map(|f| Some(Box::pin(f))).collect(),
        results: Vec::new(),
    }
    .await
}

struct JoinAll<F: Future> {
    futures: Vec<Option<Pin<Box<F>>>>,
    results: Vec<Option<F::Output>>,
}

impl<F: Future> Unpin for JoinAll<F> {}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.results.len() != this.futures.len() {
            this.results = (0..this.futures.len()).map(|_| None).collect();
        }
        let mut pending = false;
        for (slot, out) in this.futures.iter_mut().zip(this.results.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => {
                        *out = Some(v);
                        *slot = None;
                    }
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(this.results.iter_mut().filter_map(Option::take).collect())
        }
    }
}

struct Shared<T> {
    value: Option<T>,
    waker: Option<Waker>,
    closed: bool,
}

/// Sending half of [`oneshot`].
pub struct Sender<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

/// Receiving half of [`oneshot`]: resolves to `Some(value)`, or `None` if the sender was dropped.
pub struct Receiver<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

/// A single-value channel from a helper thread (or a JS callback) to a future.
pub fn oneshot<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(Shared {
        value: None,
        waker: None,
        closed: false,
    }));
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

impl<T> Sender<T> {
    /// Deliver the value and wake the receiver.
    pub fn send(self, value: T) {
        lock(&self.shared).value = Some(value);
        // `Drop` wakes.
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut g = lock(&self.shared);
            g.closed = true;
            g.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Option<T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut g = lock(&self.shared);
        if let Some(v) = g.value.take() {
            Poll::Ready(Some(v))
        } else if g.closed {
            Poll::Ready(None)
        } else {
            g.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// Drive a future to completion on the current thread (the native blocking wrappers use this; helper
/// threads do the waiting).
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: Future>(future: F) -> F::Output {
    use std::task::Wake;
    struct Unparker(std::thread::Thread);
    impl Wake for Unparker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unparker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn semaphore_limits_and_join_all_keeps_order() {
        let sem = Semaphore::new(2);
        let active = Mutex::new((0usize, 0usize));
        let futs: Vec<_> = (0..6)
            .map(|i| {
                let (sem, active) = (&sem, &active);
                async move {
                    let _p = sem.acquire().await;
                    {
                        let mut a = lock(active);
                        a.0 += 1;
                        a.1 = a.1.max(a.0);
                    }
                    SystemClock.sleep(Duration::from_millis(5)).await;
                    lock(active).0 -= 1;
                    i * 10
                }
            })
            .collect();
        let out = block_on(join_all(futs));
        assert_eq!(out, vec![0, 10, 20, 30, 40, 50]);
        assert_eq!(lock(&active).1, 2);
        assert_eq!(sem.available(), 2);
    }

    #[test]
    fn oneshot_reports_a_dropped_sender() {
        let (tx, rx) = oneshot::<u8>();
        drop(tx);
        assert_eq!(block_on(rx), None);
        let (tx, rx) = oneshot::<u8>();
        std::thread::spawn(move || tx.send(7));
        assert_eq!(block_on(rx), Some(7));
    }

    #[test]
    fn mock_clock_advances() {
        let c = MockClock::new(SystemTime::UNIX_EPOCH);
        block_on(c.sleep(Duration::from_secs(3)));
        assert_eq!(c.now(), SystemTime::UNIX_EPOCH + Duration::from_secs(3));
        assert_eq!(c.sleeps(), vec![Duration::from_secs(3)]);
    }
}
