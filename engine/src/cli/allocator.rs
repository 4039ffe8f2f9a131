//! The C allocator's settings for a Meridian process, made once at start
//! (glibc only): what keeps a 100,000-resource `up` from holding far more
//! memory than it uses. Programs that embed the engine without its CLI keep
//! their own settings.

/// Tunes glibc's malloc before the runtime's threads start. By default a
/// freed large block raises the size below which blocks come from the heap
/// instead of their own mapping (up to 32 MB), so the run's big tables end
/// up in the heap, where what they leave when freed is not given back; and
/// each thread that allocates may get an arena of its own. A fixed trim
/// threshold (which also fixes that size) and two arenas took the peak RSS
/// of a 30,000-resource `up` from 265 MB to 177 MB (BENCHMARKS.md, 1).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(super) fn tune() {
    use std::os::raw::c_int;
    // From glibc's <malloc.h>.
    const M_TRIM_THRESHOLD: c_int = -1;
    const M_ARENA_MAX: c_int = -8;
    unsafe extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }
    // SAFETY: `mallopt` takes two integers, only changes the allocator's
    // parameters, and is thread-safe; a rejected value leaves the default.
    unsafe {
        mallopt(M_TRIM_THRESHOLD, 128 * 1024);
        mallopt(M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(super) fn tune() {}
