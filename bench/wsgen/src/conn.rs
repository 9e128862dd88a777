//! One load connection: TCP connect, WebSocket upgrade and (in `mcp` mode) the MCP handshake,
//! all blocking with timeouts; then the socket is switched to non-blocking for the epoll loop.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;
use tungstenite::client::IntoClientRequest;
use tungstenite::http::HeaderValue;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

use crate::args::{Args, Mode, Target};

/// Connect, upgrade and handshake each get this long.
const SETUP_TIMEOUT: Duration = Duration::from_secs(10);
/// The protocol version the handshake asks for.
pub const PROTOCOL_VERSION: &str = "2025-11-25";

/// The request frames of a run, formatted around the id.
pub struct Frames {
    head: String,
    tail: String,
}

impl Frames {
    /// `tools/call` of `args.tool` with `args.arguments`.
    pub fn new(args: &Args) -> Self {
        let tool = serde_json::Value::String(args.tool.clone()).to_string();
        Frames {
            head: r#"{"jsonrpc":"2.0","id":"#.to_string(),
            tail: format!(
                r#","method":"tools/call","params":{{"name":{tool},"arguments":{}}}}}"#,
                args.arguments
            ),
        }
    }

    /// The `tools/call` frame with request id `id`.
    pub fn call(&self, id: u64) -> Message {
        let mut s = String::with_capacity(self.head.len() + self.tail.len() + 20);
        s.push_str(&self.head);
        s.push_str(itoa(id).as_str());
        s.push_str(&self.tail);
        Message::text(s)
    }
}

/// Decimal text of `n` without going through `fmt`.
fn itoa(mut n: u64) -> IdText {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    IdText { buf, start: i }
}

/// A request id as decimal digits on the stack.
struct IdText {
    buf: [u8; 20],
    start: usize,
}

impl IdText {
    fn as_str(&self) -> &str {
        // Only ASCII digits were written.
        std::str::from_utf8(&self.buf[self.start..]).unwrap_or("0")
    }
}

/// What a text frame from the server is, for a client waiting on request `id`.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// The result of request `id`.
    Ok,
    /// The answer to request `id`, but a JSON-RPC error or a tool result with `isError: true`.
    Failed,
    /// Something else: a notification, a server request, another id, or not JSON-RPC at all.
    Other,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    method: Option<&'a RawValue>,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

/// Classifies `text` as the answer to request `id` or not. The result itself is not parsed,
/// only scanned for `"isError":true`.
pub fn classify(text: &str, id: u64) -> Reply {
    let Ok(env) = serde_json::from_str::<Envelope>(text) else {
        return Reply::Other;
    };
    if env.method.is_some() || env.id.map(|r| r.get()) != Some(itoa(id).as_str()) {
        return Reply::Other;
    }
    match (env.result, env.error) {
        (Some(r), None) if !r.get().contains(r#""isError":true"#) => Reply::Ok,
        _ => Reply::Failed,
    }
}

/// The socket under a connection. Once [`Stream::arm`]ed (non-blocking, edge-triggered epoll),
/// a read that returns less than asked for means the socket was drained at that moment, so the
/// next read answers `WouldBlock` without a syscall: data arriving later raises a new epoll
/// event anyway. That saves the `EAGAIN` read that ends every drain loop (about one syscall per
/// round trip). Writes go straight through.
pub struct Stream {
    tcp: TcpStream,
    armed: bool,
    drained: bool,
}

impl Stream {
    /// The TCP socket.
    pub fn tcp(&self) -> &TcpStream {
        &self.tcp
    }

    /// Switches to non-blocking mode with the short-read shortcut.
    fn arm(&mut self) -> std::io::Result<()> {
        self.tcp.set_read_timeout(None)?;
        self.tcp.set_write_timeout(None)?;
        self.tcp.set_nonblocking(true)?;
        self.armed = true;
        Ok(())
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.drained {
            self.drained = false;
            return Err(ErrorKind::WouldBlock.into());
        }
        let n = self.tcp.read(buf)?;
        self.drained = self.armed && n < buf.len();
        Ok(n)
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tcp.flush()
    }
}

/// An open connection, ready for the load loop (non-blocking socket).
pub type Ws = WebSocket<Stream>;

fn setup_err(what: &str, url: &str, e: impl std::fmt::Display) -> String {
    format!("{what} {url}: {e}")
}

/// Opens one connection to `target.url`; in `mcp` mode also sends `initialize`, waits for its
/// result and sends `notifications/initialized`. Returns the socket switched to non-blocking.
pub fn open(args: &Args, target: &Target) -> Result<Ws, String> {
    let addrs: Vec<_> = target
        .authority
        .to_socket_addrs()
        .map_err(|e| setup_err("cannot resolve", &target.authority, e))?
        .collect();
    let mut last = None;
    let mut stream = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, SETUP_TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let stream = stream.ok_or_else(|| {
        let why = last.map_or("no address".to_string(), |e| e.to_string());
        setup_err("cannot connect to", &target.url, why)
    })?;
    stream
        .set_nodelay(true)
        .map_err(|e| setup_err("set_nodelay on", &target.url, e))?;
    stream
        .set_read_timeout(Some(SETUP_TIMEOUT))
        .map_err(|e| setup_err("socket", &target.url, e))?;
    stream
        .set_write_timeout(Some(SETUP_TIMEOUT))
        .map_err(|e| setup_err("socket", &target.url, e))?;

    let mut req = target
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| setup_err("bad URL", &target.url, e))?;
    if let Some(p) = &args.subprotocol {
        let v =
            HeaderValue::from_str(p).map_err(|e| setup_err("bad subprotocol for", &target.url, e))?;
        req.headers_mut().insert("Sec-WebSocket-Protocol", v);
    }
    // A small read buffer: tungstenite zero-fills it up to this size before every socket read
    // (the default 128 KiB costs a 128 KiB memset per response; a larger frame still arrives,
    // in several reads). No write buffering: every send is flushed at once anyway.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let stream = Stream {
        tcp: stream,
        armed: false,
        drained: false,
    };
    let (mut ws, _) = tungstenite::client::client_with_config(req, stream, Some(config))
        .map_err(|e| setup_err("WebSocket upgrade failed at", &target.url, e))?;

    if args.mode == Mode::Mcp {
        let init = format!(
            r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{PROTOCOL_VERSION}","capabilities":{{}},"clientInfo":{{"name":"wsgen","version":"1"}}}}}}"#
        );
        ws.send(Message::text(init))
            .map_err(|e| setup_err("sending initialize to", &target.url, e))?;
        loop {
            let msg = ws.read().map_err(|e| match e {
                tungstenite::Error::Io(io)
                    if matches!(io.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                {
                    setup_err("no initialize result within 10 s from", &target.url, io)
                }
                e => setup_err("reading the initialize result from", &target.url, e),
            })?;
            let Message::Text(t) = msg else { continue };
            match classify(t.as_str(), 0) {
                Reply::Ok => break,
                Reply::Failed => {
                    return Err(format!("initialize failed at {}: {}", target.url, t.as_str()))
                }
                Reply::Other => continue,
            }
        }
        let ack = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        ws.send(Message::text(ack))
            .map_err(|e| setup_err("sending notifications/initialized to", &target.url, e))?;
    }
    ws.get_mut()
        .arm()
        .map_err(|e| setup_err("socket", &target.url, e))?;
    Ok(ws)
}

/// Reads whatever the server sent on `conns` (non-blocking) and flushes the replies tungstenite
/// queued: pongs to its pings. Used while a thread is still opening connections, before the
/// load loop runs; a lost connection is left for the loop to find and count.
pub fn service(conns: &mut [(usize, Ws)]) {
    for (_, ws) in conns.iter_mut() {
        while ws.read().is_ok() {}
        let _ = ws.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_replies() {
        assert_eq!(
            classify(r#"{"jsonrpc":"2.0","id":7,"result":{"content":[]}}"#, 7),
            Reply::Ok
        );
        assert_eq!(
            classify(r#"{"result":{},"id":7,"jsonrpc":"2.0"}"#, 7),
            Reply::Ok
        );
        assert_eq!(
            classify(r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32601}}"#, 7),
            Reply::Failed
        );
        assert_eq!(
            classify(r#"{"jsonrpc":"2.0","id":7,"result":{"isError":true}}"#, 7),
            Reply::Failed
        );
        assert_eq!(
            classify(r#"{"jsonrpc":"2.0","id":8,"result":{}}"#, 7),
            Reply::Other
        );
        assert_eq!(
            classify(r#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#, 7),
            Reply::Other
        );
        assert_eq!(
            classify(r#"{"jsonrpc":"2.0","method":"notifications/message"}"#, 7),
            Reply::Other
        );
        assert_eq!(classify("not json", 7), Reply::Other);
    }

    #[test]
    fn formats_calls() {
        let args = match crate::args::parse(["--url", "ws://h:1/"].map(String::from)).unwrap() {
            crate::args::Parsed::Run(a) => a,
            crate::args::Parsed::Help => unreachable!(),
        };
        let Message::Text(t) = Frames::new(&args).call(1234) else {
            panic!()
        };
        let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
        assert_eq!(v["id"], 1234);
        assert_eq!(v["method"], "tools/call");
        assert_eq!(v["params"]["name"], "echo");
        assert_eq!(v["params"]["arguments"]["message"], "hello");
        assert_eq!(itoa(0).as_str(), "0");
        assert_eq!(itoa(u64::MAX).as_str(), "18446744073709551615");
    }
}
