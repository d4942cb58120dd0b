//! The message ladder: the transcript drawn as payment engineers draw it on a whiteboard, as
//! inline SVG. Three lanes (terminal | network (proxy) | host), time running down, one row per
//! event; frames are arrows labelled MTI / STAN / RC, dropped frames stop at the network lane
//! with a cross and the rule that dropped them, timeouts, reversals and power cycles are marked
//! on the terminal lane, host decisions on the host lane.
//!
//! Rows are spaced evenly rather than to scale, because a 60 s timeout next to 5 ms hops would
//! leave either an unreadable crowd or a page of white; a dashed band shows each pause of 2 s or
//! more with its length instead. Text widths are estimated (monospace), so no script is needed.

use std::fmt::Write;

use posfault_proxies::fault::Direction;
use posfault_proxies::link::{Fate, FrameEvent, LinkEvent};

use crate::host::{Decision, JournalEntry};
use crate::report::html::esc;
use crate::report::i18n::{Lang, Msg};
use crate::terminal::{TerminalEvent, TxnResult};
use crate::transcript::{At, EventKind, HostEvent, Transcript};

const WIDTH: u32 = 1000;
const TIME_X: u32 = 92;
const TERM_X: u32 = 270;
const NET_X: u32 = 560;
const HOST_X: u32 = 830;
const TOP: u32 = 52;
/// Pauses at least this long get a band of their own.
const GAP_MS: u64 = 2000;

/// Where a note sits.
#[derive(Clone, Copy)]
enum Lane {
    Terminal,
    Network,
    Host,
}

impl Lane {
    fn x(self) -> u32 {
        match self {
            Lane::Terminal => TERM_X,
            Lane::Network => NET_X,
            Lane::Host => HOST_X,
        }
    }
}

enum Row {
    Gap(u64),
    Frame {
        at: At,
        frame: FrameEvent,
    },
    Note {
        at: At,
        lane: Lane,
        text: String,
        class: &'static str,
        title: String,
    },
}

/// The SVG of one transcript; `id` makes its marker ids unique in the page.
pub fn svg(t: &Transcript, lang: Lang, id: &str) -> String {
    let rows = rows(t, lang);
    let mut body = String::new();
    let mut y = TOP;
    let mut last_time: Option<At> = None;
    let mut power_off: Option<u32> = None;
    let mut off_bands = Vec::new();
    for row in &rows {
        let h = match row {
            Row::Gap(_) => 26,
            Row::Frame { .. } => 34,
            Row::Note {
                lane: Lane::Network,
                ..
            } => 20,
            Row::Note { .. } => 28,
        };
        let mid = y + h / 2;
        match row {
            Row::Gap(ms) => {
                let _ = write!(
                    body,
                    r#"<g class="gap"><rect x="0" y="{y}" width="{WIDTH}" height="{h}"/><text x="{TIME_X}" y="{}" text-anchor="end">{}</text></g>"#,
                    mid + 4,
                    esc(&lang.fill(Msg::Later, pause(*ms)))
                );
            }
            Row::Frame { at, frame } => {
                time_label(&mut body, *at, &mut last_time, mid);
                draw_frame(&mut body, frame, lang, id, mid);
            }
            Row::Note {
                at,
                lane,
                text,
                class,
                title,
            } => {
                time_label(&mut body, *at, &mut last_time, mid);
                draw_note(&mut body, *lane, text, class, title, mid);
                if *class == "power-off" {
                    power_off = Some(mid);
                } else if *class == "power-on"
                    && let Some(from) = power_off.take()
                {
                    off_bands.push((from, mid));
                }
            }
        }
        body.push('\n');
        y += h;
    }
    if let Some(from) = power_off {
        off_bands.push((from, y));
    }
    let height = y + 12;

    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="ladder" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="{}">"#,
        esc(lang.t(Msg::Ladder))
    );
    out.push_str("\n<defs>\n");
    for class in ["req", "rsp", "decline", "rev", "admin", "bad"] {
        let _ = writeln!(
            out,
            r#"<marker id="{id}-{class}" class="m-{class}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>"#
        );
    }
    out.push_str("</defs>\n");
    for (lane, msg) in [
        (Lane::Terminal, Msg::LaneTerminal),
        (Lane::Network, Msg::LaneNetwork),
        (Lane::Host, Msg::LaneHost),
    ] {
        let x = lane.x();
        let _ = writeln!(
            out,
            r#"<line class="lane" x1="{x}" y1="40" x2="{x}" y2="{height}"/><rect class="lane-head" x="{}" y="6" width="170" height="30" rx="6"/><text class="lane-title" x="{x}" y="26" text-anchor="middle">{}</text>"#,
            x - 85,
            esc(lang.t(msg))
        );
    }
    for (from, to) in off_bands {
        let _ = writeln!(
            out,
            r#"<rect class="off-band" x="{}" y="{from}" width="14" height="{}"/>"#,
            TERM_X - 7,
            to.saturating_sub(from)
        );
    }
    out.push_str(&body);
    out.push_str("</svg>");
    out
}

/// The rows of the ladder, with a gap row before each long pause.
fn rows(t: &Transcript, lang: Lang) -> Vec<Row> {
    let mut out = Vec::new();
    let mut prev: Option<At> = None;
    let mut closed = std::collections::BTreeSet::new();
    for e in &t.events {
        // Both sides of a connection report its end; one mark says it.
        if let EventKind::Link(LinkEvent::ConnClosed { conn, .. }) = &e.kind
            && !closed.insert(*conn)
        {
            continue;
        }
        let row = match &e.kind {
            EventKind::Link(LinkEvent::Frame(f)) => Some(Row::Frame {
                at: e.at,
                frame: f.clone(),
            }),
            EventKind::Link(l) => link_note(l, lang).map(|(text, title)| Row::Note {
                at: e.at,
                lane: Lane::Network,
                text,
                class: "conn",
                title,
            }),
            EventKind::Terminal(te) => {
                let (text, class) = terminal_note(te, lang);
                Some(Row::Note {
                    at: e.at,
                    lane: Lane::Terminal,
                    title: text.clone(),
                    text,
                    class,
                })
            }
            EventKind::Host(h @ (HostEvent::Down | HostEvent::Up)) => Some(Row::Note {
                at: e.at,
                lane: Lane::Host,
                text: if *h == HostEvent::Down {
                    format!("✕ {}", lang.t(Msg::HostDown))
                } else {
                    lang.t(Msg::HostUp).to_string()
                },
                class: "alert",
                title: String::new(),
            }),
            EventKind::Host(HostEvent::Journal { entry }) => {
                let (text, class, title) = journal_note(entry, lang);
                Some(Row::Note {
                    at: e.at,
                    lane: Lane::Host,
                    text,
                    class,
                    title,
                })
            }
        };
        let Some(row) = row else { continue };
        if let Some(p) = prev
            && e.at.0.saturating_sub(p.0) >= GAP_MS
        {
            out.push(Row::Gap(e.at.0 - p.0));
        }
        prev = Some(e.at);
        out.push(row);
    }
    out
}

fn link_note(l: &LinkEvent, lang: Lang) -> Option<(String, String)> {
    let (text, title) = match l {
        LinkEvent::ConnOpened { conn, route } => (
            format!("#{conn} {}", lang.t(Msg::ConnOpened)),
            if route.is_primary() {
                String::new()
            } else {
                format!("{} route", route.name())
            },
        ),
        LinkEvent::ConnClosed { conn, side, how } => (
            format!("#{conn} {}", lang.t(Msg::ConnClosed)),
            format!("closed by {side:?} ({how})"),
        ),
        LinkEvent::UpstreamFailed { conn, error } => (
            format!("#{conn} {}", lang.t(Msg::UpstreamFailed)),
            error.clone(),
        ),
        LinkEvent::ConnFault { conn, rule, what } => (format!("#{conn} ⚡ {rule}"), what.clone()),
        LinkEvent::Refusing { rule, until } => (format!("⛔ {rule}"), format!("until {until}")),
        LinkEvent::Listening { rule } => (format!("✓ {rule}"), String::new()),
        LinkEvent::Frame(_) | LinkEvent::Delivered { .. } => return None,
    };
    Some((text, title))
}

/// A command's name in the report's language; an op this build does not know stays as sent.
fn op_name(op: &str, lang: Lang) -> &str {
    match op {
        "sale" => lang.t(Msg::Sale),
        "auth" => lang.t(Msg::Auth),
        "refund" => lang.t(Msg::Refund),
        other => other,
    }
}

fn terminal_note(e: &TerminalEvent, lang: Lang) -> (String, &'static str) {
    let t = |m| lang.t(m);
    match e {
        TerminalEvent::Command {
            terminal: _,
            txn,
            op,
            amount,
            card,
        } => (
            format!("{} {txn} · {amount} · {card}", op_name(op, lang)),
            "cmd",
        ),
        TerminalEvent::Unsupported { txn, op } => (
            format!("{} {txn}: {}", op_name(op, lang), t(Msg::Unsupported)),
            "alert",
        ),
        TerminalEvent::Skipped { txn, op, after } => (
            format!(
                "{} {txn}: {}",
                op_name(op, lang),
                lang.fill(Msg::Skipped, after)
            ),
            "alert",
        ),
        TerminalEvent::AdviceRefused { stan, rc, .. } => {
            (format!("✕ 0220 · STAN {stan} · RC {rc}"), "alert")
        }
        TerminalEvent::ManagementFailed { what, stan, .. } => {
            (format!("✕ {what} · STAN {stan}"), "alert")
        }
        TerminalEvent::DialFailed { route, .. } => (
            format!("✕ {} · {}", t(Msg::DialFailed), route.name()),
            "alert",
        ),
        TerminalEvent::ConnectFailed { stan, .. } => (
            format!("✕ {} · STAN {stan}", t(Msg::ConnectFailed)),
            "alert",
        ),
        TerminalEvent::Timeout { stan, after } => (
            format!("{} {after} · STAN {stan}", t(Msg::Timeout)),
            "alert",
        ),
        TerminalEvent::ConnectionLost { stan, .. } => (
            format!("✕ {} · STAN {stan}", t(Msg::ConnectionLost)),
            "alert",
        ),
        TerminalEvent::NotCompleted { stan, why } => (format!("✕ STAN {stan}: {why}"), "alert"),
        TerminalEvent::InvalidReply { stan, why } => (
            format!("✕ {} · STAN {stan}: {why}", t(Msg::InvalidReply)),
            "alert",
        ),
        TerminalEvent::ReversalQueued { stan, reason } => (
            format!("↩ {} · STAN {stan} · RC {reason}", t(Msg::ReversalDue)),
            "rev",
        ),
        TerminalEvent::ReversalSent { attempt, .. } => (
            format!("↩ {}", lang.fill(Msg::ReversalSent, attempt)),
            "rev",
        ),
        TerminalEvent::ReversalAcked { stan, rc } => (
            format!("✓ {} · STAN {stan} · RC {rc}", t(Msg::ReversalAcked)),
            "rev",
        ),
        TerminalEvent::ReversalUnanswered { attempt, .. } => (
            format!("↩ {}", lang.fill(Msg::ReversalUnanswered, attempt)),
            "alert",
        ),
        TerminalEvent::ReversalPending { attempts, .. } => (
            format!("↩ {}", lang.fill(Msg::ReversalPending, attempts)),
            "alert",
        ),
        TerminalEvent::LateReply { stan, mti, rc } => (
            format!(
                "{} · {mti} STAN {stan} RC {}",
                t(Msg::LateReply),
                rc.as_deref().unwrap_or("-")
            ),
            "info",
        ),
        TerminalEvent::PowerOff => (format!("⚡ {}", t(Msg::PowerOff)), "power-off"),
        TerminalEvent::PowerOn => (format!("⚡ {}", t(Msg::PowerOn)), "power-on"),
        TerminalEvent::Note { text } => (text.clone(), "info"),
        TerminalEvent::Log { stream, line } => (format!("{stream}: {line}"), "info"),
        TerminalEvent::Outcome(o) => {
            let mut words = vec![lang.result(o.result).to_string()];
            if let Some(rc) = &o.rc {
                words.push(format!("RC {rc}"));
            }
            if let Some(r) = o.reason {
                words.push(lang.reason(r).to_string());
            }
            if let Some(r) = o.reversal {
                words.push(lang.reversal(r).to_string());
            }
            let class = if o.result == TxnResult::Approved {
                "ok"
            } else {
                "bad"
            };
            (
                format!("{} {}: {}", t(Msg::Outcome), o.txn, words.join(", ")),
                class,
            )
        }
    }
}

fn journal_note(j: &JournalEntry, lang: Lang) -> (String, &'static str, String) {
    let mut text = format!(
        "{} #{} {} · {} · RC {}",
        lang.t(Msg::Journal),
        j.seq,
        j.mti,
        lang.decision(j.decision),
        j.rc
    );
    if let Some(delta) = j.delta
        && delta.0 != 0
    {
        let sign = if delta.0 < 0 { '−' } else { '+' };
        let _ = write!(text, " · {sign}{}", crate::money::Amount(delta.0.abs()));
    }
    let class = match j.decision {
        Decision::Approved | Decision::Posted | Decision::Accepted => "ok",
        Decision::Declined | Decision::Unreadable | Decision::Unanswered => "bad",
        Decision::Reversed
        | Decision::ReversalRepeat
        | Decision::ReversalUnknown
        | Decision::ReversalNothing => "rev",
    };
    let mut title = format!("STAN {} · terminal {}", j.stan, j.terminal);
    if let (Some(acct), Some(bal)) = (&j.account, j.balance) {
        let _ = write!(title, " · {acct} = {bal}");
    }
    (text, class, title)
}

fn time_label(out: &mut String, at: At, last: &mut Option<At>, mid: u32) {
    if *last != Some(at) {
        let _ = write!(
            out,
            r#"<text class="t" x="{TIME_X}" y="{}" text-anchor="end">{at}</text>"#,
            mid + 4
        );
        *last = Some(at);
    }
}

/// The arrow class of a frame: what kind of message it is, so colour says it at a glance.
fn frame_class(f: &FrameEvent) -> &'static str {
    let Some(mti) = f.mti.as_deref() else {
        return "bad";
    };
    if mti.starts_with("04") {
        "rev"
    } else if mti.starts_with("08") || mti.starts_with("05") {
        "admin"
    } else if f.dir == Direction::ToTerminal {
        match f.field(39) {
            Some("00") | None => "rsp",
            Some(_) => "decline",
        }
    } else {
        "req"
    }
}

/// A frame's fate as transcripts write it.
fn fate_word(fate: Fate) -> String {
    serde_json::to_value(fate)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

fn draw_frame(out: &mut String, f: &FrameEvent, lang: Lang, id: &str, mid: u32) {
    let class = frame_class(f);
    // Frames the proxy stopped end at the network lane; replies it made up start there.
    let dropped = matches!(
        f.fate,
        Fate::Dropped | Fate::Answered | Fate::Closed | Fate::Reset | Fate::Hung | Fate::Swallowed
    );
    let injected = f.fate == Fate::Injected;
    let (from, to) = match (f.dir, dropped) {
        (Direction::ToHost, false) => (TERM_X, HOST_X),
        (Direction::ToHost, true) => (TERM_X, NET_X),
        (Direction::ToTerminal, _) if injected => (NET_X, TERM_X),
        (Direction::ToTerminal, false) => (HOST_X, TERM_X),
        (Direction::ToTerminal, true) => (HOST_X, NET_X),
    };
    let mut label = match &f.mti {
        Some(mti) => {
            let mut s = format!("{mti} STAN {}", f.field(11).unwrap_or("-"));
            if let Some(rc) = f.field(39) {
                let _ = write!(s, " RC {rc}");
            }
            s
        }
        None => lang.t(Msg::Unreadable).to_string(),
    };
    if !dropped && let Some(rule) = &f.rule {
        let _ = write!(label, " · {} {rule}", lang.t(Msg::RuleFired));
        if f.fate != Fate::Forwarded && !injected {
            let _ = write!(label, " ({})", fate_word(f.fate));
        }
    }
    let line_y = mid + 6;
    let label_x = (from + to) / 2;
    let w = text_width(&label) + 10;
    // A dropped frame ends in the cross at the network lane, not in an arrowhead.
    let marker = if dropped {
        String::new()
    } else {
        format!(r#" marker-end="url(#{id}-{class})""#)
    };
    let _ = write!(
        out,
        r#"<g class="frame {class}{}"><title>{}</title><line x1="{from}" y1="{line_y}" x2="{to}" y2="{line_y}"{marker}/><rect class="label-bg" x="{}" y="{}" width="{w}" height="15" rx="3"/><text x="{label_x}" y="{}" text-anchor="middle">{}</text>"#,
        if dropped { " dropped" } else { "" },
        esc(&frame_title(f)),
        label_x - w / 2,
        mid - 11,
        mid + 1,
        esc(&label)
    );
    if dropped {
        let rule = f.rule.as_deref().unwrap_or("?");
        let text = if f.fate == Fate::Dropped {
            format!("{} {rule}", lang.t(Msg::DroppedBy))
        } else {
            format!("{} · {rule}", fate_word(f.fate).to_uppercase())
        };
        let (tx, anchor) = match f.dir {
            Direction::ToHost => (NET_X + 14, "start"),
            Direction::ToTerminal => (NET_X - 14, "end"),
        };
        let _ = write!(
            out,
            r#"<path class="cross" d="M{a},{b} L{c},{d} M{a},{d} L{c},{b}"/><text class="drop-text" x="{tx}" y="{}" text-anchor="{anchor}">{}</text>"#,
            line_y + 4,
            esc(&text),
            a = NET_X - 7,
            b = line_y - 7,
            c = NET_X + 7,
            d = line_y + 7,
        );
    }
    out.push_str("</g>");
}

/// The tooltip of a frame: connection, direction and every (masked) field.
fn frame_title(f: &FrameEvent) -> String {
    let mut s = format!("conn {} {}", f.conn, f.dir.arrow());
    if let Some(e) = &f.error {
        let _ = write!(s, " {e}");
    }
    for (n, v) in &f.fields {
        let _ = write!(s, "\n{n:>3} {v}");
    }
    s
}

fn draw_note(out: &mut String, lane: Lane, text: &str, class: &str, title: &str, mid: u32) {
    let w = text_width(text) + 16;
    let x = lane
        .x()
        .saturating_sub(w / 2)
        .clamp(TIME_X + 6, WIDTH - 4 - w);
    let cx = x + w / 2;
    let _ = write!(out, r#"<g class="note {class}">"#);
    if !title.is_empty() {
        let _ = write!(out, "<title>{}</title>", esc(title));
    }
    if matches!(lane, Lane::Network) {
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text></g>"#,
            lane.x(),
            mid + 4,
            esc(text)
        );
        return;
    }
    let _ = write!(
        out,
        r#"<rect x="{x}" y="{}" width="{w}" height="22" rx="11"/><text x="{cx}" y="{}" text-anchor="middle">{}</text></g>"#,
        mid - 11,
        mid + 4,
        esc(text)
    );
}

/// Estimated width in pixels of `s` in the ladder's 12px monospace font: 7.3px per narrow
/// character, 12.5px per wide (CJK) one.
fn text_width(s: &str) -> u32 {
    let tenths: u32 = s
        .chars()
        .map(|c| if (c as u32) < 0x2E80 { 73 } else { 125 })
        .sum();
    tenths / 10
}

/// A pause as people say it: `60s`, `59.97s`.
fn pause(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        let s = format!("{}.{:03}", ms / 1000, ms % 1000);
        format!("{}s", s.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_read_like_durations() {
        assert_eq!(pause(60_000), "60s");
        assert_eq!(pause(59_970), "59.97s");
        assert_eq!(pause(2_005), "2.005s");
    }

    #[test]
    fn a_dropped_frame_ends_in_a_cross_naming_its_rule_and_power_loss_shades_the_terminal() {
        use crate::check::fixtures::{frame, term, transcript};
        use posfault_proxies::fault::Direction::{ToHost, ToTerminal};
        let mut reply = frame(ToTerminal, "0210", "000001", Fate::Dropped);
        if let EventKind::Link(LinkEvent::Frame(f)) = &mut reply {
            f.rule = Some("lose-first-reply".into());
        }
        let t = transcript(vec![
            (1000, frame(ToHost, "0200", "000001", Fate::Forwarded)),
            (1010, term(TerminalEvent::PowerOff)),
            (1020, reply),
            (6010, term(TerminalEvent::PowerOn)),
        ]);
        let svg = svg(&t, Lang::En, "x");
        assert!(svg.contains("DROPPED by lose-first-reply"), "{svg}");
        assert!(svg.contains(r#"class="cross""#), "{svg}");
        assert_eq!(
            svg.matches("marker-end=").count(),
            1,
            "only the 0200 has an arrowhead"
        );
        assert_eq!(svg.matches(r#"class="off-band""#).count(), 1, "{svg}");
        assert!(svg.contains("4.99s later"), "{svg}");
        assert!(svg.contains("0200 STAN 000001") && svg.contains("0210 STAN 000001"));
    }

    #[test]
    fn skipped_and_unsupported_steps_and_host_crashes_read_in_the_report_language() {
        use crate::check::fixtures::{term, transcript};
        let t = transcript(vec![
            (
                1000,
                term(TerminalEvent::Skipped {
                    txn: "t2".into(),
                    op: "refund".into(),
                    after: "t1".into(),
                }),
            ),
            (
                1010,
                term(TerminalEvent::Unsupported {
                    txn: "t3".into(),
                    op: "auth".into(),
                }),
            ),
            (1020, EventKind::Host(HostEvent::Down)),
            (1030, EventKind::Host(HostEvent::Up)),
        ]);
        let en = svg(&t, Lang::En, "x");
        assert!(en.contains("refund t2: skipped, t1 has no outcome"), "{en}");
        assert!(
            en.contains("auth t3: not supported by this terminal"),
            "{en}"
        );
        assert!(en.contains("✕ host down") && en.contains("host up"), "{en}");
        let zh = svg(&t, Lang::ZhCn, "x");
        assert!(zh.contains("退货 t2: 已跳过:t1 无结果"), "{zh}");
        assert!(zh.contains("预授权 t3: 终端不支持此交易"), "{zh}");
        assert!(zh.contains("✕ 主机停机") && zh.contains("主机恢复"), "{zh}");
        for english in [
            "skipped",
            "supported",
            "host down",
            "host up",
            "refund",
            "auth t3",
        ] {
            assert!(!zh.contains(english), "{english:?} left in English: {zh}");
        }
    }

    #[test]
    fn wide_characters_count_wider() {
        assert!(text_width("超时超时") > text_width("abcd"));
    }
}
