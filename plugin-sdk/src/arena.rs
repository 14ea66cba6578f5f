//! # The plugin allocator (wasm only)
//!
//! The host gives every call a fresh instance and drops it afterwards, so a
//! plugin's heap never needs to outlive one call. This allocator hands out
//! memory from a static arena by bumping a pointer, and frees only the most
//! recent allocation (which makes `Vec`/`String` growth in place cheap).
//! The arena is part of the module's initial memory, so a call never has to
//! grow linear memory (a host round trip, page faults, and a reset after the
//! call). Past the arena, allocations fall back to the standard allocator.
//!
//! Enabled by the default `arena-allocator` feature; a plugin that keeps state
//! across calls (it cannot: instances are never reused) or that prefers its own
//! allocator turns the feature off.

#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use std::alloc::System;

/// Bytes served from the arena before falling back to the standard allocator.
const ARENA_BYTES: usize = 256 * 1024;

#[repr(C, align(16))]
struct Arena {
    bytes: UnsafeCell<[u8; ARENA_BYTES]>,
    /// Offset of the first free byte.
    next: UnsafeCell<usize>,
}

// SAFETY: a plugin instance runs one call on one thread (wasm32 without the
// threads proposal); nothing here is ever touched concurrently.
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena {
    bytes: UnsafeCell::new([0; ARENA_BYTES]),
    next: UnsafeCell::new(0),
};

/// The bump allocator over [`ARENA`].
struct BumpArena;

impl BumpArena {
    fn base() -> usize {
        ARENA.bytes.get() as usize
    }

    fn contains(ptr: *mut u8) -> bool {
        let at = ptr as usize;
        at >= Self::base() && at < Self::base() + ARENA_BYTES
    }
}

// SAFETY: every pointer handed out lies inside the arena (aligned, not
// overlapping a live allocation) or comes from `System`; single-threaded use.
unsafe impl GlobalAlloc for BumpArena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: single-threaded (see `Sync` above).
        let next = unsafe { &mut *ARENA.next.get() };
        let start = (Self::base() + *next).next_multiple_of(layout.align());
        let end = start + layout.size();
        if end <= Self::base() + ARENA_BYTES {
            *next = end - Self::base();
            start as *mut u8
        } else {
            // SAFETY: forwarded with the caller's layout.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !Self::contains(ptr) {
            // SAFETY: `ptr` came from `System` with this layout.
            return unsafe { System.dealloc(ptr, layout) };
        }
        // SAFETY: single-threaded.
        let next = unsafe { &mut *ARENA.next.get() };
        if ptr as usize + layout.size() == Self::base() + *next {
            *next = ptr as usize - Self::base();
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if Self::contains(ptr) {
            // SAFETY: single-threaded.
            let next = unsafe { &mut *ARENA.next.get() };
            let is_last = ptr as usize + layout.size() == Self::base() + *next;
            if is_last && ptr as usize + new_size <= Self::base() + ARENA_BYTES {
                *next = ptr as usize + new_size - Self::base();
                return ptr;
            }
        }
        // SAFETY: the default move-to-new-allocation path, with valid layouts.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = self.alloc(new_layout);
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

#[global_allocator]
static GLOBAL: BumpArena = BumpArena;
