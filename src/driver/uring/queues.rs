//! Per-connection byte queues of an io_uring stream.
//!
//! A drained queue gives its small buffers to a per-thread cache of spares
//! instead of freeing them, and a queue that needs buffers takes spares
//! first: with many connections each passing small messages, every message
//! would otherwise cost a few `malloc`/`free` pairs past the allocator's
//! own small per-thread cache.

use std::cell::RefCell;
use std::io::IoSlice;

use tokio::io::ReadBuf;

/// Bytes received and not yet read. Holds no buffer while empty, or while
/// drained, a big one kept for the next message.
#[derive(Default)]
pub(crate) struct RecvQueue {
    bufs: Option<Box<RecvBuffer>>,
    /// Bytes queued, kept here so that asking costs no visit to the buffer
    /// (a cache miss per read on a busy server).
    len: usize,
}

#[derive(Default)]
struct RecvBuffer {
    bytes: Vec<u8>,
    /// Bytes before `start` were already read.
    start: usize,
}

/// A drained queue frees buffers up to this size (the allocator's thread
/// cache makes the next small allocation cheap, and an idle connection then
/// holds nothing) and keeps bigger ones, up to `KEEP_CAPACITY`, for the next
/// message: allocating and freeing 16 KiB per message costs more than the copy.
const FREE_BELOW: usize = 4 * 1024;
/// The most capacity a drained queue keeps.
const KEEP_CAPACITY: usize = 64 * 1024;
/// Spare drained buffers kept per thread, of each kind.
const SPARES: usize = 64;

// The boxes are what is reused: a spare is a whole drained queue buffer.
#[allow(clippy::vec_box)]
type Spares<T> = RefCell<Vec<Box<T>>>;

thread_local! {
    static SPARE_RECV: Spares<RecvBuffer> = const { RefCell::new(Vec::new()) };
    static SPARE_SEND: Spares<SendBuffers> = const { RefCell::new(Vec::new()) };
}

/// A spare from `cache`, or a new one.
fn take_spare<T: Default>(cache: &'static std::thread::LocalKey<Spares<T>>) -> Box<T> {
    cache.try_with(|spares| spares.borrow_mut().pop()).ok().flatten().unwrap_or_default()
}

/// Keeps a drained (cleared) buffer in `cache` if there is room, else frees it.
fn give_spare<T>(cache: &'static std::thread::LocalKey<Spares<T>>, spare: Box<T>) {
    let _ = cache.try_with(|spares| {
        let mut spares = spares.borrow_mut();
        if spares.len() < SPARES {
            spares.push(spare);
        }
    });
}

impl RecvQueue {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        let buf = self.bufs.get_or_insert_with(|| take_spare(&SPARE_RECV));
        if buf.start > 0 && buf.start >= buf.bytes.len() / 2 {
            buf.bytes.drain(..buf.start);
            buf.start = 0;
        }
        buf.bytes.extend_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Frees the buffer a drained queue kept for the next message: the
    /// connection reads on demand now, and no receive will fill it.
    pub(crate) fn release(&mut self) {
        if self.len == 0 {
            self.bufs = None;
        }
    }

    /// Whether the queue holds a buffer (for tests).
    #[cfg(test)]
    pub(crate) fn holds_buffer(&self) -> bool {
        self.bufs.is_some()
    }

    /// Copies as much as fits into `dst`; with `consume` the bytes are gone
    /// from the queue, without it they stay (peek).
    pub(crate) fn copy_to(&mut self, dst: &mut ReadBuf<'_>, consume: bool) -> usize {
        if self.len == 0 {
            return 0;
        }
        let Some(buf) = self.bufs.as_mut() else { return 0 };
        let n = (buf.bytes.len() - buf.start).min(dst.remaining());
        dst.put_slice(&buf.bytes[buf.start..buf.start + n]);
        if consume {
            self.len -= n;
            buf.start += n;
            if buf.start == buf.bytes.len() {
                buf.bytes.clear();
                buf.start = 0;
                if buf.bytes.capacity() < FREE_BELOW {
                    give_spare(&SPARE_RECV, self.bufs.take().expect("checked above"));
                } else {
                    buf.bytes.shrink_to(KEEP_CAPACITY);
                }
            }
        }
        n
    }
}

/// Bytes accepted by `poll_write` and not yet taken by the kernel.
///
/// `inflight` is what the kernel is sending now; its memory is never touched
/// until the send completes. New bytes go to `pending` meanwhile. An idle
/// connection holds no buffers at all (one pointer).
#[derive(Default)]
pub(crate) struct SendQueue {
    bufs: Option<Box<SendBuffers>>,
    /// Bytes not yet taken by the kernel, kept here so that asking costs no
    /// visit to the buffers.
    len: usize,
}

#[derive(Default)]
struct SendBuffers {
    inflight: Vec<u8>,
    /// Bytes of `inflight` the kernel already took.
    sent: usize,
    pending: Vec<u8>,
}

impl SendQueue {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.bufs.get_or_insert_with(|| take_spare(&SPARE_SEND)).pending.extend_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Appends the bytes of `bufs`, in order, after skipping the first `skip`
    /// of them, up to `limit` bytes; returns how many it appended.
    pub(crate) fn push_slices(&mut self, bufs: &[IoSlice<'_>], mut skip: usize, limit: usize) -> usize {
        let mut pushed = 0;
        for buf in bufs {
            if pushed == limit {
                break;
            }
            if skip >= buf.len() {
                skip -= buf.len();
                continue;
            }
            let part = &buf[skip..];
            skip = 0;
            let n = part.len().min(limit - pushed);
            self.push(&part[..n]);
            pushed += n;
        }
        pushed
    }

    /// The bytes to send next (call only when no send is in flight).
    pub(crate) fn next_chunk(&mut self) -> Option<&[u8]> {
        let bufs = self.bufs.as_mut()?;
        if bufs.sent == bufs.inflight.len() {
            bufs.inflight.clear();
            bufs.sent = 0;
            std::mem::swap(&mut bufs.inflight, &mut bufs.pending);
            if bufs.inflight.is_empty() {
                // Everything was sent: spare small buffers, keep big ones.
                if bufs.pending.capacity() < FREE_BELOW {
                    let drained = self.bufs.take().expect("checked above");
                    if drained.inflight.capacity() < FREE_BELOW {
                        give_spare(&SPARE_SEND, drained);
                    }
                } else {
                    bufs.pending.shrink_to(KEEP_CAPACITY);
                }
                return None;
            }
        }
        let bufs = self.bufs.as_ref()?;
        Some(&bufs.inflight[bufs.sent..])
    }

    /// The kernel took `n` more bytes of the chunk.
    pub(crate) fn advance(&mut self, n: usize) {
        if let Some(b) = self.bufs.as_mut() {
            let n = n.min(b.inflight.len() - b.sent);
            b.sent += n;
            self.len -= n;
        }
    }

    pub(crate) fn clear(&mut self) {
        self.bufs = None;
        self.len = 0;
    }

    /// Takes every byte not yet sent, in order (call only when no send is
    /// in flight), leaving the queue empty.
    pub(crate) fn take_unsent(&mut self) -> Vec<u8> {
        let Some(mut bufs) = self.bufs.take() else { return Vec::new() };
        self.len = 0;
        let mut unsent = std::mem::take(&mut bufs.inflight);
        unsent.drain(..bufs.sent);
        unsent.append(&mut bufs.pending);
        unsent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recv_queue_keeps_order_across_partial_reads() {
        let mut q = RecvQueue::default();
        q.extend(b"hello ");
        q.extend(b"world");
        let mut out = [0u8; 4];
        let mut rb = ReadBuf::new(&mut out);
        assert_eq!(q.copy_to(&mut rb, false), 4);
        assert_eq!(&out, b"hell");
        let mut all = Vec::new();
        while !q.is_empty() {
            let mut out = [0u8; 3];
            let mut rb = ReadBuf::new(&mut out);
            let n = q.copy_to(&mut rb, true);
            all.extend_from_slice(&out[..n]);
            q.extend(b"");
        }
        assert_eq!(all, b"hello world");
    }

    #[test]
    fn unsent_bytes_come_out_in_order_after_a_partial_send() {
        let mut q = SendQueue::default();
        q.push(b"abcdef");
        assert_eq!(q.next_chunk(), Some(&b"abcdef"[..]));
        q.push(b"gh");
        q.advance(2);
        assert_eq!(q.take_unsent(), b"cdefgh");
        assert!(q.is_empty());
        assert_eq!(q.take_unsent(), b"");
    }

    #[test]
    fn send_queue_resumes_partial_sends() {
        let mut q = SendQueue::default();
        q.push(b"abcdef");
        assert_eq!(q.next_chunk(), Some(&b"abcdef"[..]));
        q.push(b"gh");
        q.advance(4);
        assert_eq!(q.len(), 4);
        assert_eq!(q.next_chunk(), Some(&b"ef"[..]));
        q.advance(2);
        assert_eq!(q.next_chunk(), Some(&b"gh"[..]));
        q.advance(2);
        assert_eq!(q.next_chunk(), None);
        assert!(q.is_empty());
    }

    #[test]
    fn push_slices_skips_then_stops_at_the_limit() {
        let mut q = SendQueue::default();
        let bufs = [IoSlice::new(b"abc"), IoSlice::new(b""), IoSlice::new(b"defg"), IoSlice::new(b"hi")];
        // "abcd" went out already; room for four more bytes.
        assert_eq!(q.push_slices(&bufs, 4, 4), 4);
        assert_eq!(q.push_slices(&bufs, 8, 100), 1);
        assert_eq!(q.push_slices(&bufs, 9, 100), 0, "everything skipped");
        assert_eq!(q.next_chunk(), Some(&b"efghi"[..]));
    }
}
