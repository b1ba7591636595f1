//! What a load connection sends, and how it knows a response is complete.

/// A request/response protocol for the closed-loop load generator.
pub trait Protocol {
    /// The bytes of one request.
    fn request(&self) -> &[u8];
    /// If `buf` starts with a complete response, its length.
    fn response_len(&self, buf: &[u8]) -> Option<usize>;
    /// The length of every response, if fixed: the bytes then need counting,
    /// not keeping.
    fn fixed_response_len(&self) -> Option<usize> {
        None
    }
}

/// Echo: the response is the request, byte for byte.
pub struct Echo {
    message: Vec<u8>,
}

impl Echo {
    /// A `size`-byte message.
    pub fn new(size: usize) -> Echo {
        Echo { message: (0..size).map(|i| b'a' + (i % 26) as u8).collect() }
    }
}

impl Protocol for Echo {
    fn request(&self) -> &[u8] {
        &self.message
    }

    fn response_len(&self, buf: &[u8]) -> Option<usize> {
        (buf.len() >= self.message.len()).then_some(self.message.len())
    }

    fn fixed_response_len(&self) -> Option<usize> {
        Some(self.message.len())
    }
}

/// HTTP/1.1 keep-alive `GET /`; responses must carry a Content-Length.
pub struct Http {
    request: Vec<u8>,
}

impl Http {
    /// `GET path` with a Host header.
    pub fn get(host: &str, path: &str) -> Http {
        Http { request: format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes() }
    }
}

impl Protocol for Http {
    fn request(&self) -> &[u8] {
        &self.request
    }

    fn response_len(&self, buf: &[u8]) -> Option<usize> {
        let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
        let head = std::str::from_utf8(&buf[..head_end]).ok()?;
        let body_len: usize = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse().ok())
            .unwrap_or(0);
        (buf.len() >= head_end + body_len).then_some(head_end + body_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_waits_for_whole_message() {
        let p = Echo::new(4);
        assert_eq!(p.request(), b"abcd");
        assert_eq!(p.response_len(b"abc"), None);
        assert_eq!(p.response_len(b"abcdab"), Some(4));
    }

    #[test]
    fn http_uses_content_length() {
        let p = Http::get("h", "/");
        assert_eq!(p.request(), b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        let resp = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
        assert_eq!(p.response_len(&resp[..resp.len() - 1]), None);
        assert_eq!(p.response_len(resp), Some(resp.len()));
        assert_eq!(p.response_len(b"HTTP/1.1 200 OK\r\n"), None);
    }
}
