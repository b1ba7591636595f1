//! Per-connection byte queues of an io_uring stream.

use tokio::io::ReadBuf;

/// Bytes received and not yet read.
#[derive(Default)]
pub(crate) struct RecvQueue {
    buf: Vec<u8>,
    /// Bytes before `start` were already read.
    start: usize,
}

/// Capacity a drained queue may keep for the next burst.
const KEEP_CAPACITY: usize = 64 * 1024;

impl RecvQueue {
    pub(crate) fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Copies as much as fits into `dst`; with `consume` the bytes are gone
    /// from the queue, without it they stay (peek).
    pub(crate) fn copy_to(&mut self, dst: &mut ReadBuf<'_>, consume: bool) -> usize {
        let n = self.len().min(dst.remaining());
        dst.put_slice(&self.buf[self.start..self.start + n]);
        if consume {
            self.start += n;
            if self.start == self.buf.len() {
                self.buf.clear();
                self.start = 0;
                if self.buf.capacity() > KEEP_CAPACITY {
                    self.buf.shrink_to(KEEP_CAPACITY);
                }
            }
        }
        n
    }
}

/// Bytes accepted by `poll_write` and not yet taken by the kernel.
///
/// `inflight` is what the kernel is sending now; its memory is never touched
/// until the send completes. New bytes go to `pending` meanwhile.
#[derive(Default)]
pub(crate) struct SendQueue {
    inflight: Vec<u8>,
    /// Bytes of `inflight` the kernel already took.
    sent: usize,
    pending: Vec<u8>,
}

impl SendQueue {
    pub(crate) fn len(&self) -> usize {
        self.inflight.len() - self.sent + self.pending.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// The bytes to send next (call only when no send is in flight).
    pub(crate) fn next_chunk(&mut self) -> Option<&[u8]> {
        if self.sent == self.inflight.len() {
            self.inflight.clear();
            self.sent = 0;
            std::mem::swap(&mut self.inflight, &mut self.pending);
            if self.pending.capacity() > KEEP_CAPACITY {
                self.pending.shrink_to(KEEP_CAPACITY);
            }
        }
        (!self.inflight.is_empty()).then(|| &self.inflight[self.sent..])
    }

    /// The kernel took `n` more bytes of the chunk.
    pub(crate) fn advance(&mut self, n: usize) {
        self.sent = (self.sent + n).min(self.inflight.len());
    }

    pub(crate) fn clear(&mut self) {
        self.inflight.clear();
        self.pending.clear();
        self.sent = 0;
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
}
