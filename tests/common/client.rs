//! A small HTTP/1.1 client over `TcpStream` for driving a server byte by byte.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use flate2::write::GzEncoder;
use flate2::Compression;
use influxlp::server::Server;

/// A response as the client received it: the type the in-memory `Exchange` answers with too.
pub use influxlp::server::Answer as Reply;

/// A reply's body read as text or JSON.
pub trait ReplyBody {
    fn text(&self) -> String;
    fn json(&self) -> serde_json::Value;
}

impl ReplyBody for Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Asserts the status, showing the body when it differs (where a server says what went wrong).
pub fn assert_status(reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{}", reply.text());
}

/// One keep-alive connection.
pub struct Connection {
    reader: BufReader<TcpStream>,
}

impl Connection {
    pub fn open(addr: SocketAddr) -> Connection {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        Connection {
            reader: BufReader::new(stream),
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).expect("write");
    }

    /// Sends a request with a Content-Length body and reads the answer.
    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        self.send_raw(&bytes);
        self.read_reply(method == "HEAD")
    }

    pub fn get(&mut self, target: &str) -> Reply {
        self.request("GET", target, &[], b"")
    }

    pub fn post(&mut self, target: &str, body: &[u8]) -> Reply {
        self.request("POST", target, &[], body)
    }

    pub fn read_reply(&mut self, head_only: bool) -> Reply {
        let mut status_line = String::new();
        self.reader
            .read_line(&mut status_line)
            .expect("status line");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("header");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("header colon");
            headers.push((name.to_string(), value.trim().to_string()));
        }
        let mut reply = Reply {
            status,
            headers,
            body: Vec::new(),
        };
        if head_only || status == 204 || status == 304 || (100..200).contains(&status) {
            return reply;
        }
        if reply
            .header("transfer-encoding")
            .is_some_and(|v| v.contains("chunked"))
        {
            loop {
                let mut size = String::new();
                self.reader.read_line(&mut size).unwrap();
                let size = usize::from_str_radix(size.trim(), 16).unwrap();
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk).unwrap();
                if size == 0 {
                    break;
                }
                reply.body.extend_from_slice(&chunk[..size]);
            }
        } else {
            let len: usize = reply
                .header("content-length")
                .map(|v| v.parse().unwrap())
                .unwrap_or(0);
            reply.body = vec![0; len];
            self.reader.read_exact(&mut reply.body).unwrap();
        }
        reply
    }
}

/// One request on a fresh connection.
pub fn request(
    server: &Server,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    Connection::open(server.local_addr()).request(method, target, headers, body)
}

pub fn post(server: &Server, target: &str, body: &str) -> Reply {
    request(server, "POST", target, &[], body.as_bytes())
}

pub fn get(server: &Server, target: &str) -> Reply {
    request(server, "GET", target, &[], b"")
}

/// A POST carrying an `Authorization` header.
pub fn post_as(server: &Server, target: &str, authorization: &str, body: &str) -> Reply {
    request(
        server,
        "POST",
        target,
        &[("Authorization", authorization)],
        body.as_bytes(),
    )
}

/// A POST whose body is sent as it is under a `Content-Encoding` header.
pub fn post_encoded(server: &Server, target: &str, encoding: &str, body: &[u8]) -> Reply {
    request(
        server,
        "POST",
        target,
        &[("Content-Encoding", encoding)],
        body,
    )
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Gzip at the best ratio (about 1000:1 on repetitive text).
pub fn gzip_best(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}
