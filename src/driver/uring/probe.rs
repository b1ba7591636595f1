//! Does this kernel give us the io_uring we need?

use std::io;
use std::sync::OnceLock;

use io_uring::{opcode, IoUring, Probe};

/// The opcodes every ringline io_uring driver uses.
const REQUIRED: &[(u8, &str)] = &[
    (opcode::Nop::CODE, "NOP"),
    (opcode::Read::CODE, "READ"),
    (opcode::Recv::CODE, "RECV"),
    (opcode::Send::CODE, "SEND"),
    (opcode::PollAdd::CODE, "POLL_ADD"),
    (opcode::Accept::CODE, "ACCEPT"),
    (opcode::Connect::CODE, "CONNECT"),
    (opcode::Shutdown::CODE, "SHUTDOWN"),
    (opcode::AsyncCancel::CODE, "ASYNC_CANCEL"),
];

/// Ok when io_uring can be set up, a NOP makes the round trip, every required
/// opcode is supported and provided-buffer rings register. Probed once per
/// process; the error says what was missing (EPERM from seccomp, ENOSYS, ...).
pub(crate) fn probe() -> io::Result<()> {
    static RESULT: OnceLock<Result<(), (io::ErrorKind, String)>> = OnceLock::new();
    RESULT
        .get_or_init(|| run_probe().map_err(|e| (e.kind(), e.to_string())))
        .clone()
        .map_err(|(kind, msg)| io::Error::new(kind, msg))
}

fn run_probe() -> io::Result<()> {
    let mut ring = IoUring::new(8).map_err(|e| annotate(e, "io_uring_setup"))?;
    let mut probe = Probe::new();
    ring.submitter().register_probe(&mut probe).map_err(|e| annotate(e, "IORING_REGISTER_PROBE"))?;
    for (code, name) in REQUIRED {
        if !probe.is_supported(*code) {
            return Err(io::Error::new(io::ErrorKind::Unsupported, format!("io_uring opcode {name} unsupported")));
        }
    }
    let nop = opcode::Nop::new().build().user_data(42);
    // SAFETY: a NOP references no memory.
    unsafe { ring.submission().push(&nop) }.map_err(|_| io::Error::other("io_uring submission queue full"))?;
    ring.submit_and_wait(1).map_err(|e| annotate(e, "io_uring_enter"))?;
    let cqe = ring.completion().next().ok_or_else(|| io::Error::other("io_uring NOP produced no completion"))?;
    if cqe.user_data() != 42 || cqe.result() != 0 {
        return Err(io::Error::other("io_uring NOP round trip returned garbage"));
    }
    let bufs = super::bufring::BufRing::new(&ring, super::bufring::RECV_GROUP, 1, 64)
        .map_err(|e| annotate(e, "IORING_REGISTER_PBUF_RING"))?;
    ring.submitter().unregister_buf_ring(super::bufring::RECV_GROUP)?;
    drop(bufs);
    Ok(())
}

fn annotate(e: io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}
