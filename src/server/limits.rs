//! A per-request read deadline for a connection, as Go's `http.Server.ReadTimeout`: the clock
//! starts with the first byte of a request and stops when the answer is written, so a client
//! that trickles a head or body (one byte a second) is cut off, while a slow handler is not
//! timed. (Idle keep-alive connections are closed by hyper's header read timeout, set to the
//! same duration.)

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// An I/O stream whose reads fail with `TimedOut` once a request has been arriving for longer
/// than `timeout`.
pub struct ReadDeadline<I> {
    io: I,
    timeout: Duration,
    /// Set while a request is arriving: from its first byte until the next write.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl<I> ReadDeadline<I> {
    pub fn new(io: I, timeout: Duration) -> Self {
        ReadDeadline {
            io,
            timeout,
            deadline: None,
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for ReadDeadline<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(deadline) = this.deadline.as_mut() {
            if deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "request read timeout",
                )));
            }
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            if this.deadline.is_none() {
                let mut sleep = Box::pin(tokio::time::sleep_until(Instant::now() + this.timeout));
                // Register the waker now, so a client that stalls after this byte is woken.
                let _ = sleep.as_mut().poll(cx);
                this.deadline = Some(sleep);
            }
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for ReadDeadline<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.deadline = None;
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.deadline = None;
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_trickling_request_times_out() {
        runtime().block_on(async {
            let (mut client, server) = tokio::io::duplex(64);
            let mut server = ReadDeadline::new(server, Duration::from_millis(500));
            let trickle = tokio::spawn(async move {
                for _ in 0..10 {
                    client.write_all(b"x").await.unwrap();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                client
            });
            let mut buf = [0u8; 8];
            let mut got = 0;
            let error = loop {
                match server.read(&mut buf).await {
                    Ok(n) => got += n,
                    Err(e) => break e,
                }
            };
            assert_eq!(error.kind(), io::ErrorKind::TimedOut);
            assert!((3..=7).contains(&got), "{got} bytes before the timeout");
            drop(trickle);
        });
    }

    #[test]
    fn idle_connections_and_answered_requests_are_not_timed() {
        runtime().block_on(async {
            let (mut client, server) = tokio::io::duplex(64);
            let mut server = ReadDeadline::new(server, Duration::from_millis(500));
            let talk = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(1200)).await;
                client.write_all(b"first").await.unwrap();
                let mut answer = [0u8; 2];
                client.read_exact(&mut answer).await.unwrap();
                tokio::time::sleep(Duration::from_millis(1200)).await;
                client.write_all(b"second").await.unwrap();
                client
            });
            let mut buf = [0u8; 5];
            server.read_exact(&mut buf).await.unwrap();
            server.write_all(b"ok").await.unwrap();
            let mut buf = [0u8; 6];
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"second");
            drop(talk.await.unwrap());
        });
    }
}
