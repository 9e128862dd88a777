//! One load thread: its connections in one edge-triggered epoll loop (mio), each with at most
//! one request outstanding. Closed loop (`--interval 0`): a response sends the next request at
//! once. Paced (`--interval S`): a connection sends its next request S seconds after the last
//! one was sent, the first ones staggered over S, so many held sessions each answer a request
//! now and then (a timer heap in the same loop).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token};
use tungstenite::Message;

use crate::args::{Args, Mode};
use crate::conn::{classify, Frames, Reply, Ws};
use crate::hist::Histogram;

/// How long requests outstanding at the end of the window may still be answered before they
/// count as unanswered.
const DRAIN: Duration = Duration::from_secs(3);

/// The measured window, shared by every thread: responses received in `[start, end)` count.
#[derive(Clone, Copy)]
pub struct Window {
    /// End of the warm-up.
    pub start: Instant,
    /// End of the measured window; no request is sent after it.
    pub end: Instant,
}

/// What one thread saw.
#[derive(Default)]
pub struct Stats {
    /// Latencies of the correct responses received in the window.
    pub hist: Histogram,
    /// Responses in the window that were JSON-RPC errors or tool errors (`isError: true`).
    pub failed: u64,
    /// Connections the server closed (warm-up, window or drain).
    pub closed: u64,
    /// Connections lost to a socket or protocol error.
    pub broken: u64,
    /// Requests outstanding at the end and not answered within [`DRAIN`].
    pub unanswered: u64,
    /// Per target (index of `--url`): connections run, correct responses in the window, and
    /// connections with at least one correct response in the window.
    pub per_target: Vec<TargetStats>,
}

/// What one target's connections did in the window.
#[derive(Default, Clone, Copy)]
pub struct TargetStats {
    /// Connections to it that this thread ran.
    pub sessions: u64,
    /// Correct responses in the window.
    pub answered: u64,
    /// Connections with at least one correct response in the window.
    pub sessions_answered: u64,
}

impl Stats {
    /// Adds `o` into `self` (histograms aside).
    pub fn add(&mut self, o: &Stats) {
        self.failed += o.failed;
        self.closed += o.closed;
        self.broken += o.broken;
        self.unanswered += o.unanswered;
        if self.per_target.len() < o.per_target.len() {
            self.per_target.resize(o.per_target.len(), TargetStats::default());
        }
        for (a, b) in self.per_target.iter_mut().zip(&o.per_target) {
            a.sessions += b.sessions;
            a.answered += b.answered;
            a.sessions_answered += b.sessions_answered;
        }
    }
}

struct Slot {
    ws: Ws,
    token: Token,
    /// Index of its `--url`.
    target: usize,
    /// Correct responses in the window.
    ok: u64,
    id: u64,
    sent_at: Instant,
    waiting: bool,
    live: bool,
    /// Registered for writable events too: a send left bytes in tungstenite's write buffer.
    want_write: bool,
}

enum Lost {
    Closed,
    Broken,
}

/// `None` for a `WouldBlock` (try again on the next event), else how the connection was lost.
fn lost(e: &tungstenite::Error) -> Option<Lost> {
    use tungstenite::error::ProtocolError::ResetWithoutClosingHandshake;
    match e {
        tungstenite::Error::Io(io) if io.kind() == ErrorKind::WouldBlock => None,
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            Some(Lost::Closed)
        }
        tungstenite::Error::Protocol(ResetWithoutClosingHandshake) => Some(Lost::Closed),
        _ => Some(Lost::Broken),
    }
}

/// One thread's state: the registry its sockets are in, the frames, the window, the counts.
struct Loop<'a> {
    reg: &'a Registry,
    mode: Mode,
    /// Zero: closed loop; else the pause between a connection's requests.
    interval: Duration,
    /// Paced mode: (when, slot) of the next request of each connection waiting for its turn.
    due: BinaryHeap<Reverse<(Instant, usize)>>,
    frames: &'a Frames,
    win: Window,
    st: Stats,
}

/// Runs `conns` (each with the index of its target) until `win.end` (+ the drain), then returns
/// the counts.
pub fn run(
    conns: Vec<(usize, Ws)>,
    args: &Args,
    frames: &Frames,
    win: Window,
) -> Result<Stats, String> {
    let poll_err = |e: std::io::Error| format!("epoll: {e}");
    let mut poll = Poll::new().map_err(poll_err)?;
    let now = Instant::now();
    let mut slots: Vec<Slot> = conns
        .into_iter()
        .enumerate()
        .map(|(i, (target, ws))| Slot {
            ws,
            token: Token(i),
            target,
            ok: 0,
            id: 0,
            sent_at: now,
            waiting: false,
            live: true,
            want_write: false,
        })
        .collect();
    // Readable only: writable events would fire on every ACK. A send that cannot be written at
    // once adds writable interest until tungstenite's write buffer is flushed.
    for s in &slots {
        let fd = s.ws.get_ref().tcp().as_raw_fd();
        poll.registry()
            .register(&mut SourceFd(&fd), s.token, Interest::READABLE)
            .map_err(poll_err)?;
    }
    let registry = poll.registry().try_clone().map_err(poll_err)?;
    let mut lp = Loop {
        reg: &registry,
        mode: args.mode,
        interval: args.interval,
        due: BinaryHeap::new(),
        frames,
        win,
        st: Stats::default(),
    };
    if lp.interval.is_zero() {
        for s in slots.iter_mut() {
            lp.send(s);
        }
    } else {
        // Staggered over one interval, so the requests are spread evenly in time.
        let n = slots.len().max(1) as u32;
        for i in 0..slots.len() {
            lp.due.push(Reverse((now + lp.interval * i as u32 / n, i)));
        }
    }
    let mut events = Events::with_capacity(1024);
    let mut draining = false;
    loop {
        let now = Instant::now();
        draining |= now >= win.end;
        if draining && (now >= win.end + DRAIN || !slots.iter().any(|s| s.live && s.waiting)) {
            break;
        }
        let mut until = if draining { win.end + DRAIN } else { win.end };
        if let Some(Reverse((t, _))) = lp.due.peek() {
            until = until.min(*t);
        }
        let timeout = until
            .saturating_duration_since(now)
            .min(Duration::from_millis(100));
        if let Err(e) = poll.poll(&mut events, Some(timeout)) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(poll_err(e));
        }
        for ev in events.iter() {
            let s = &mut slots[ev.token().0];
            if !s.live {
                continue;
            }
            if ev.is_writable() && s.want_write {
                match s.ws.flush() {
                    Ok(()) => lp.set_want_write(s, false),
                    Err(e) => {
                        if let Some(l) = lost(&e) {
                            lp.drop_conn(s, l);
                            continue;
                        }
                    }
                }
            }
            if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                lp.read_all(s);
            }
        }
        // Paced mode: the requests whose time has come (none after the window).
        let now = Instant::now();
        while let Some(Reverse((t, i))) = lp.due.peek().copied() {
            if t > now {
                break;
            }
            lp.due.pop();
            let s = &mut slots[i];
            if s.live && !s.waiting && now < win.end {
                lp.send(s);
            }
        }
    }
    let mut st = lp.st;
    st.unanswered = slots.iter().filter(|s| s.live && s.waiting).count() as u64;
    st.per_target = vec![TargetStats::default(); args.targets.len()];
    for s in &slots {
        let t = &mut st.per_target[s.target];
        t.sessions += 1;
        t.answered += s.ok;
        t.sessions_answered += u64::from(s.ok > 0);
    }
    for s in slots.iter_mut().filter(|s| s.live) {
        // A polite close; the socket is dropped right after, without waiting for the reply.
        let _ = s.ws.close(None);
        let _ = s.ws.flush();
    }
    Ok(st)
}

impl Loop<'_> {
    /// Adds or removes writable interest (a failure leaves the registration as it was).
    fn set_want_write(&self, s: &mut Slot, on: bool) {
        if s.want_write == on {
            return;
        }
        let fd = s.ws.get_ref().tcp().as_raw_fd();
        let interest = if on {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        if self
            .reg
            .reregister(&mut SourceFd(&fd), s.token, interest)
            .is_ok()
        {
            s.want_write = on;
        }
    }

    fn send(&mut self, s: &mut Slot) {
        s.id += 1;
        s.waiting = true;
        s.sent_at = Instant::now();
        // A WouldBlock leaves the frame in tungstenite's write buffer; a writable event flushes it.
        if let Err(e) = s.ws.send(self.frames.call(s.id)) {
            match lost(&e) {
                Some(l) => self.drop_conn(s, l),
                None => self.set_want_write(s, true),
            }
        }
    }

    fn drop_conn(&mut self, s: &mut Slot, why: Lost) {
        s.live = false;
        s.waiting = false;
        match why {
            Lost::Closed => self.st.closed += 1,
            Lost::Broken => self.st.broken += 1,
        }
    }

    /// Reads until the socket would block (the registration is edge-triggered).
    fn read_all(&mut self, s: &mut Slot) {
        loop {
            let reply = match s.ws.read() {
                Ok(Message::Text(t)) if self.mode == Mode::Mcp => classify(t.as_str(), s.id),
                Ok(Message::Text(_) | Message::Binary(_)) if self.mode == Mode::Echo => Reply::Ok,
                Ok(Message::Close(_)) => {
                    self.drop_conn(s, Lost::Closed);
                    return;
                }
                Ok(_) => continue,
                Err(e) => {
                    if let Some(l) = lost(&e) {
                        self.drop_conn(s, l);
                    }
                    return;
                }
            };
            if reply == Reply::Other || !s.waiting {
                continue;
            }
            let now = Instant::now();
            s.waiting = false;
            if now >= self.win.start && now < self.win.end {
                if reply == Reply::Ok {
                    let us = now.duration_since(s.sent_at).as_micros() as u64;
                    self.st.hist.record(us);
                    s.ok += 1;
                } else {
                    self.st.failed += 1;
                }
            }
            if now >= self.win.end {
                continue;
            }
            if !self.interval.is_zero() {
                self.due.push(Reverse((s.sent_at + self.interval, s.token.0)));
                continue;
            }
            self.send(s);
            if !s.live {
                return;
            }
        }
    }
}
