//! wsgen: a closed-loop WebSocket load generator for erlmcp's `npm run bench:cores`.
//!
//! C connections spread over T threads (and round-robin over the `--url`s), each thread one
//! epoll loop; every connection keeps one `tools/call` outstanding (or, with `--interval`, sends
//! one every S seconds: held sessions checked alive). After a warm-up, responses received in the measured window are
//! counted and their latencies recorded; the process's CPU time (getrusage, all threads) is read
//! at the window's two ends. One JSON line of results goes to stdout. Native and epoll-driven so
//! that the generator costs a small fraction of the server's CPU per request.

mod args;
mod conn;
mod hist;
mod worker;

use std::io::BufRead;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use args::{Args, Parsed};
use conn::Frames;
use hist::Histogram;
use worker::{Stats, Window};

/// User and system CPU seconds of this process, all threads.
fn cpu_seconds() -> (f64, f64) {
    // SAFETY: getrusage only writes the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (s(ru.ru_utime), s(ru.ru_stime))
}

/// How often a thread still opening connections answers pings on the open ones.
const SERVICE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Peak resident set of this process, KiB (getrusage).
fn max_rss_kib() -> i64 {
    // SAFETY: as in cpu_seconds.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    ru.ru_maxrss
}

/// `--marks`: one line on stderr (unbuffered) at each end of the measured window.
fn mark(args: &Args, what: &str) {
    if args.marks {
        eprintln!("WSGEN_WINDOW {what}");
    }
}

fn sleep_until(t: Instant) {
    let now = Instant::now();
    if t > now {
        thread::sleep(t - now);
    }
}

/// Opens every connection (per thread), then runs the load; `Err` is a setup failure.
fn run(args: Args) -> Result<serde_json::Value, String> {
    let frames = std::sync::Arc::new(Frames::new(&args));
    let args = std::sync::Arc::new(args);
    let open_failed = std::sync::Arc::new(AtomicUsize::new(0));
    let open_t0 = Instant::now();
    let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
    let mut go = Vec::new();
    let mut handles = Vec::new();
    for t in 0..args.threads {
        // Connections t, t+T, t+2T, ...: threads differ by at most one connection.
        let n = (args.connections - t).div_ceil(args.threads);
        let (go_tx, go_rx) = mpsc::channel::<Window>();
        go.push(go_tx);
        let (args, frames, ready) = (args.clone(), frames.clone(), ready_tx.clone());
        let failed = open_failed.clone();
        let h = thread::Builder::new()
            .name(format!("wsgen-{t}"))
            .spawn(move || -> Result<Stats, String> {
                let mut conns = Vec::with_capacity(n);
                let mut serviced = Instant::now();
                for k in 0..n {
                    // Opening thousands of connections one after the other takes minutes on a
                    // busy box: answer the server's pings on those already open meanwhile (its
                    // keep-alive, 30 s by default, would close them), every 5 s.
                    if serviced.elapsed() >= SERVICE_EVERY {
                        conn::service(&mut conns);
                        serviced = Instant::now();
                    }
                    // Global connection index t + k*T picks the target round-robin.
                    let target = (t + k * args.threads) % args.targets.len();
                    match conn::open(&args, &args.targets[target]) {
                        Ok(ws) => conns.push((target, ws)),
                        Err(e) => {
                            if failed.fetch_add(1, Ordering::Relaxed) >= args.max_open_failures {
                                let _ = ready.send(Err(e.clone()));
                                return Err(e);
                            }
                        }
                    }
                }
                let _ = ready.send(Ok(()));
                // Until the window is sent (other threads, other generators, --wait-go), the
                // pings are answered as during the opening.
                let win = loop {
                    match go_rx.recv_timeout(SERVICE_EVERY) {
                        Ok(w) => break w,
                        Err(mpsc::RecvTimeoutError::Timeout) => conn::service(&mut conns),
                        Err(mpsc::RecvTimeoutError::Disconnected) => return Err("cancelled".into()),
                    }
                };
                worker::run(conns, &args, &frames, win)
            })
            .map_err(|e| format!("cannot start a thread: {e}"))?;
        handles.push(h);
    }
    drop(ready_tx);
    for _ in 0..args.threads {
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err("a load thread died during setup".into()),
        }
    }
    let open_sec = open_t0.elapsed().as_secs_f64();
    let (ou, os) = cpu_seconds();
    let failed = open_failed.load(Ordering::Relaxed);
    let opened = args.connections - failed;
    if args.marks {
        eprintln!("WSGEN_OPEN {opened} {failed} {open_sec:.3}");
    }
    if args.wait_go {
        let mut line = String::new();
        // EOF (the caller went away) starts the run too: it is bounded by --duration anyway.
        let _ = std::io::stdin().lock().read_line(&mut line);
    }
    let start = Instant::now() + args.warmup;
    let win = Window {
        start,
        end: start + args.duration,
    };
    for g in &go {
        let _ = g.send(win);
    }
    sleep_until(win.start);
    let (u0, s0) = cpu_seconds();
    let t0 = Instant::now();
    mark(&args, "start");
    sleep_until(win.end);
    let (u1, s1) = cpu_seconds();
    let measured = t0.elapsed();
    mark(&args, "end");

    let mut hist = Histogram::new();
    let mut total = Stats::default();
    for h in handles {
        let st = h
            .join()
            .map_err(|_| "a load thread panicked".to_string())??;
        hist.merge(&st.hist);
        total.add(&st);
    }
    let requests = hist.count();
    let errors = total.failed + total.closed + total.broken + total.unanswered;
    let secs = args.duration.as_secs_f64();
    let (user, sys) = (u1 - u0, s1 - s0);
    let r3 = |x: f64| (x * 1000.0).round() / 1000.0;
    Ok(serde_json::json!({
        "requests": requests,
        "errors": errors,
        "durationSec": r3(secs),
        "reqPerSec": (requests as f64 / secs).round() as u64,
        "p50Us": hist.quantile(0.5),
        "p99Us": hist.quantile(0.99),
        "maxUs": hist.max(),
        "cpuUserSec": r3(user),
        "cpuSysSec": r3(sys),
        "cpuUsPerRequest": if requests > 0 { ((user + sys) * 1e7 / requests as f64).round() / 10.0 } else { 0.0 },
        "errorKinds": {
            "failed": total.failed, "closed": total.closed, "broken": total.broken, "unanswered": total.unanswered,
        },
        "connections": args.connections,
        "threads": args.threads,
        "mode": if args.mode == args::Mode::Mcp { "mcp" } else { "echo" },
        "cpuWindowSec": r3(measured.as_secs_f64()),
        "intervalSec": r3(args.interval.as_secs_f64()),
        "opened": opened,
        "openFailed": failed,
        "openSec": r3(open_sec),
        "openCpuSec": r3(ou + os),
        "maxRssKiB": max_rss_kib(),
        "perTarget": args.targets.iter().zip(&total.per_target).map(|(t, s)| serde_json::json!({
            "url": t.url, "sessions": s.sessions, "answered": s.answered, "sessionsAnswered": s.sessions_answered,
        })).collect::<Vec<_>>(),
    }))
}

fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1)) {
        Ok(Parsed::Run(a)) => a,
        Ok(Parsed::Help) => {
            println!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("wsgen: {e}\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(v) => {
            println!("{v}");
            if v["requests"].as_u64() == Some(0) {
                eprintln!("wsgen: no correct response in the measured window");
                return ExitCode::from(3);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wsgen: {e}");
            ExitCode::from(1)
        }
    }
}
