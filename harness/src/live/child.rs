//! Terminal processes. Each runs in a process group of its own, so a power cut is one
//! `killpg(SIGKILL)` that also takes whatever the terminal started (a shell wrapper, a Python
//! interpreter and its helpers), and a terminal never sees the Ctrl-C meant for `posfault`.
//! Every group alive is listed in a registry: dropping a [`TerminalProcess`] kills its group,
//! and [`kill_all`] is the last resort of an interrupted run.

use std::collections::{BTreeSet, VecDeque};
use std::io;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::ChildStdin;
use tokio::sync::mpsc::UnboundedSender;

/// How many stderr lines are kept to explain a crash.
const STDERR_TAIL: usize = 8;

/// Process groups started and not yet known to be gone.
static GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

fn groups() -> std::sync::MutexGuard<'static, BTreeSet<i32>> {
    GROUPS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Kills every terminal process group still registered (an interrupted run's last step).
pub fn kill_all() {
    for pgid in std::mem::take(&mut *groups()) {
        kill_group(pgid);
    }
}

/// How many terminal process groups are registered (for tests and diagnostics).
pub fn live_groups() -> usize {
    groups().len()
}

fn kill_group(pgid: i32) {
    // SAFETY: killpg only sends a signal; pgid is a group this process created (positive, not
    // our own group), so no unrelated process is targeted unless its id was reused after the
    // group emptied, which the registry keeps short.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

/// Something a terminal process did, tagged with the boot it belongs to by the receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A line on stdout.
    Stdout(String),
    /// A line on stderr.
    Stderr(String),
    /// It exited: how, and its last stderr lines.
    Exited {
        /// Exit status as the OS tells it.
        status: String,
        /// The last stderr lines, oldest first.
        stderr_tail: Vec<String>,
    },
}

/// One running terminal process (one boot).
pub struct TerminalProcess {
    pgid: i32,
    stdin: Option<ChildStdin>,
}

impl TerminalProcess {
    /// Starts `argv` with `env` added to posfault's environment, in a new process group,
    /// stdin/stdout/stderr piped. Everything it says goes to `tx` as `(boot, Output)`, its exit
    /// last.
    pub fn spawn(
        argv: &[String],
        env: &[(String, String)],
        boot: u32,
        tx: UnboundedSender<(u32, Output)>,
    ) -> io::Result<TerminalProcess> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| io::Error::other("the terminal command is empty"))?;
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        // SAFETY: between fork and exec only async-signal-safe calls are allowed;
        // sigemptyset, sigaddset and sigprocmask are. The live runner blocks SIGPIPE in its
        // own thread (so a dead terminal's pipe is an error, not a signal) and a child would
        // inherit that mask; this gives the terminal the default one back.
        unsafe {
            cmd.pre_exec(|| {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigaddset(&mut set, libc::SIGPIPE);
                libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot start terminal command {program:?}: {e}"),
            )
        })?;
        let pid = child
            .id()
            .ok_or_else(|| io::Error::other("the terminal exited at once"))?;
        let pgid = pid as i32;
        groups().insert(pgid);

        let tail: Arc<Mutex<VecDeque<String>>> = Arc::default();
        let (out_done_tx, out_done) = tokio::sync::oneshot::channel::<()>();
        if let Some(out) = child.stdout.take() {
            let tx = tx.clone();
            tokio::spawn(async move {
                read_lines(out, |l| {
                    let _ = tx.send((boot, Output::Stdout(l)));
                })
                .await;
                let _ = out_done_tx.send(());
            });
        }
        if let Some(err) = child.stderr.take() {
            let (tx, tail) = (tx.clone(), tail.clone());
            tokio::spawn(async move {
                read_lines(err, |l| {
                    let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                    if t.len() == STDERR_TAIL {
                        t.pop_front();
                    }
                    t.push_back(l.clone());
                    drop(t);
                    let _ = tx.send((boot, Output::Stderr(l)));
                })
                .await;
            });
        }
        let stdin = child.stdin.take();
        tokio::spawn(async move {
            let status = match child.wait().await {
                Ok(s) => describe(s),
                Err(e) => format!("unknown ({e})"),
            };
            // Let stdout drain first, so an outcome written just before exiting is not lost;
            // a grandchild holding stdout open must not stall this forever.
            let _ = tokio::time::timeout(Duration::from_millis(500), out_done).await;
            // Stderr may still be in flight; give it the same short chance.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let stderr_tail = tail
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .cloned()
                .collect();
            let _ = tx.send((
                boot,
                Output::Exited {
                    status,
                    stderr_tail,
                },
            ));
        });
        Ok(TerminalProcess { pgid, stdin })
    }

    /// Writes one line (newline included) to the terminal's stdin.
    pub async fn send(&mut self, line: &str) -> io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other("the terminal's stdin is closed"))?;
        stdin.write_all(line.as_bytes()).await?;
        stdin.flush().await
    }

    /// Closes stdin: a terminal reading it sees end of input.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// SIGKILL to the whole process group: a power cut.
    pub fn kill(&self) {
        kill_group(self.pgid);
    }

    /// The process group id (the terminal's pid).
    pub fn pgid(&self) -> i32 {
        self.pgid
    }
}

impl Drop for TerminalProcess {
    /// Whatever path a run takes, nothing it started outlives it.
    fn drop(&mut self) {
        kill_group(self.pgid);
        groups().remove(&self.pgid);
    }
}

fn describe(s: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (s.code(), s.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        (None, None) => s.to_string(),
    }
}

async fn read_lines(r: impl tokio::io::AsyncRead + Unpin, mut each: impl FnMut(String)) {
    let mut r = BufReader::new(r);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match r.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    buf.pop();
                }
                each(String::from_utf8_lossy(&buf).into_owned());
            }
        }
    }
}
