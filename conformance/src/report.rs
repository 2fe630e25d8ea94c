//! Reports of a run: one line per scenario, the closing tally, and the JUnit
//! XML and JSON files written on request.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

use crate::failure::Failure;
use crate::scenario::{Group, Tier};

/// How one scenario ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail(Box<Failure>),
    Skip(String),
}

/// One scenario's result.
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    pub name: &'static str,
    pub group: Group,
    pub tier: Tier,
    pub verdict: Verdict,
    pub duration: Duration,
}

/// Counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Tally {
    pub fn of(results: &[ScenarioResult]) -> Tally {
        let mut tally = Tally::default();
        for result in results {
            match result.verdict {
                Verdict::Pass => tally.passed += 1,
                Verdict::Fail(_) => tally.failed += 1,
                Verdict::Skip(_) => tally.skipped += 1,
            }
        }
        tally
    }

    /// `N passed, N failed`, with `, N skipped` when any were skipped.
    pub fn line(self) -> String {
        let mut line = format!("{} passed, {} failed", self.passed, self.failed);
        if self.skipped > 0 {
            let _ = write!(line, ", {} skipped", self.skipped);
        }
        line
    }
}

/// The text block for one result: a single line for a pass or a skip, and
/// the failure's evidence indented below a failing line.
pub fn result_text(result: &ScenarioResult) -> String {
    let millis = result.duration.as_millis();
    let head = format!("{}/{} [{}]", result.group, result.name, result.tier);
    match &result.verdict {
        Verdict::Pass => format!("PASS {head} ({millis} ms)"),
        Verdict::Skip(reason) => format!("SKIP {head}: {reason}"),
        Verdict::Fail(failure) => {
            let mut text = format!("FAIL {head} ({millis} ms)");
            for line in failure.to_string().lines() {
                let _ = write!(text, "\n     {line}");
            }
            text
        }
    }
}

/// A JUnit XML document: one test suite, one test case per scenario, the
/// group as the class name.
pub fn junit_xml(results: &[ScenarioResult], total: Duration) -> String {
    let tally = Tally::of(results);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuite name=\"sachet-conformance\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\">",
        results.len(),
        tally.failed,
        tally.skipped,
        total.as_secs_f64()
    );
    for result in results {
        xml.push_str(&junit_case(result));
    }
    xml.push_str("</testsuite>\n");
    xml
}

fn junit_case(result: &ScenarioResult) -> String {
    let open = format!(
        "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
        xml_escape(&format!("{}.{}", result.tier, result.group)),
        xml_escape(result.name),
        result.duration.as_secs_f64()
    );
    match &result.verdict {
        Verdict::Pass => format!("{open}/>\n"),
        Verdict::Skip(reason) => format!(
            "{open}>\n    <skipped message=\"{}\"/>\n  </testcase>\n",
            xml_escape(reason)
        ),
        Verdict::Fail(failure) => format!(
            "{open}>\n    <failure message=\"{}\">{}</failure>\n  </testcase>\n",
            xml_escape(&failure.expected),
            xml_escape(&failure.to_string())
        ),
    }
}

/// Escapes text for XML attributes and content; characters XML 1.0 cannot
/// carry at all become U+FFFD.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push_str(&format!("&#{};", u32::from(ch))),
            ch if (ch as u32) < 0x20 => out.push('\u{fffd}'),
            ch => out.push(ch),
        }
    }
    out
}

/// The JSON report: the tally and every result with its evidence.
pub fn json_report(results: &[ScenarioResult], total: Duration, base_url: &str) -> String {
    let tally = Tally::of(results);
    let report = json!({
        "base_url": base_url,
        "passed": tally.passed,
        "failed": tally.failed,
        "skipped": tally.skipped,
        "duration_ms": total.as_millis() as u64,
        "scenarios": results.iter().map(json_result).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&report).unwrap_or_else(|_| report.to_string())
}

fn json_result(result: &ScenarioResult) -> Value {
    let mut entry = json!({
        "name": result.name,
        "group": result.group.name(),
        "tier": result.tier.name(),
        "duration_ms": result.duration.as_millis() as u64,
    });
    let (outcome, detail) = match &result.verdict {
        Verdict::Pass => ("pass", Value::Null),
        Verdict::Skip(reason) => ("skip", json!({"reason": reason})),
        Verdict::Fail(failure) => (
            "fail",
            json!({
                "request": failure.request,
                "expected": failure.expected,
                "actual": failure.actual,
                "body": failure.body,
                "detail": failure.detail,
            }),
        ),
    };
    entry["outcome"] = json!(outcome);
    if !detail.is_null() {
        entry["detail"] = detail;
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &'static str, verdict: Verdict) -> ScenarioResult {
        ScenarioResult {
            name,
            group: Group::Shares,
            tier: Tier::Core,
            verdict,
            duration: Duration::from_millis(12),
        }
    }

    fn failing() -> ScenarioResult {
        let failure = Failure::new("status 404")
            .with_request("GET /files/x as u1")
            .with_actual("status 500");
        result(
            "share_get_missing_is_not_found",
            Verdict::Fail(Box::new(failure)),
        )
    }

    #[test]
    fn tally_line_mentions_skips_only_when_there_are_some() {
        let results = vec![result("a", Verdict::Pass), failing()];
        assert_eq!(Tally::of(&results).line(), "1 passed, 1 failed");
        let mut with_skip = results;
        with_skip.push(result("c", Verdict::Skip("no key".into())));
        assert_eq!(
            Tally::of(&with_skip).line(),
            "1 passed, 1 failed, 1 skipped"
        );
    }

    #[test]
    fn failing_result_prints_the_request_and_both_statuses() {
        let text = result_text(&failing());
        assert_eq!(
            text,
            "FAIL shares/share_get_missing_is_not_found [core] (12 ms)\n     \
             request:  GET /files/x as u1\n     expected: status 404\n     actual:   status 500"
        );
    }

    #[test]
    fn pass_and_skip_are_single_lines() {
        assert_eq!(
            result_text(&result("a", Verdict::Pass)),
            "PASS shares/a [core] (12 ms)"
        );
        let skip = result_text(&result("b", Verdict::Skip("needs a key".into())));
        assert_eq!(skip, "SKIP shares/b [core]: needs a key");
    }

    #[test]
    fn junit_counts_and_escapes() {
        let results = vec![result("a", Verdict::Pass), failing()];
        let xml = junit_xml(&results, Duration::from_secs(2));
        assert!(xml.contains("tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""));
        assert!(xml.contains("<testcase classname=\"core.shares\" name=\"a\" time=\"0.012\"/>"));
        assert!(xml.contains("<failure message=\"status 404\">request:  GET /files/x as u1&#10;"));
    }

    #[test]
    fn xml_escape_handles_markup_and_control_characters() {
        assert_eq!(
            xml_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
        assert_eq!(xml_escape("a\u{1}b"), "a\u{fffd}b");
    }

    #[test]
    fn json_report_carries_outcome_and_evidence() {
        let report = json_report(&[failing()], Duration::from_secs(1), "http://h");
        let value: Value = serde_json::from_str(&report).unwrap();
        assert_eq!(value["failed"], 1);
        let entry = &value["scenarios"][0];
        assert_eq!(entry["outcome"], "fail");
        assert_eq!(entry["detail"]["actual"], "status 500");
        assert_eq!(entry["group"], "shares");
    }
}
