//! Owned buffers for completion I/O (ringline's own; tokio has no such
//! thing): the buffer moves into the operation and comes back with its
//! result, so the kernel never touches memory the caller could free.
//!
//! [`AlignedBuf`] is the buffer `O_DIRECT` files need: its address and
//! capacity are multiples of the alignment the device asks for.

use std::alloc::{self, Layout};
use std::io;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// A buffer an operation may read from while it owns it.
///
/// # Safety
/// `stable_ptr` must point to `bytes_init` initialized bytes that stay valid
/// and unmoved, even when the value itself is moved, until it is dropped or
/// changed through `&mut`.
pub unsafe trait IoBuf: Send + Unpin + 'static {
    /// Where the bytes start.
    fn stable_ptr(&self) -> *const u8;

    /// How many bytes (from the start) hold data.
    fn bytes_init(&self) -> usize;
}

/// A buffer an operation may write into while it owns it.
///
/// # Safety
/// As for [`IoBuf`], and `stable_mut_ptr` must be valid for writes of
/// `bytes_total` bytes.
pub unsafe trait IoBufMut: IoBuf {
    /// Where the kernel writes.
    fn stable_mut_ptr(&mut self) -> *mut u8;

    /// How many bytes may be written (the capacity).
    fn bytes_total(&self) -> usize;

    /// The first `n` bytes were written: they are now the buffer's contents.
    ///
    /// # Safety
    /// `n <= bytes_total()` and the first `n` bytes are initialized.
    unsafe fn set_init(&mut self, n: usize);
}

// SAFETY: a Vec's heap memory stays put when the Vec moves; `len` bytes are
// initialized and `capacity` are writable.
unsafe impl IoBuf for Vec<u8> {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len()
    }
}

// SAFETY: as above.
unsafe impl IoBufMut for Vec<u8> {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }

    fn bytes_total(&self) -> usize {
        self.capacity()
    }

    unsafe fn set_init(&mut self, n: usize) {
        // SAFETY: the caller promises n <= capacity and that n bytes are written.
        unsafe { self.set_len(n) }
    }
}

/// A heap buffer whose address and capacity are multiples of an alignment
/// (4096 by default), for `O_DIRECT` files. Its memory is zeroed when it is
/// made, so every byte up to the capacity is always initialized.
///
/// ```
/// let mut buf = ringline::fs::AlignedBuf::with_capacity(8192);
/// buf.extend_from_slice(&[7; 4096]);
/// assert_eq!(buf.len(), 4096);
/// assert_eq!(buf.as_ptr() as usize % 4096, 0);
/// ```
pub struct AlignedBuf {
    ptr: NonNull<u8>,
    layout: Layout,
    len: usize,
}

// SAFETY: AlignedBuf owns its memory exclusively, like a Vec<u8>.
unsafe impl Send for AlignedBuf {}
// SAFETY: shared access is read-only.
unsafe impl Sync for AlignedBuf {}

impl AlignedBuf {
    /// The alignment `with_capacity` uses: a page, which every block device
    /// accepts.
    pub const DEFAULT_ALIGN: usize = 4096;

    /// An empty buffer of at least `capacity` bytes (rounded up to a
    /// multiple of 4096), aligned to 4096.
    pub fn with_capacity(capacity: usize) -> AlignedBuf {
        AlignedBuf::new(capacity, Self::DEFAULT_ALIGN).expect("4096 is a valid alignment")
    }

    /// An empty buffer of at least `capacity` bytes (rounded up to a
    /// multiple of `align`), aligned to `align`. `InvalidInput` when `align`
    /// is not a power of two or the size overflows.
    pub fn new(capacity: usize, align: usize) -> io::Result<AlignedBuf> {
        let invalid = |_| io::Error::new(io::ErrorKind::InvalidInput, "invalid alignment or capacity");
        let size = capacity.max(1).checked_next_multiple_of(align.max(1)).ok_or(io::ErrorKind::InvalidInput)?;
        let layout = Layout::from_size_align(size, align).map_err(invalid)?;
        // SAFETY: the layout's size is at least 1.
        let ptr = unsafe { alloc::alloc_zeroed(layout) };
        let Some(ptr) = NonNull::new(ptr) else { alloc::handle_alloc_error(layout) };
        Ok(AlignedBuf { ptr, layout, len: 0 })
    }

    /// The alignment of the address and capacity.
    pub fn align(&self) -> usize {
        self.layout.align()
    }

    /// How many bytes the buffer can hold.
    pub fn capacity(&self) -> usize {
        self.layout.size()
    }

    /// Sets the length; bytes past the old length keep what they held
    /// (zero, or earlier contents). Panics past the capacity.
    pub fn set_len(&mut self, len: usize) {
        assert!(len <= self.capacity(), "AlignedBuf::set_len: {len} exceeds the capacity {}", self.capacity());
        self.len = len;
    }

    /// Empties the buffer (keeps the capacity).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Appends `bytes`. Panics when they do not fit in the capacity.
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        assert!(end <= self.capacity(), "AlignedBuf: {end} bytes exceed the capacity {}", self.capacity());
        // SAFETY: `len..end` lies inside the allocation; `bytes` cannot alias
        // memory we hold `&mut` to.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.as_ptr().add(self.len), bytes.len()) };
        self.len = end;
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout, freed once.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), self.layout) };
    }
}

impl Deref for AlignedBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: the whole allocation is initialized (zeroed at birth) and
        // `len <= capacity`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl DerefMut for AlignedBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`, and `&mut self` is exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl std::fmt::Debug for AlignedBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlignedBuf").field("len", &self.len).field("capacity", &self.capacity()).finish()
    }
}

// SAFETY: the allocation is owned, never moves, and `len` bytes are initialized.
unsafe impl IoBuf for AlignedBuf {
    fn stable_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len
    }
}

// SAFETY: the whole capacity is writable and always initialized.
unsafe impl IoBufMut for AlignedBuf {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    fn bytes_total(&self) -> usize {
        self.capacity()
    }

    unsafe fn set_init(&mut self, n: usize) {
        self.set_len(n);
    }
}
