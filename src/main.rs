use clap::Parser;

fn main() {
    wsalint::engine::set_memory_hooks(wsalint::engine::MemoryHooks {
        before_run: map_large_blocks,
        release: trim,
    });
    let cli = wsalint::cli::Cli::parse();
    std::process::exit(wsalint::run::main(cli));
}

/// Has glibc map every large block on its own and unmap it when freed. By default, once such a
/// block is freed glibc raises its mapping threshold and serves the next ones from the heap,
/// where pages of freed trees stay resident; a fixed threshold also keeps the threshold from
/// following the largest file seen.
fn map_large_blocks() {
    // SAFETY: mallopt only changes the allocator's tuning; it takes the arena locks itself.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 << 10);
    }
}

/// Returns the allocator's free pages to the system (glibc only; elsewhere nothing to do).
fn trim() {
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}
