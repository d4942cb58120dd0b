//! Fixed texts of the human reports (Markdown, HTML) in English and Simplified Chinese.
//!
//! A table, not a framework: one `match` per kind of text, each arm giving both languages, so
//! the compiler refuses a text that lacks a translation. Data (scenario descriptions, check
//! findings, rule names) is shown as written; advice comes from `declines.yaml`.

use clap::ValueEnum;

use crate::check::CheckId;
use crate::declines::{Category, Cause, Text};
use crate::host::Decision;
use crate::terminal::{FailReason, ReversalState, TxnResult};

/// The language of the human reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Lang {
    /// English.
    #[default]
    #[value(name = "en")]
    En,
    /// Simplified Chinese.
    #[value(name = "zh-CN")]
    ZhCn,
}

/// A fixed text.
#[allow(missing_docs)] // Each variant is its English text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    Title,
    Scenarios,
    Total,
    Passed,
    Failed,
    Pass,
    Fail,
    Status,
    Scenario,
    Seed,
    File,
    Dialect,
    Sha256,
    Requirements,
    Requirement,
    CertSummary,
    CertNote,
    Met,
    NotMet,
    Evidence,
    NoRequirements,
    Verdicts,
    Check,
    Verdict,
    Explanation,
    CheckOk,
    CheckFailedAsExpected,
    CheckMissedDefect,
    CheckFailed,
    CheckNotApplicable,
    Outcomes,
    Transaction,
    Result,
    Display,
    Advice,
    Cause,
    NoOutcomes,
    Mismatch,
    /// `expect.journal` does not hold.
    JournalMismatch,
    RunError,
    Ladder,
    LadderLegend,
    Replay,
    Failures,
    NoFailures,
    WhyFailed,
    LaneTerminal,
    LaneNetwork,
    LaneHost,
    DroppedBy,
    RuleFired,
    Timeout,
    DialFailed,
    ConnectFailed,
    ConnectionLost,
    InvalidReply,
    ReversalDue,
    ReversalSent,
    ReversalAcked,
    ReversalUnanswered,
    ReversalPending,
    LateReply,
    PowerOff,
    PowerOn,
    Outcome,
    Sale,
    Auth,
    Refund,
    /// A command the terminal under test does not implement.
    Unsupported,
    /// A step whose `after_txn` transaction never got an outcome.
    Skipped,
    HostDown,
    HostUp,
    ConnOpened,
    ConnClosed,
    UpstreamFailed,
    Unreadable,
    Later,
    Journal,
    Checks,
    NotReversedWarning,
    PendingWarning,
}

impl Lang {
    /// The `lang` attribute value for HTML.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// A fixed text with its `{n}` or `{d}` placeholder filled in.
    pub fn fill(self, m: Msg, value: impl std::fmt::Display) -> String {
        let v = value.to_string();
        self.t(m).replace("{n}", &v).replace("{d}", &v)
    }

    fn pick(self, en: &'static str, zh: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::ZhCn => zh,
        }
    }

    /// A fixed text.
    pub fn t(self, m: Msg) -> &'static str {
        use Msg::*;
        let (en, zh) = match m {
            Title => ("posfault fault report", "posfault 故障测试报告"),
            Scenarios => ("Scenarios", "场景"),
            Total => ("total", "共计"),
            Passed => ("passed", "通过"),
            Failed => ("failed", "失败"),
            Pass => ("PASS", "通过"),
            Fail => ("FAIL", "失败"),
            Status => ("Status", "状态"),
            Scenario => ("Scenario", "场景"),
            Seed => ("Seed", "种子"),
            File => ("File", "文件"),
            Dialect => ("Dialect", "报文规范"),
            Sha256 => ("SHA-256", "SHA-256"),
            Requirements => ("Requirements", "需求"),
            Requirement => ("Requirement", "需求"),
            CertSummary => ("Certification summary", "认证汇总"),
            CertNote => (
                "A requirement is met when every scenario that evidences it passed. IDs are listed in docs/requirements.md.",
                "证明某项需求的所有场景均通过时,该需求即满足。需求编号见 docs/requirements.md。",
            ),
            Met => ("met", "满足"),
            NotMet => ("NOT MET", "未满足"),
            Evidence => ("Evidence", "证据"),
            NoRequirements => ("No scenario declares requirements.", "没有场景声明需求。"),
            Verdicts => ("Verdicts", "检查结论"),
            Check => ("Check", "检查项"),
            Verdict => ("Verdict", "结论"),
            Explanation => ("What it requires", "检查要求"),
            CheckOk => ("passed", "通过"),
            CheckFailedAsExpected => (
                "failed, as the scenario expects (the oracle caught the defect)",
                "按场景预期失败(已发现缺陷)",
            ),
            CheckMissedDefect => (
                "passed, but the scenario expects it to fail: the oracle missed the defect",
                "通过,但场景预期其失败:未能发现缺陷",
            ),
            CheckFailed => ("failed", "失败"),
            CheckNotApplicable => ("not applicable", "不适用"),
            Outcomes => ("Outcomes", "交易结果"),
            Transaction => ("Transaction", "交易"),
            Result => ("Result", "结果"),
            Display => ("Terminal shows", "终端显示"),
            Advice => ("Advice", "处理建议"),
            Cause => ("Cause", "原因"),
            NoOutcomes => (
                "The terminal reported no outcome.",
                "终端未报告任何交易结果。",
            ),
            Mismatch => ("Outcome not as pinned", "交易结果与预期不符"),
            JournalMismatch => ("Host journal not as pinned", "主机账务与预期不符"),
            RunError => ("Run error", "运行错误"),
            Ladder => ("Message ladder", "报文时序图"),
            LadderLegend => (
                "Time runs down. Each row is one event; a dashed band marks a pause with its length.",
                "时间自上而下。每行一个事件;虚线带表示间隔时长。",
            ),
            Replay => ("Replay", "重放命令"),
            Failures => ("Failures", "失败详情"),
            NoFailures => ("Every scenario passed.", "所有场景均通过。"),
            WhyFailed => ("Why it failed", "失败原因"),
            LaneTerminal => ("Terminal", "终端"),
            LaneNetwork => ("Network (proxy)", "网络(代理)"),
            LaneHost => ("Host", "主机"),
            DroppedBy => ("DROPPED by", "已丢弃,规则"),
            RuleFired => ("rule", "规则"),
            Timeout => ("TIMEOUT", "超时"),
            DialFailed => ("dial failed", "拨号失败"),
            ConnectFailed => ("connect failed", "连接失败"),
            ConnectionLost => ("connection lost", "连接中断"),
            InvalidReply => ("invalid reply", "无效应答"),
            ReversalDue => ("reversal due", "需冲正"),
            ReversalSent => ("reversal sent (attempt {n})", "发送冲正(第 {n} 次)"),
            ReversalAcked => ("reversal acknowledged", "冲正已确认"),
            ReversalUnanswered => ("reversal unanswered (attempt {n})", "冲正无应答(第 {n} 次)"),
            ReversalPending => (
                "reversal still pending after {n} sends",
                "冲正仍待发送(已发送 {n} 次)",
            ),
            LateReply => ("late reply ignored", "迟到应答已忽略"),
            PowerOff => ("POWER OFF", "断电"),
            PowerOn => ("power on", "上电"),
            Outcome => ("OUTCOME", "结果"),
            Sale => ("sale", "消费"),
            Auth => ("auth", "预授权"),
            Refund => ("refund", "退货"),
            Unsupported => ("not supported by this terminal", "终端不支持此交易"),
            Skipped => ("skipped, {n} has no outcome", "已跳过:{n} 无结果"),
            HostDown => ("host down", "主机停机"),
            HostUp => ("host up", "主机恢复"),
            ConnOpened => ("connection opened", "连接建立"),
            ConnClosed => ("connection closed", "连接关闭"),
            UpstreamFailed => ("cannot reach host", "无法连接主机"),
            Unreadable => ("unreadable frame", "无法解析的报文"),
            Later => ("{d} later", "{d} 之后"),
            Journal => ("journal", "流水"),
            Checks => ("Checks", "检查"),
            NotReversedWarning => (
                "The terminal did NOT reverse this sale: the cardholder may be charged. Check the host's journal before running the sale again.",
                "终端未冲正此交易:持卡人可能已被扣款。重新交易前请先核对主机流水。",
            ),
            PendingWarning => (
                "The reversal is still pending in the terminal; it will be sent before the next online transaction.",
                "冲正仍保存在终端中,将在下一笔联机交易前发送。",
            ),
        };
        self.pick(en, zh)
    }

    /// What a check requires, in a sentence: the explanation shown with a failed verdict.
    pub fn check_text(self, c: CheckId) -> &'static str {
        let (en, zh) = match c {
            CheckId::DeclineCategory => (
                "Every decline must be reported under the cause, category and advice declines.yaml gives for its response code, and link failures as network.",
                "每笔拒绝必须按 declines.yaml 中该应答码的原因、类别和建议报告;链路故障须报告为网络类。",
            ),
            CheckId::ReversalAfterNoResponse => (
                "A request left without a valid, in-time reply must be reversed (0400 with the original STAN) before the next financial request.",
                "请求未在超时前收到有效应答时,必须在下一笔金融交易前发送冲正(0400,原 STAN)。",
            ),
            CheckId::ReversalRetryPolicy => (
                "An unacknowledged reversal must be resent up to the policy's count, never faster than its interval, and go before the next financial request.",
                "未确认的冲正必须按参数重发(不超过次数、不快于间隔),并在下一笔金融交易前发送。",
            ),
            CheckId::ReversalSurvivesPowerCycle => (
                "A reversal that was due before a power loss must be the first thing sent after the reboot.",
                "断电前已需冲正的交易,重启后必须首先发送冲正。",
            ),
            CheckId::NoStanReuse => (
                "A financial request must never be sent twice with the same STAN.",
                "金融交易请求不得使用相同 STAN 重复发送。",
            ),
            CheckId::LateReplyNotApproved => (
                "A reply that arrives after the timeout must never turn a transaction into \"approved\".",
                "超时后到达的应答不得使交易变为“批准”。",
            ),
            CheckId::OutcomeMatchesJournal => (
                "What the terminal reports must match the host's final journal (approved only if approved and not reversed).",
                "终端报告的结果必须与主机最终流水一致(仅当主机批准且未冲正时才为批准)。",
            ),
            CheckId::MoneyConserved => (
                "The host's net movement must equal the sum of the approvals the terminal reported.",
                "主机净扣款金额必须等于终端报告的批准交易金额之和。",
            ),
            CheckId::ConnectRetryPolicy => (
                "A failed connect must be redialed no sooner than the backoff, and every host the terminal has (primary, backup) must be tried before a transaction fails for want of a connection.",
                "连接失败后重拨间隔不得短于退避时间;在因无法连接而判定交易失败之前,必须尝试终端配置的所有主机(主用、备用)。",
            ),
            CheckId::AdvicesForwarded => (
                "A sale approved offline must reach the host as a 0220 advice before the terminal settles, and be sent after the next exchange the host answers.",
                "脱机批准的交易必须在结算前以 0220 通知上送主机,并在主机下一次应答后发送。",
            ),
        };
        self.pick(en, zh)
    }

    /// A transaction result.
    pub fn result(self, r: TxnResult) -> &'static str {
        match r {
            TxnResult::Approved => self.pick("approved", "批准"),
            TxnResult::Declined => self.pick("declined", "拒绝"),
            TxnResult::Failed => self.pick("failed", "失败"),
        }
    }

    /// Why a transaction failed.
    pub fn reason(self, r: FailReason) -> &'static str {
        match r {
            FailReason::NoResponse => self.pick("no response", "无应答"),
            FailReason::InvalidReply => self.pick("invalid reply", "应答无效"),
            FailReason::Connect => self.pick("no connection", "无法连接"),
            FailReason::ReversalPending => self.pick("reversal pending", "冲正未完成"),
            FailReason::AdvicesPending => self.pick("advices pending", "离线通知未上送"),
            FailReason::NotCompleted => self.pick("not completed", "交易未完成"),
        }
    }

    /// Where a reversal stands.
    pub fn reversal(self, r: ReversalState) -> &'static str {
        match r {
            ReversalState::Acknowledged => self.pick("reversed", "已冲正"),
            ReversalState::Pending => self.pick("reversal pending", "冲正待发送"),
            ReversalState::None => self.pick("not reversed", "未冲正"),
        }
    }

    /// A host decision.
    pub fn decision(self, d: Decision) -> &'static str {
        match d {
            Decision::Approved => self.pick("approved", "批准"),
            Decision::Declined => self.pick("declined", "拒绝"),
            Decision::Reversed => self.pick("reversed", "已冲正"),
            Decision::ReversalRepeat => self.pick("repeat reversal", "重复冲正"),
            Decision::ReversalUnknown => self.pick("reversal of unknown sale", "冲正原交易不存在"),
            Decision::Unreadable => self.pick("unreadable", "无法解析"),
            Decision::ReversalNothing => {
                self.pick("reversal of a declined sale", "冲正原交易已拒绝")
            }
            Decision::Posted => self.pick("advice posted", "通知已入账"),
            Decision::Accepted => self.pick("accepted", "已受理"),
            Decision::Unanswered => self.pick("closed without answer", "未应答即断开"),
        }
    }

    /// A decline category.
    pub fn category(self, c: Category) -> &'static str {
        match c {
            Category::Cardholder => self.pick("cardholder", "持卡人"),
            Category::Merchant => self.pick("merchant", "商户"),
            Category::Risk => self.pick("risk", "风控"),
            Category::System => self.pick("system", "系统"),
            Category::Network => self.pick("network", "网络"),
        }
    }

    /// A cause's meaning and advice in this language.
    pub fn cause_text(self, c: &'static Cause) -> &'static Text {
        match self {
            Lang::En => &c.en,
            Lang::ZhCn => &c.zh,
        }
    }
}
