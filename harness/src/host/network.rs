//! Network management, 0800: sign-on (code 001) answers the terminal's open batch number in
//! field 60 and brings its keys back in step; sign-off (002); echo test (301). The code is in
//! field 70, or in UnionPay dialects (fields 1-64 only) the last three digits of field 60.

use posfault_proxies::wire::Message;

use crate::host::journal::{Decision, JournalEntry};
use crate::host::logic::{Host, respond};

pub(crate) fn management(h: &mut Host, req: &Message) -> (Option<Message>, JournalEntry) {
    let tid = req.text(41).unwrap_or_default().to_string();
    let known = h.cfg.merchants.is_empty()
        || h.cfg
            .merchants
            .iter()
            .any(|m| m.terminals.iter().any(|t| t.id == tid));
    let decline = |h: &Host, rc: &str, why: String| {
        let mut e = h.entry(req, Decision::Declined, rc);
        e.reason = Some(why);
        (None, e)
    };
    // UnionPay dialects (no field 70) carry the code as 60.3, after the type (2) and batch (6).
    let code = req
        .text(70)
        .or_else(|| req.text(60).and_then(|f| f.get(8..11)));
    match code {
        None => decline(
            h,
            "30",
            "field 70 (network management code) is missing".into(),
        ),
        Some(_) if !known => decline(h, "03", format!("terminal {tid:?} is not registered")),
        Some("001") => {
            h.signed_on.insert(tid.clone());
            let batch = h.batch_of(&tid);
            let mut rsp = respond(req, req.mti().response().expect("0800 is a request"), "00");
            rsp.set(60, format!("{batch:06}")); // batch number
            let mut e = h.entry(req, Decision::Accepted, "00");
            e.reason = Some(format!("sign-on; open batch {batch}"));
            (Some(rsp), e)
        }
        Some("002") => {
            h.signed_on.remove(&tid);
            let mut e = h.entry(req, Decision::Accepted, "00");
            e.reason = Some("sign-off".into());
            (None, e)
        }
        Some("301") => {
            let mut e = h.entry(req, Decision::Accepted, "00");
            e.reason = Some("echo test".into());
            (None, e)
        }
        Some(code) => decline(
            h,
            "12",
            format!("network management code {code} is not supported; expected 001, 002 or 301"),
        ),
    }
}
