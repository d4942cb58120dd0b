//! `kind: reply_as_host`: the proxy answers a request in the host's place and forwards nothing,
//! as a switch or gateway does when the issuer is unavailable (RC 91) or a system fails (96).
//! The host never sees the request, so nothing is charged.

use std::time::Duration;

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fault::actions::{Effect, Fate, FaultAction, Piece};
use crate::fault::engine::FrameView;
use crate::wire::{Message, encode};

/// Answers a matching request with response code `rc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyAsHost {
    /// Response code for field 39, two characters such as `"91"` or `"96"`.
    pub rc: String,
}

/// Fields a response echoes from its request: processing code, amount, STAN, local time and
/// date, terminal and merchant ids.
const ECHOED: [u8; 7] = [3, 4, 11, 12, 13, 41, 42];

/// The response to `request` with `rc` in field 39 (MTI + 10, echoed fields), or `None` when
/// `request` is itself a response.
pub fn response_to(request: &Message, rc: &str) -> Option<Message> {
    let mut rsp = Message::new(request.mti().response()?);
    for n in ECHOED {
        if let Some(v) = request.field(n) {
            rsp.set(n, v);
        }
    }
    rsp.set(39, rc); // response code
    Some(rsp)
}

/// Problems with a response code, under `path`.
pub(crate) fn rc_problems(path: &str, rc: &str) -> Vec<(String, String)> {
    if rc.len() == 2 && rc.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Vec::new()
    } else {
        vec![(
            path.into(),
            format!("expected a two-character response code such as \"91\", found {rc:?}"),
        )]
    }
}

/// The effect of answering `frame` with `rc`; forwards the frame untouched when it is not a
/// request the proxy can answer.
pub(crate) fn answer(frame: &FrameView<'_>, rc: &str) -> Effect {
    let encoded = frame
        .message
        .and_then(|m| response_to(m, rc))
        .and_then(|rsp| encode(frame.dialect, &rsp).ok())
        .and_then(|body| frame.framing.frame(&body).ok());
    match encoded {
        Some(bytes) => Effect {
            fate: Fate::Answered,
            detail: Some(format!("RC {rc}")),
            forward: Vec::new(),
            reply: vec![Piece {
                after: Duration::ZERO,
                bytes,
            }],
            then: Default::default(),
        },
        None => {
            let mut e = Effect::forward(frame);
            e.detail = Some("not a request that can be answered; forwarded".into());
            e
        }
    }
}

impl ReplyAsHost {
    /// A two-character code.
    pub fn problems(&self) -> Vec<(String, String)> {
        rc_problems("rc", &self.rc)
    }
}

impl FaultAction for ReplyAsHost {
    fn apply(&self, frame: &FrameView<'_>, _rng: &mut ChaCha8Rng) -> Effect {
        answer(frame, &self.rc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Direction;
    use crate::fault::testing::{sale, view};
    use crate::wire::{ISO87, decode};
    use rand::SeedableRng;

    #[test]
    fn answers_the_request_with_its_echo_fields_and_the_rc_and_forwards_nothing() {
        let m = sale("000042");
        let f = view(Direction::ToHost, &m);
        let e = ReplyAsHost { rc: "91".into() }.apply(&f, &mut ChaCha8Rng::seed_from_u64(0));
        assert_eq!(e.fate, Fate::Answered);
        assert!(e.forward.is_empty());
        let rsp = decode(&ISO87, &e.reply[0].bytes[2..]).unwrap();
        assert_eq!(rsp.mti().as_str(), "0210");
        assert_eq!(rsp.text(39), Some("91"));
        for n in ECHOED {
            assert_eq!(rsp.field(n), m.field(n), "field {n}");
        }
        assert!(!rsp.has(2), "the PAN is not echoed");
    }

    #[test]
    fn a_response_is_forwarded_not_answered() {
        let mut m = sale("000001");
        m.set_mti("0210".parse().unwrap());
        let f = view(Direction::ToTerminal, &m);
        let e = ReplyAsHost { rc: "91".into() }.apply(&f, &mut ChaCha8Rng::seed_from_u64(0));
        assert_eq!(e.fate, Fate::Forwarded);
        assert!(e.reply.is_empty());
    }

    #[test]
    fn a_three_digit_rc_is_reported() {
        assert_eq!(ReplyAsHost { rc: "911".into() }.problems()[0].0, "rc");
    }
}
