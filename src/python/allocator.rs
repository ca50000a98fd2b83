//! The extension's Rust allocations go to jemalloc, which hands freed memory back to the system.
//!
//! With glibc's malloc, a server whose worker and blocking threads take turns building and
//! dropping batches kept what they freed in per-thread arenas: in a soak that empties the store
//! after each round, 4 MiB stayed in use every time while resident memory climbed
//! 58 → 77 → 111 → 149 MiB, and `malloc_trim` could not give it back. jemalloc returns pages
//! that stay unused for a second (`dirty_decay_ms`) straight to the system (`muzzy_decay_ms:0`),
//! so resident memory follows what the store holds.
//!
//! jemalloc would purge a freed block of 8 MiB or more (after merging it with its free
//! neighbours) at once, expecting no reuse. Parsing does reuse them: the columns of the next
//! body or batch (`iter_batches`, `convert`, a benchmark's next round) land where the last ones
//! were freed, and purged pages were faulted in again, about a sixth of the CPU time of parsing a
//! large body. Large blocks decay as the others do (`oversize_threshold:0` for the arenas jemalloc
//! creates as threads need them; arena 0 exists before the setting is read, so
//! [`keep_large_frees`] sets it there). The prefixed build (`_rjem_` symbols) leaves
//! the host process's `malloc` alone; `_RJEM_MALLOC_CONF` in the environment still overrides
//! these settings. Only the extension module sets an allocator: the Rust library leaves that
//! choice to the program that links it. jemalloc does not build with MSVC, where the system
//! allocator stays and [`BackgroundPurging`] does nothing.

use std::sync::Mutex;

#[cfg(not(target_env = "msvc"))]
mod jemalloc {
    use std::ffi::{c_char, c_void, CStr};

    #[global_allocator]
    static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

    /// jemalloc's `malloc_conf`: a C string pointer it reads once, at its first allocation.
    #[repr(transparent)]
    pub struct MallocConf(*const c_char);

    // SAFETY: the pointer is to a static, immutable C string literal.
    unsafe impl Sync for MallocConf {}

    #[export_name = "_rjem_malloc_conf"]
    pub static MALLOC_CONF: MallocConf = MallocConf(
        c"dirty_decay_ms:1000,muzzy_decay_ms:0,max_background_threads:1,oversize_threshold:0"
            .as_ptr(),
    );

    /// Arena 0's freed large blocks decay as the rest do instead of being purged at once.
    pub fn keep_large_frees() {
        // SAFETY: "arena.0.oversize_threshold" takes a size_t. A failure leaves jemalloc's
        // default (an eager purge).
        unsafe { write_control(c"arena.0.oversize_threshold", usize::MAX) }
    }

    /// Turns jemalloc's background purging thread on or off (off joins it).
    pub fn set_background_thread(on: bool) {
        // SAFETY: "background_thread" takes a bool. A failure (no thread support) leaves purging
        // to allocation activity.
        unsafe { write_control(c"background_thread", on) }
    }

    /// Writes `value` to jemalloc's control `name`; a failure leaves the setting as it was.
    ///
    /// # Safety
    /// `T` must be the type the control takes.
    unsafe fn write_control<T>(name: &CStr, mut value: T) {
        // SAFETY: `name` is NUL-terminated, `value` outlives the call and, as the caller
        // promises, has the control's type and size.
        unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                (&mut value as *mut T).cast::<c_void>(),
                std::mem::size_of::<T>(),
            );
        }
    }
}

#[cfg(target_env = "msvc")]
mod jemalloc {
    pub fn keep_large_frees() {}
    pub fn set_background_thread(_on: bool) {}
}

/// Lets freed blocks of 8 MiB and more be reused (see the module's notes); called once, when the
/// module is loaded (it starts no thread).
pub fn keep_large_frees() {
    jemalloc::keep_large_frees();
}

/// Running servers, each holding a [`BackgroundPurging`].
static HOLDERS: Mutex<usize> = Mutex::new(0);

/// Keeps jemalloc's background purging thread running while held: it returns decayed pages
/// while the process is otherwise idle, as a server between loads is (without it they go back
/// only as later allocations tick the decay along).
///
/// Servers hold one rather than `malloc_conf` turning it on for good: that would start the
/// thread at import, and a merely imported module must not make the process multi-threaded
/// (Python 3.12+ warns on every `os.fork()` then); dropping the last one joins the thread.
pub struct BackgroundPurging(());

impl BackgroundPurging {
    pub fn hold() -> Self {
        let mut holders = HOLDERS.lock().unwrap_or_else(|e| e.into_inner());
        // Turned on by every holder, not only the first: a forked child inherits the count but
        // not the thread.
        jemalloc::set_background_thread(true);
        *holders += 1;
        BackgroundPurging(())
    }
}

impl Drop for BackgroundPurging {
    fn drop(&mut self) {
        let mut holders = HOLDERS.lock().unwrap_or_else(|e| e.into_inner());
        *holders = holders.saturating_sub(1);
        if *holders == 0 {
            jemalloc::set_background_thread(false);
        }
    }
}
