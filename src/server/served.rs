//! What serving one request produced: the answer, the body the handler left unread (drained
//! or refused after the answer), and what the request log and recorder learn on the way.
//! Handlers return it instead of filling in a record passed down to them.

use bytes::Bytes;
use hyper::body::Incoming;

use super::faults::Plan;
use super::reply::HttpReply;

/// A handler's result.
pub struct Served {
    pub reply: HttpReply,
    /// The request body when the handler answered without reading it.
    pub unread: Option<Incoming>,
    pub seen: Seen,
}

impl Served {
    pub fn new(reply: HttpReply, unread: Option<Incoming>, seen: Seen) -> Served {
        Served {
            reply,
            unread,
            seen,
        }
    }

    /// An answer that learned nothing for the logs.
    pub fn answer(reply: HttpReply, unread: Option<Incoming>) -> Served {
        Served::new(reply, unread, Seen::default())
    }
}

/// What serving a request learns for the logs.
#[derive(Debug, Default)]
pub struct Seen {
    /// The body as received (empty when none was read).
    pub body: Bytes,
    /// The body is gzip as the flavor reads `Content-Encoding` (write endpoints).
    pub gzip: bool,
    pub fault: Option<&'static str>,
    /// What the faults decided (its latency is slept out before answering).
    pub plan: Plan,
    /// Close the connection without answering.
    pub dropped: bool,
    /// The body is a urlencoded form to a read endpoint, which takes parameters (credentials
    /// among them) from it.
    pub form: bool,
}
