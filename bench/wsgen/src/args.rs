//! Command-line parsing: `wsgen --url ws://127.0.0.1:PORT/PATH [options]`.

use std::time::Duration;

/// Usage text printed by `--help` and after an argument error.
pub const USAGE: &str =
    "usage: wsgen --url ws://127.0.0.1:PORT/PATH [--url ...] [--connections C] [--duration S]
             [--warmup W] [--threads T] [--mode mcp|echo] [--tool NAME] [--arguments JSON]
             [--subprotocol P] [--interval S] [--max-open-failures N] [--wait-go] [--marks]
  --url URL         a target; repeat it to spread the connections round-robin over several
                    servers (connection i goes to URL i mod the number of URLs)
  --connections C   WebSocket connections, each with one request outstanding (default 50)
  --duration S      measured seconds, fractions allowed (default 5)
  --warmup W        seconds before the measured window, not counted (default 1)
  --threads T       OS threads sharing the connections, one epoll loop each (default 1)
  --mode mcp|echo   mcp: MCP 2025-11-25 handshake per connection, then tools/call round trips
                    checked by id; echo: no handshake, any frame back completes a round trip
                    (default mcp)
  --tool NAME       the tool tools/call names (default echo)
  --arguments JSON  its arguments (default {\"message\":\"hello\"})
  --subprotocol P   WebSocket subprotocol offered (default mcp; '' offers none)
  --interval S      0: closed loop, a response sends the next request at once (default). > 0:
                    held sessions, each connection sends one request every S seconds (the
                    first ones staggered over S), so many idle sessions are checked alive
  --max-open-failures N  connections that may fail to open before the run aborts (default 0);
                    the failed ones are counted and left out
  --wait-go         after opening every connection, wait for a line on stdin before the
                    warm-up starts (a caller starting several generators aligns their windows)
  --marks           print `WSGEN_WINDOW start` / `WSGEN_WINDOW end` lines on stderr at the
                    measured window's ends (for a caller that samples the server's CPU there),
                    and `WSGEN_OPEN <opened> <failed> <seconds>` once every connection is open
Prints one JSON line with the results on stdout.";

/// The options that take a value.
const FLAGS: &[&str] = &[
    "--url",
    "--connections",
    "--duration",
    "--warmup",
    "--threads",
    "--mode",
    "--tool",
    "--arguments",
    "--subprotocol",
    "--interval",
    "--max-open-failures",
];

/// How each connection talks to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `initialize` + `notifications/initialized`, then `tools/call`; a round trip ends at the
    /// response carrying the request's id.
    Mcp,
    /// The same `tools/call` frame without a handshake; any frame back ends the round trip.
    Echo,
}

/// What the command line asks for. Every field is validated by [`parse`].
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    /// The targets, at least one, in the order given.
    pub targets: Vec<Target>,
    /// Number of connections, at least 1.
    pub connections: usize,
    /// Length of the measured window, more than zero.
    pub duration: Duration,
    /// Length of the warm-up before it (may be zero).
    pub warmup: Duration,
    /// Worker threads, 1..=connections (a larger value is lowered to `connections`).
    pub threads: usize,
    /// See [`Mode`].
    pub mode: Mode,
    /// Tool name sent in `tools/call`.
    pub tool: String,
    /// Tool arguments, compact JSON text of an object.
    pub arguments: String,
    /// Subprotocol offered in the upgrade request; `None` offers none.
    pub subprotocol: Option<String>,
    /// `--marks`: announce the measured window's start and end on stderr.
    pub marks: bool,
    /// Seconds between a connection's requests; zero: closed loop.
    pub interval: Duration,
    /// Open failures tolerated before the run aborts.
    pub max_open_failures: usize,
    /// `--wait-go`: wait for a line on stdin between opening and the warm-up.
    pub wait_go: bool,
}

/// One server the connections go to.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// `ws://host:port/path`.
    pub url: String,
    /// `host:port` taken from `url`: what the TCP connections go to.
    pub authority: String,
}

/// The result of parsing: run with these arguments, or print the usage and exit 0.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// Run the load.
    Run(Args),
    /// `--help` was given.
    Help,
}

fn seconds(flag: &str, v: &str, allow_zero: bool) -> Result<Duration, String> {
    let s: f64 = v
        .parse()
        .map_err(|_| format!("{flag} needs a number of seconds, got {v:?}"))?;
    if !s.is_finite() || s < 0.0 || (!allow_zero && s == 0.0) || s > 86_400.0 {
        let range = if allow_zero { ">= 0" } else { "> 0" };
        return Err(format!(
            "{flag} must be {range} and at most 86400 seconds, got {v}"
        ));
    }
    Ok(Duration::from_secs_f64(s))
}

fn count(flag: &str, v: &str) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
        _ => Err(format!(
            "{flag} needs a whole number from 1 to 1000000, got {v:?}"
        )),
    }
}

/// `host:port` of a `ws://` URL; `wss://` is refused (wsgen speaks no TLS).
fn authority(url: &str) -> Result<String, String> {
    let rest = match url.strip_prefix("ws://") {
        Some(r) => r,
        None if url.starts_with("wss://") => {
            return Err("wss:// is not supported (no TLS): use ws://".into())
        }
        None => return Err(format!("--url must start with ws://, got {url:?}")),
    };
    let auth = rest.split(['/', '?']).next().unwrap_or("");
    let port_ok = auth
        .rsplit_once(':')
        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
    if !port_ok {
        return Err(format!(
            "--url needs host:port (e.g. ws://127.0.0.1:9999/mcp), got {url:?}"
        ));
    }
    Ok(auth.to_string())
}

/// Parses the arguments after the program name.
pub fn parse<I: IntoIterator<Item = String>>(argv: I) -> Result<Parsed, String> {
    let mut urls = Vec::new();
    let mut interval = Duration::ZERO;
    let mut max_open_failures = 0;
    let mut wait_go = false;
    let mut connections = 50;
    let mut duration = Duration::from_secs(5);
    let mut warmup = Duration::from_secs(1);
    let mut threads = 1;
    let mut mode = Mode::Mcp;
    let mut tool = "echo".to_string();
    let mut arguments = r#"{"message":"hello"}"#.to_string();
    let mut subprotocol = Some("mcp".to_string());
    let mut marks = false;
    let mut it = argv.into_iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(Parsed::Help);
        }
        if flag == "--marks" {
            marks = true;
            continue;
        }
        if flag == "--wait-go" {
            wait_go = true;
            continue;
        }
        // Both `--flag value` and `--flag=value`.
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (flag.clone(), None),
        };
        if !name.starts_with("--") {
            return Err(format!("unexpected argument {flag:?}"));
        }
        if !FLAGS.contains(&name.as_str()) {
            return Err(format!("unknown option {name}"));
        }
        let value = match inline {
            Some(v) => v,
            None => it.next().ok_or_else(|| format!("{name} needs a value"))?,
        };
        match name.as_str() {
            "--url" => urls.push(value),
            "--interval" => interval = seconds(&name, &value, true)?,
            "--max-open-failures" => {
                max_open_failures = value.parse::<usize>().map_err(|_| {
                    format!("{name} needs a whole number >= 0, got {value:?}")
                })?
            }
            "--connections" => connections = count(&name, &value)?,
            "--duration" => duration = seconds(&name, &value, false)?,
            "--warmup" => warmup = seconds(&name, &value, true)?,
            "--threads" => threads = count(&name, &value)?,
            "--mode" => {
                mode = match value.as_str() {
                    "mcp" => Mode::Mcp,
                    "echo" => Mode::Echo,
                    _ => return Err(format!("--mode must be mcp or echo, got {value:?}")),
                }
            }
            "--tool" if value.is_empty() => return Err("--tool needs a name".into()),
            "--tool" => tool = value,
            "--arguments" => {
                let v: serde_json::Value = serde_json::from_str(&value)
                    .map_err(|e| format!("--arguments is not JSON ({e}): {value}"))?;
                if !v.is_object() {
                    return Err(format!("--arguments must be a JSON object, got {value}"));
                }
                arguments = v.to_string();
            }
            "--subprotocol" => subprotocol = (!value.is_empty()).then_some(value),
            _ => return Err(format!("unknown option {name}")),
        }
    }
    if urls.is_empty() {
        return Err("--url is required".into());
    }
    let targets = urls
        .into_iter()
        .map(|url| authority(&url).map(|authority| Target { url, authority }))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Parsed::Run(Args {
        targets,
        connections,
        duration,
        warmup,
        threads: threads.min(connections),
        mode,
        tool,
        arguments,
        subprotocol,
        marks,
        interval,
        max_open_failures,
        wait_go,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Args, String> {
        match parse(args.iter().map(|s| s.to_string()))? {
            Parsed::Run(a) => Ok(a),
            Parsed::Help => Err("help".into()),
        }
    }

    #[test]
    fn defaults() {
        let a = run(&["--url", "ws://127.0.0.1:9999/mcp"]).unwrap();
        assert_eq!(a.targets.len(), 1);
        assert_eq!(a.targets[0].authority, "127.0.0.1:9999");
        assert_eq!(a.connections, 50);
        assert_eq!(a.duration, Duration::from_secs(5));
        assert_eq!(a.warmup, Duration::from_secs(1));
        assert_eq!(a.threads, 1);
        assert_eq!(a.mode, Mode::Mcp);
        assert_eq!(a.tool, "echo");
        assert_eq!(a.arguments, r#"{"message":"hello"}"#);
        assert_eq!(a.subprotocol.as_deref(), Some("mcp"));
        assert!(!a.marks);
        assert_eq!(a.interval, Duration::ZERO);
        assert_eq!(a.max_open_failures, 0);
        assert!(!a.wait_go);
    }

    #[test]
    fn every_flag_and_inline_values() {
        let a = run(&[
            "--url=ws://localhost:80/",
            "--connections",
            "4",
            "--duration=0.5",
            "--warmup",
            "0",
            "--threads",
            "8",
            "--mode",
            "echo",
            "--tool",
            "add",
            "--arguments",
            r#"{ "a": 1, "b": 2 }"#,
            "--subprotocol",
            "",
            "--marks",
            "--url",
            "ws://127.0.0.2:81/mcp",
            "--interval",
            "2.5",
            "--max-open-failures=7",
            "--wait-go",
        ])
        .unwrap();
        assert_eq!(a.targets[0].authority, "localhost:80");
        assert_eq!(a.targets[1].url, "ws://127.0.0.2:81/mcp");
        assert_eq!(a.targets[1].authority, "127.0.0.2:81");
        assert_eq!(a.interval, Duration::from_millis(2500));
        assert_eq!(a.max_open_failures, 7);
        assert!(a.wait_go);
        assert_eq!(a.connections, 4);
        assert_eq!(a.duration, Duration::from_millis(500));
        assert_eq!(a.warmup, Duration::ZERO);
        assert_eq!(a.threads, 4, "threads are capped at the connection count");
        assert_eq!(a.mode, Mode::Echo);
        assert_eq!(a.tool, "add");
        assert_eq!(a.arguments, r#"{"a":1,"b":2}"#);
        assert_eq!(a.subprotocol, None);
        assert!(a.marks);
    }

    #[test]
    fn help() {
        assert_eq!(parse(["--help".to_string()]).unwrap(), Parsed::Help);
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        let cases: &[(&[&str], &str)] = &[
            (&[], "--url is required"),
            (&["--url", "http://127.0.0.1:1/"], "must start with ws://"),
            (&["--url", "wss://127.0.0.1:1/"], "no TLS"),
            (&["--url", "ws://127.0.0.1/"], "host:port"),
            (&["--url", "ws://127.0.0.1:0/"], "host:port"),
            (
                &["--url", "ws://h:1/", "--connections", "0"],
                "--connections",
            ),
            (
                &["--url", "ws://h:1/", "--duration", "0"],
                "--duration must be > 0",
            ),
            (
                &["--url", "ws://h:1/", "--warmup", "-1"],
                "--warmup must be >= 0",
            ),
            (
                &["--url", "ws://h:1/", "--duration", "x"],
                "number of seconds",
            ),
            (&["--url", "ws://h:1/", "--mode", "http"], "mcp or echo"),
            (&["--url", "ws://h:1/", "--arguments", "[1]"], "JSON object"),
            (&["--url", "ws://h:1/", "--arguments", "{"], "not JSON"),
            (
                &["--url", "ws://h:1/", "--bogus", "1"],
                "unknown option --bogus",
            ),
            (
                &["--url", "ws://h:1/", "--threads"],
                "--threads needs a value",
            ),
            (&["stray"], "unexpected argument"),
            (
                &["--url", "ws://h:1/", "--url", "http://h:2/"],
                "must start with ws://",
            ),
            (
                &["--url", "ws://h:1/", "--interval", "-1"],
                "--interval must be >= 0",
            ),
            (
                &["--url", "ws://h:1/", "--max-open-failures", "x"],
                "whole number >= 0",
            ),
        ];
        for (argv, want) in cases {
            let err = run(argv).unwrap_err();
            assert!(err.contains(want), "{argv:?}: {err:?} lacks {want:?}");
        }
    }
}
