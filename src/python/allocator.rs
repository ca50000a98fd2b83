//! The extension's Rust allocations go to jemalloc, which hands freed memory back to the system.
//!
//! With glibc's malloc, a server whose worker and blocking threads take turns building and
//! dropping batches kept what they freed in per-thread arenas: in a soak that empties the store
//! after each round, 4 MiB stayed in use every time while resident memory climbed
//! 58 → 77 → 111 → 149 MiB, and `malloc_trim` could not give it back. jemalloc's background
//! thread returns pages that stay unused for a second (`dirty_decay_ms`) straight to the system
//! (`muzzy_decay_ms:0`), so resident memory follows what the store holds. The prefixed build
//! (`_rjem_` symbols) leaves the host process's `malloc` alone; `_RJEM_MALLOC_CONF` in the
//! environment still overrides these settings. Only the extension module sets an allocator:
//! the Rust library leaves that choice to the program that links it.

use std::ffi::c_char;

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's `malloc_conf`: a C string pointer it reads once, at its first allocation.
#[repr(transparent)]
pub struct MallocConf(*const c_char);

// SAFETY: the pointer is to a static, immutable C string literal.
unsafe impl Sync for MallocConf {}

#[export_name = "_rjem_malloc_conf"]
pub static MALLOC_CONF: MallocConf =
    MallocConf(c"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0".as_ptr());
