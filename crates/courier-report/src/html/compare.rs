//! The page of `courier compare`: the two environments, the counts, the filters, the pairs
//! that differ first with every difference (path, kind, left, right), then every pair with
//! its statuses, skip reason and noise.

use std::fmt::Write as _;

use crate::contract::{CompareDifferenceKind, ComparePair, CompareReport, ReportScope};

use super::{escape, page, ratio_bar, show_json};

/// What a pair came to, for its mark and the outcome filter.
fn verdict(p: &ComparePair) -> &'static str {
    if p.skip_reason.is_some() {
        "skipped"
    } else if p.differences.is_empty() && p.left_status.is_some() && p.right_status.is_some() {
        "identical"
    } else {
        "different"
    }
}

fn kind(k: CompareDifferenceKind) -> &'static str {
    match k {
        CompareDifferenceKind::Changed => "changed",
        CompareDifferenceKind::Added => "added",
        CompareDifferenceKind::Removed => "removed",
        CompareDifferenceKind::TypeChanged => "type changed",
        CompareDifferenceKind::Status => "status",
    }
}

fn scope(s: ReportScope) -> &'static str {
    match s {
        ReportScope::Production => "production",
        ReportScope::NonProduction => "non-production",
    }
}

/// The HTML report of a comparison. `report` must already be redacted (the compare command
/// builds it with both sides' secrets): this only escapes.
pub fn render_compare(report: &CompareReport) -> String {
    let s = &report.summary;
    let title = format!(
        "Courier compare · {} ↔ {} · {} different",
        report.left.name, report.right.name, s.different
    );
    let mut out = String::new();
    let _ = write!(
        out,
        "<header class=\"top\"><div class=\"inner\"><h1>Courier compare report</h1>\
         <div class=\"meta\"><span>left <strong>{l}</strong> <span class=\"badge {ls}\">{ls}</span></span>\
         <span>right <strong>{r}</strong> <span class=\"badge {rs}\">{rs}</span></span></div>\
         <div class=\"summary\">",
        l = escape(&report.left.name),
        ls = scope(report.left.scope),
        r = escape(&report.right.name),
        rs = scope(report.right.scope),
    );
    for (class, n) in [
        ("identical", s.identical),
        ("different", s.different),
        ("skipped", s.skipped),
    ] {
        let _ = write!(
            out,
            "<div class=\"stat {class}\"><span class=\"n\" data-count=\"{class}\">{n}</span>\
             <span class=\"l\">{class}</span></div>"
        );
    }
    out.push_str("</div>");
    out.push_str(&ratio_bar(&[
        ("identical", s.identical),
        ("different", s.different),
        ("skipped", s.skipped),
    ]));
    out.push_str("</div></header>\n<main>\n");

    out.push_str(
        "<nav class=\"filters\" aria-label=\"filters\"><span class=\"label\">outcome</span>",
    );
    for value in ["all", "different", "identical", "skipped"] {
        let _ = write!(
            out,
            "<button type=\"button\" data-filter-outcome=\"{value}\" aria-pressed=\"{}\">{value}</button>",
            value == "all"
        );
    }
    out.push_str("<span class=\"shown\"></span></nav>\n");

    let different: Vec<&ComparePair> = report
        .pairs
        .iter()
        .filter(|p| verdict(p) == "different")
        .collect();
    let _ = writeln!(
        out,
        "<section id=\"failures\"><h2>Differences ({})</h2>",
        different.len()
    );
    if different.is_empty() {
        out.push_str("<div class=\"card none\">No pair differs.</div>");
    }
    for p in different {
        differing_pair(&mut out, report, p);
    }
    out.push_str("</section>\n<section id=\"requests\"><h2>All pairs</h2>\n");
    pairs_table(&mut out, report);
    out.push_str("</section>\n");
    let _ = write!(
        out,
        "<footer>courier · JSON compare report version {}</footer>\n</main>",
        report.version
    );
    page(&title, &out)
}

fn status(s: Option<u16>) -> String {
    s.map_or_else(|| "–".to_owned(), |s| s.to_string())
}

fn differing_pair(out: &mut String, report: &CompareReport, p: &ComparePair) {
    let _ = write!(
        out,
        "<article class=\"card failure\" data-outcome=\"different\" data-tags=\"\"><div class=\"head\">\
         <span class=\"mark different\">DIFF</span><h3>{} / {}</h3>\
         <span class=\"muted\">{} {} · {} {}</span></div><div class=\"body\">",
        escape(&p.collection),
        escape(&p.request),
        escape(&report.left.name),
        status(p.left_status),
        escape(&report.right.name),
        status(p.right_status),
    );
    if p.differences.is_empty() {
        out.push_str("<div class=\"check muted\">a side has no response to compare</div>");
    } else {
        let _ = write!(
            out,
            "<table class=\"diffs\"><thead><tr><th>path</th><th>kind</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            escape(&report.left.name),
            escape(&report.right.name)
        );
        for d in &p.differences {
            let side = |v: &Option<serde_json::Value>| {
                v.as_ref().map_or_else(
                    || "<span class=\"muted\">(absent)</span>".to_owned(),
                    |v| format!("<pre>{}</pre>", escape(&show_json(v))),
                )
            };
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&d.path),
                kind(d.kind),
                side(&d.left),
                side(&d.right)
            );
        }
        out.push_str("</tbody></table>");
    }
    if !p.noise.is_empty() {
        let _ = write!(
            out,
            "<div class=\"muted\">noise left out: <code>{}</code></div>",
            escape(&p.noise.join(", "))
        );
    }
    out.push_str("</div></article>\n");
}

fn pairs_table(out: &mut String, report: &CompareReport) {
    out.push_str(
        "<div class=\"card collection\" data-group><table class=\"requests pairs\"><thead><tr><th></th>\
         <th>collection / request</th><th class=\"num\">left</th><th class=\"num\">right</th>\
         <th>differences</th></tr></thead><tbody>",
    );
    for p in &report.pairs {
        let v = verdict(p);
        let mark = match v {
            "identical" => "SAME",
            "skipped" => "SKIP",
            _ => "DIFF",
        };
        let what = match &p.skip_reason {
            Some(reason) => format!("skipped: {}", escape(reason)),
            None if p.differences.is_empty() => String::new(),
            None => format!("{} difference(s)", p.differences.len()),
        };
        let _ = write!(
            out,
            "<tr class=\"request\" data-outcome=\"{v}\" data-tags=\"\"><td><span class=\"mark {v}\">{mark}</span></td>\
             <td>{} / {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"muted\">{what}</td></tr>",
            escape(&p.collection),
            escape(&p.request),
            status(p.left_status),
            status(p.right_status),
        );
    }
    out.push_str("</tbody></table></div>\n");
}
