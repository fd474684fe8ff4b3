//! Work that costs CPU in proportion to what a caller sent (reading uploaded workbooks and CSV,
//! parsing documents) runs here: on the blocking threads, never on the async workers, and only
//! a few at a time, so one caller's big or hostile file cannot stall everyone else's requests.

use crate::error::{AppError, Result};
use std::sync::LazyLock;
use tokio::sync::Semaphore;

/// One slot per core but one, so that a core is always left for the requests that wait.
static SLOTS: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    Semaphore::new(cores.saturating_sub(1).max(1))
});

/// Runs `f` on a blocking thread once a slot is free, and hands back what it returns.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let _slot = SLOTS.acquire().await.map_err(|e| AppError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(f).await.map_err(|e| AppError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn heavy_work_leaves_the_async_workers_free() {
        let busy: Vec<_> = (0..4)
            .map(|_| tokio::spawn(super::run(|| std::thread::sleep(std::time::Duration::from_millis(300)))))
            .collect();
        // While four sleepers hold or wait for the slots, an async task still runs at once.
        let t0 = std::time::Instant::now();
        tokio::task::yield_now().await;
        tokio::spawn(async {}).await.expect("task");
        assert!(t0.elapsed() < std::time::Duration::from_millis(100), "{:?}", t0.elapsed());
        for b in busy {
            b.await.expect("join").expect("run");
        }
    }
}
