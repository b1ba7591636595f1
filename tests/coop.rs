//! Cooperative scheduling: a task looping on operations that are always
//! ready yields to the other tasks on its worker once its budget is spent.

use std::cell::Cell;
use std::rc::Rc;

use ringline::io::AsyncWriteExt;
use ringline::net::{TcpListener, TcpStream};
use ringline::task::{self, coop};

/// Iterations after which a loop that never yielded gives up (a failure,
/// not a hang).
const BOUND: usize = 20_000;

/// Spawns a task that sets the returned flag, then runs `spin` (which
/// loops until the flag is set or `BOUND` iterations) and returns how many
/// iterations it took.
async fn iterations_before_neighbour_runs<F, Fut>(spin: F) -> usize
where
    F: FnOnce(Rc<Cell<bool>>) -> Fut,
    Fut: std::future::Future<Output = usize> + 'static,
{
    let flag = Rc::new(Cell::new(false));
    // The spinning task is queued first, so it runs before its neighbour.
    let spinner = task::spawn_local(spin(flag.clone()));
    let neighbour = task::spawn_local(async move { flag.set(true) });
    let n = spinner.await.unwrap();
    neighbour.await.unwrap();
    n
}

async fn connected_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

#[ringline::test]
async fn always_ready_peek_loop_yields() {
    let (mut client, server) = connected_pair().await;
    client.write_all(b"always here").await.unwrap();
    let mut buf = [0u8; 4];
    // Wait until the bytes arrived, so every later peek is ready at once.
    server.peek(&mut buf).await.unwrap();
    let n = iterations_before_neighbour_runs(|flag| async move {
        let mut buf = [0u8; 4];
        let mut n = 0;
        while !flag.get() && n < BOUND {
            assert!(server.peek(&mut buf).await.unwrap() > 0);
            n += 1;
        }
        n
    })
    .await;
    assert!(n > 0 && n < BOUND, "the peek loop never yielded ({n})");
    assert!(n <= 129, "yielded after {n} ready peeks, budget is 128");
}

#[ringline::test]
async fn ready_channel_loop_yields_with_cooperative() {
    let n = iterations_before_neighbour_runs(|flag| async move {
        let (tx, mut rx) = ringline::sync::mpsc::unbounded_channel::<u32>();
        let mut n = 0;
        while !flag.get() && n < BOUND {
            tx.send(1).unwrap();
            coop::cooperative(rx.recv()).await.unwrap();
            n += 1;
        }
        n
    })
    .await;
    assert!(n > 0 && n < BOUND, "the channel loop never yielded ({n})");
}

#[ringline::test]
async fn consume_budget_yields() {
    let n = iterations_before_neighbour_runs(|flag| async move {
        let mut n = 0;
        while !flag.get() && n < BOUND {
            task::consume_budget().await;
            n += 1;
        }
        n
    })
    .await;
    // 128 units in the first poll; the 129th waits for the next one.
    assert_eq!(n, 129);
}

#[ringline::test]
async fn budget_is_per_task_poll() {
    // The future `block_on` runs has a budget too, as in tokio.
    assert!(coop::has_budget_remaining());
    for _ in 0..128 {
        task::consume_budget().await;
    }
    // Spent: the next unit yields once, and the fresh poll has budget again.
    task::consume_budget().await;
    assert!(coop::has_budget_remaining());
}

#[ringline::test]
async fn unconstrained_never_yields() {
    let n = iterations_before_neighbour_runs(|flag| {
        task::unconstrained(async move {
            let mut n = 0;
            while !flag.get() && n < 1_000 {
                task::consume_budget().await;
                n += 1;
            }
            n
        })
    })
    .await;
    assert_eq!(n, 1_000);
}

#[test]
fn no_budget_outside_a_task() {
    assert!(coop::has_budget_remaining());
}

#[ringline::test]
async fn yield_now_lets_the_driver_run_before_the_task_resumes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Rc::new(Cell::new(false));
    let acceptor = {
        let accepted = accepted.clone();
        task::spawn_local(async move {
            let _conn = listener.accept().await.unwrap();
            accepted.set(true);
        })
    };
    let yielder = task::spawn_local(async move {
        task::yield_now().await; // the acceptor has armed its accept
                                 // Connected by the kernel (the backlog), not yet seen by the driver.
        let _client = std::net::TcpStream::connect(addr).unwrap();
        let mut yields = 0;
        while !accepted.get() && yields < 10 {
            task::yield_now().await;
            yields += 1;
        }
        accepted.get()
    });
    assert!(yielder.await.unwrap(), "ten yields went by without the driver seeing the connection");
    acceptor.await.unwrap();
}

/// `ringline::io`'s in-memory utilities spend the budget as tokio's spend
/// tokio's: a loop over an always-ready one yields within 128 operations.
#[ringline::test]
async fn in_memory_io_utilities_yield() {
    use ringline::io::{AsyncReadExt, AsyncWriteExt};

    let writes = iterations_before_neighbour_runs(|flag| async move {
        let mut sink = ringline::io::sink();
        let mut n = 0;
        while !flag.get() && n < BOUND {
            sink.write_all(b"gone").await.unwrap();
            n += 1;
        }
        n
    })
    .await;
    assert!(writes > 0 && writes <= 129, "sink writes before yielding: {writes}");

    let reads = iterations_before_neighbour_runs(|flag| async move {
        let mut repeat = ringline::io::repeat(7);
        let mut n = 0;
        let mut byte = [0u8; 1];
        while !flag.get() && n < BOUND {
            repeat.read_exact(&mut byte).await.unwrap();
            n += 1;
        }
        n
    })
    .await;
    assert!(reads > 0 && reads <= 129, "repeat reads before yielding: {reads}");

    let (mut a, mut b) = ringline::io::duplex(64);
    let echoes = iterations_before_neighbour_runs(|flag| async move {
        let mut n = 0;
        let mut byte = [0u8; 1];
        while !flag.get() && n < BOUND {
            a.write_all(b"x").await.unwrap();
            b.read_exact(&mut byte).await.unwrap();
            n += 1;
        }
        n
    })
    .await;
    assert!(echoes > 0 && echoes <= 129, "duplex round trips before yielding: {echoes}");
}

/// `io::copy` between always-ready ends spends the budget per copy.
#[ringline::test]
async fn copy_loop_yields() {
    let copies = iterations_before_neighbour_runs(|flag| async move {
        let mut n = 0;
        while !flag.get() && n < BOUND {
            let mut reader: &[u8] = b"hello";
            let mut writer: Vec<u8> = Vec::new();
            ringline::io::copy(&mut reader, &mut writer).await.unwrap();
            n += 1;
        }
        n
    })
    .await;
    assert!(copies > 0 && copies <= 129, "copies before yielding: {copies}");
}

/// UDP sends and receives spend the budget: a send/receive loop on a socket
/// that always has a datagram waiting yields within 128 operations.
#[ringline::test]
async fn udp_send_recv_loop_yields() {
    let socket = ringline::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.connect(socket.local_addr().unwrap()).await.unwrap();
    let ops = iterations_before_neighbour_runs(|flag| async move {
        let mut n = 0;
        let mut buf = [0u8; 8];
        while !flag.get() && n < BOUND {
            socket.send(b"ping").await.unwrap();
            assert_eq!(socket.recv(&mut buf).await.unwrap(), 4);
            n += 2;
        }
        n
    })
    .await;
    assert!(ops > 0 && ops <= 130, "UDP operations before yielding: {ops}");
}

/// Writes to a child's stdin spend the budget, as tokio's do: a child that
/// never reads leaves 64 KiB of room in the pipe, far more than one budget.
#[ringline::test]
async fn child_stdin_write_loop_yields() {
    let mut child = ringline::process::Command::new("sleep")
        .arg("10")
        .stdin(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"x").await.unwrap(); // the pipe is known writable from here on
    let writes = iterations_before_neighbour_runs(|flag| async move {
        let mut n = 0;
        while !flag.get() && n < BOUND {
            stdin.write_all(b"x").await.unwrap();
            n += 1;
        }
        n
    })
    .await;
    assert!(writes > 0 && writes <= 129, "writes before yielding: {writes}");
}
