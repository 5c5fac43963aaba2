//! The one place bcrypt runs (contract §4: hashing never starves other requests).
//!
//! A fixed set of threads, one per core, takes hashing jobs from a bounded queue. The
//! threads never serve requests, so an async worker is never blocked by bcrypt, and
//! there are never more hashes running than cores (actix's `web::block` pool would
//! start hundreds), at the lowest scheduling priority (`auth.hash_priority`). Past
//! `auth.hash_queue_limit` waiting jobs, a sign-in is answered `503` with `Retry-After`
//! at once instead of piling up. Requests that need no hash go on being served by the
//! async workers, which the kernel runs first.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::error::AppError;
use crate::settings::HashPriority;

type Job = Box<dyn FnOnce() + Send>;

/// Counts a test (or a metrics scrape) can read: how many bcrypt operations ran, and
/// how many wait or run now.
#[derive(Debug, Default)]
pub struct HashStats {
    /// bcrypt operations (hashes and verifications) completed, by cost 4..=31.
    done_by_cost: [AtomicU64; 32],
    pub waiting: AtomicUsize,
    pub running: AtomicUsize,
}

impl HashStats {
    /// Completed operations at `cost`.
    pub fn done_at(&self, cost: u32) -> u64 {
        self.done_by_cost
            .get(cost as usize)
            .map_or(0, |n| n.load(Ordering::Relaxed))
    }

    /// Completed operations at any cost.
    pub fn done(&self) -> u64 {
        self.done_by_cost
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .sum()
    }

    /// Records one bcrypt operation at `cost` (called by the hashing code itself).
    pub fn record(&self, cost: u32) {
        if let Some(n) = self.done_by_cost.get(cost as usize) {
            n.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[derive(Clone)]
pub struct Hasher {
    queue: Sender<Job>,
    /// Jobs running or waiting may not exceed this: threads + `auth.hash_queue_limit`.
    capacity: usize,
    /// Jobs admitted and not yet finished (a job leaves before its answer is sent, so a
    /// client that asks again at once finds room).
    admitted: Arc<AtomicUsize>,
    stats: Arc<HashStats>,
}

impl Hasher {
    /// Starts `threads` hashing threads (0: one per core) behind a queue of `queue_limit`.
    pub fn start(
        threads: usize,
        queue_limit: usize,
        priority: HashPriority,
    ) -> anyhow::Result<Hasher> {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..threads {
            let jobs = Arc::clone(&jobs);
            std::thread::Builder::new()
                .name(format!("keycard-hash-{n}"))
                .spawn(move || {
                    lower_priority(priority);
                    work(&jobs);
                })?;
        }
        Ok(Hasher {
            queue,
            capacity: threads + queue_limit,
            admitted: Arc::new(AtomicUsize::new(0)),
            stats: Arc::new(HashStats::default()),
        })
    }

    pub fn stats(&self) -> Arc<HashStats> {
        Arc::clone(&self.stats)
    }

    /// Runs `job` on a hashing thread; `503` at once when the queue is full.
    pub async fn run<T, F>(&self, job: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&HashStats) -> T + Send + 'static,
    {
        let admitted = self
            .admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            });
        if admitted.is_err() {
            return Err(AppError::Busy(
                "too many sign-ins at once; try again in a moment".into(),
            ));
        }
        let (done, result) = oneshot::channel();
        let (stats, slots) = (Arc::clone(&self.stats), Arc::clone(&self.admitted));
        stats.waiting.fetch_add(1, Ordering::Relaxed);
        let job: Job = Box::new(move || {
            stats.waiting.fetch_sub(1, Ordering::Relaxed);
            stats.running.fetch_add(1, Ordering::Relaxed);
            let value = job(&stats);
            stats.running.fetch_sub(1, Ordering::Relaxed);
            slots.fetch_sub(1, Ordering::AcqRel);
            // The request may have gone away meanwhile; then nobody wants the answer.
            let _ = done.send(value);
        });
        if self.queue.send(job).is_err() {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            self.stats.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(AppError::internal(anyhow::anyhow!(
                "the hashing threads have stopped"
            )));
        }
        result
            .await
            .map_err(|_| AppError::internal(anyhow::anyhow!("a hashing job was dropped")))
    }
}

/// The hashing threads yield to everything else: with `low` (SCHED_BATCH, nice 19, the
/// default) or `idle` (SCHED_IDLE) a request thread or PostgreSQL backend that wakes up
/// runs before a hash (`benches/signin.sh` measures the three classes side by side).
/// Hashes still get every cycle nothing else wants. Lowering a priority needs no
/// privilege; if the system refuses anyway, hashing goes on at the normal priority.
fn lower_priority(priority: HashPriority) {
    use thread_priority::unix::{
        NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
        thread_native_id,
    };
    let (level, policy) = match priority {
        HashPriority::Normal => return,
        HashPriority::Low => (
            thread_priority::ThreadPriority::Min,
            NormalThreadSchedulePolicy::Batch,
        ),
        HashPriority::Idle => (
            thread_priority::ThreadPriority::Min,
            NormalThreadSchedulePolicy::Idle,
        ),
    };
    let lowered = set_thread_priority_and_policy(
        thread_native_id(),
        level,
        ThreadSchedulePolicy::Normal(policy),
    );
    if let Err(error) = lowered {
        tracing::warn!(?error, "could not lower the hashing threads' priority");
    }
}

fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        // Hold the lock only to take a job, never while running one.
        let job = match jobs.lock() {
            Ok(jobs) => jobs.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return, // every sender is gone: the server has stopped
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn jobs_run_and_a_full_queue_is_busy() {
        let hasher = Hasher::start(1, 1, HashPriority::Idle).unwrap();
        assert_eq!(hasher.run(|_| 2 + 2).await.unwrap(), 4);

        // Block the only thread, fill the one queue slot, and the next job is refused.
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let (started, running) = std::sync::mpsc::channel::<()>();
        let first = actix_web::rt::spawn({
            let hasher = hasher.clone();
            async move {
                hasher
                    .run(move |_| {
                        started.send(()).unwrap();
                        blocked.recv().unwrap();
                    })
                    .await
            }
        });
        // The job runs on the hashing thread once this test task yields.
        while running.try_recv().is_err() {
            actix_web::rt::task::yield_now().await;
        }
        let queued = actix_web::rt::spawn({
            let hasher = hasher.clone();
            async move { hasher.run(|_| ()).await }
        });
        // Wait until the second job sits in the queue (counted as waiting).
        while hasher.stats().waiting.load(Ordering::Relaxed) == 0 {
            actix_web::rt::task::yield_now().await;
        }
        assert!(matches!(hasher.run(|_| ()).await, Err(AppError::Busy(_))));
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        queued.await.unwrap().unwrap();
    }
}
