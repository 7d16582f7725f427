//! Printing results on the terminal: lines made by [`crate::present`], or JSON for scripts.

use serde::Serialize;

pub fn json<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("views serialise")
    );
}

pub fn error(json: bool, kind: &str, message: &str) {
    tracing::warn!(kind, "{message}");
    if json {
        println!(
            "{}",
            serde_json::json!({ "ok": false, "error": kind, "message": message })
        );
    } else {
        eprintln!("{message}");
    }
}

/// Prints lines on stdout.
pub fn lines(lines: &[String]) {
    for line in lines {
        println!("{line}");
    }
}

/// Prints rows as columns aligned by display width; the first row is the header.
pub fn table(rows: &[Vec<String>]) {
    lines(&crate::present::table_lines(rows));
}
