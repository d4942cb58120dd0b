//! One connection to the host: opening it, sending, receiving, and judging a reply.

use super::*;

pub(super) type Conn = Framed<Box<dyn Duplex>, FrameCodec>;

/// Why an exchange produced no usable reply.
pub(super) enum Failure {
    Connect(String),
    Timeout,
    Lost(String),
    Invalid(String),
}

pub(super) fn connect_failed(io: &TerminalIo, stan: &str, error: String) -> Failure {
    io.note(TerminalEvent::ConnectFailed {
        stan: stan.to_string(),
        error: error.clone(),
    });
    Failure::Connect(error)
}

pub(super) fn describe(io: &TerminalIo, f: Failure) -> String {
    match f {
        Failure::Connect(e) => format!("connect failed: {e}"),
        Failure::Timeout => format!("no reply within {}", io.config.response_timeout),
        Failure::Lost(e) => format!("connection lost: {e}"),
        Failure::Invalid(e) => format!("unreadable reply: {e}"),
    }
}

pub(super) async fn send(io: &TerminalIo, conn: &mut Conn, msg: &Message) -> Result<(), Failure> {
    let body = io
        .wire
        .encode(msg)
        .map_err(|e| Failure::Invalid(format!("cannot encode request: {e}")))?;
    conn.send(body)
        .await
        .map_err(|e| Failure::Lost(e.to_string()))
}

pub(super) async fn receive(
    io: &TerminalIo,
    conn: &mut Conn,
    deadline: Instant,
) -> Result<Message, Failure> {
    match timeout_at(deadline, conn.next()).await {
        Err(_) => Err(Failure::Timeout),
        Ok(None) => Err(Failure::Lost("closed by peer".into())),
        Ok(Some(Err(e))) => Err(Failure::Lost(e.to_string())),
        Ok(Some(Ok(frame))) => io
            .wire
            .decode(&frame)
            .map_err(|e| Failure::Invalid(e.to_string())),
    }
}

/// Checks a reply against its request; returns the RC or what is wrong.
pub(super) fn validate(req: &Message, rsp: &Message) -> Result<String, String> {
    let want = req.mti().response();
    if Some(rsp.mti()) != want {
        return Err(format!(
            "MTI {} does not answer {} (expected {})",
            rsp.mti(),
            req.mti(),
            want.map(|m| m.to_string()).unwrap_or_default()
        ));
    }
    for (n, name) in [(11, "STAN"), (41, "terminal id")] {
        if rsp.field(n) != req.field(n) {
            return Err(format!(
                "{name} (field {n}) is {:?}, expected {:?}",
                rsp.text(n).unwrap_or(""),
                req.text(n).unwrap_or("")
            ));
        }
    }
    let rc = rsp
        .text(39)
        .ok_or_else(|| "no response code (field 39)".to_string())?
        .to_string();
    // Amount echo, except partial approvals (RC 10) which carry the approved amount.
    if rc != "10" && rsp.has(4) && rsp.field(4) != req.field(4) {
        return Err(format!(
            "amount (field 4) is {:?}, expected {:?}",
            rsp.text(4).unwrap_or(""),
            req.text(4).unwrap_or("")
        ));
    }
    Ok(rc)
}
