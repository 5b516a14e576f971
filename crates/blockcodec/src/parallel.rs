//! The one seam between serial and parallel execution: rayon behind the `parallel` feature,
//! a plain loop otherwise (wasm and other single-threaded targets).

use crate::error::Result;

/// Runs `f(index, job)` for every job, on up to `nthreads` threads. The first error (in no
/// particular order) is returned; results written through the jobs are identical whatever the
/// thread count, because each job owns its own output.
pub(crate) fn try_for_each<J, F>(nthreads: usize, jobs: &mut [J], f: F) -> Result<()>
where
    J: Send,
    F: Fn(usize, &mut J) -> Result<()> + Sync + Send,
{
    #[cfg(feature = "parallel")]
    if nthreads > 1
        && jobs.len() > 1
        && let Some(pool) = pool::get(nthreads)
    {
        use rayon::prelude::*;
        return pool.install(|| {
            jobs.par_iter_mut()
                .enumerate()
                .try_for_each(|(i, job)| f(i, job))
        });
    }
    let _ = nthreads;
    jobs.iter_mut()
        .enumerate()
        .try_for_each(|(i, job)| f(i, job))
}

#[cfg(feature = "parallel")]
mod pool {
    use std::sync::{Arc, Mutex, OnceLock};

    type Pool = (usize, Arc<rayon::ThreadPool>);

    /// Thread pools by size, built once and kept: building a pool per call would cost more
    /// than compressing a chunk.
    static POOLS: OnceLock<Mutex<Vec<Pool>>> = OnceLock::new();

    pub(super) fn get(nthreads: usize) -> Option<Arc<rayon::ThreadPool>> {
        let mut pools = POOLS.get_or_init(|| Mutex::new(Vec::new())).lock().ok()?;
        if let Some((_, p)) = pools.iter().find(|(n, _)| *n == nthreads) {
            return Some(Arc::clone(p));
        }
        let pool = Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(nthreads)
                .build()
                .ok()?,
        );
        pools.push((nthreads, Arc::clone(&pool)));
        Some(pool)
    }
}
