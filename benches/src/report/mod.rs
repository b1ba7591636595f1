//! Results: rows of measurements, written as a markdown table, a CSV and an
//! SVG chart (`results.md`, `results.csv`, `results.svg`).

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::runtime::Runtime;
use crate::stats;

mod chart;

/// What a row measures.
#[derive(Clone, Copy, Debug)]
pub struct Metric {
    /// e.g. "round trips/s".
    pub name: &'static str,
    /// Whether a bigger number is better.
    pub higher_is_better: bool,
}

/// One runtime's measurements for one case of one workload.
#[derive(Clone, Debug)]
pub struct Row {
    /// Registry name of the workload, e.g. "echo".
    pub workload: &'static str,
    /// The case within it, e.g. "16 conns, 64 B".
    pub case: String,
    /// Who was measured.
    pub runtime: Runtime,
    /// What was measured.
    pub metric: Metric,
    /// One value per repetition.
    pub samples: Vec<f64>,
    /// Median over repetitions of the p50 latency (µs), where measured.
    pub p50_us: Option<f64>,
    /// Median over repetitions of the p99 latency (µs), where measured.
    pub p99_us: Option<f64>,
}

impl Row {
    /// Median over repetitions.
    pub fn median(&self) -> f64 {
        stats::median(&self.samples)
    }
}

/// Everything one invocation measured.
#[derive(Default)]
pub struct Report {
    /// Lines describing the machine and the settings.
    pub header: Vec<String>,
    /// Measurements, grouped by workload in run order.
    pub rows: Vec<Row>,
    /// Skipped workloads, tools used instead, warnings.
    pub notes: Vec<String>,
}

impl Report {
    /// `row`'s median divided by the median of `base` on the same case.
    pub fn ratio(&self, row: &Row, base: Runtime) -> Option<f64> {
        let base = self.rows.iter().find(|r| r.workload == row.workload && r.case == row.case && r.runtime == base)?;
        Some(row.median() / base.median())
    }

    /// The results as markdown, one table per workload.
    pub fn markdown(&self) -> String {
        let mut md = String::from("# ringline benchmark results\n\n");
        for line in &self.header {
            let _ = writeln!(md, "- {line}");
        }
        let mut workloads: Vec<&str> = self.rows.iter().map(|r| r.workload).collect();
        workloads.dedup();
        for workload in workloads {
            let rows: Vec<&Row> = self.rows.iter().filter(|r| r.workload == workload).collect();
            let metric = rows[0].metric;
            let better = if metric.higher_is_better { "higher" } else { "lower" };
            let has_raw = rows.iter().any(|r| r.runtime == Runtime::RawUring);
            let has_latency = rows.iter().any(|r| r.p50_us.is_some());
            let _ = writeln!(md, "\n## {workload}: {} ({better} is better)\n", metric.name);
            md.push_str("| case | runtime | median | min | max |");
            md.push_str(if has_latency { " p50 µs | p99 µs |" } else { "" });
            md.push_str(" vs tokio |");
            md.push_str(if has_raw { " vs raw |\n" } else { "\n" });
            let columns = 6 + 2 * has_latency as usize + has_raw as usize;
            md.push_str(&"|---".repeat(columns));
            md.push_str("|\n");
            for row in rows {
                let _ = write!(
                    md,
                    "| {} | {} | {} | {} | {} |",
                    row.case,
                    row.runtime.label(),
                    number(row.median()),
                    number(stats::min(&row.samples)),
                    number(stats::max(&row.samples)),
                );
                if has_latency {
                    let _ = write!(md, " {} | {} |", opt(row.p50_us), opt(row.p99_us));
                }
                let _ = write!(md, " {} |", ratio(self.ratio(row, Runtime::Tokio)));
                if has_raw {
                    let _ = write!(md, " {} |", ratio(self.ratio(row, Runtime::RawUring)));
                }
                md.push('\n');
            }
        }
        if !self.notes.is_empty() {
            md.push_str("\n## Notes\n\n");
            for note in &self.notes {
                let _ = writeln!(md, "- {note}");
            }
        }
        md
    }

    /// The results as CSV, one line per row.
    pub fn csv(&self) -> String {
        let mut csv = String::from(
            "workload,case,runtime,metric,higher_is_better,median,min,max,reps,p50_us,p99_us,ratio_vs_tokio,ratio_vs_raw\n",
        );
        let field = |x: Option<f64>| x.map(|x| format!("{x:.4}")).unwrap_or_default();
        for row in &self.rows {
            let _ = writeln!(
                csv,
                "{},\"{}\",{},\"{}\",{},{:.4},{:.4},{:.4},{},{},{},{},{}",
                row.workload,
                row.case,
                row.runtime.id(),
                row.metric.name,
                row.metric.higher_is_better,
                row.median(),
                stats::min(&row.samples),
                stats::max(&row.samples),
                row.samples.len(),
                field(row.p50_us),
                field(row.p99_us),
                field(self.ratio(row, Runtime::Tokio)),
                field(self.ratio(row, Runtime::RawUring)),
            );
        }
        csv
    }

    /// Writes `results.md`, `results.csv` and `results.svg` into `dir`.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("results.md"), self.markdown())?;
        std::fs::write(dir.join("results.csv"), self.csv())?;
        std::fs::write(dir.join("results.svg"), chart::svg(self))?;
        Ok(())
    }
}

/// A number for a table: integers with thousands separators, small ones with
/// three significant digits.
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    if x.abs() >= 1000.0 {
        let digits = format!("{:.0}", x.abs());
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        return if x < 0.0 { format!("-{out}") } else { out };
    }
    match x.abs() {
        a if a >= 100.0 => format!("{x:.0}"),
        a if a >= 10.0 => format!("{x:.1}"),
        a if a >= 1.0 => format!("{x:.2}"),
        _ => format!("{x:.3}"),
    }
}

fn opt(x: Option<f64>) -> String {
    x.map(number).unwrap_or_else(|| "–".into())
}

fn ratio(x: Option<f64>) -> String {
    x.map(|x| format!("{x:.2}×")).unwrap_or_else(|| "–".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(runtime: Runtime, value: f64) -> Row {
        Row {
            workload: "echo",
            case: "1 conn, 64 B".into(),
            runtime,
            metric: Metric { name: "round trips/s", higher_is_better: true },
            samples: vec![value, value * 2.0, value / 2.0],
            p50_us: Some(12.5),
            p99_us: None,
        }
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(number(1234567.4), "1,234,567");
        assert_eq!(number(999.6), "1000");
        assert_eq!(number(12.34), "12.3");
        assert_eq!(number(0.01234), "0.012");
        assert_eq!(number(f64::NAN), "–");
    }

    #[test]
    fn tables_carry_ratios() {
        let report =
            Report { rows: vec![row(Runtime::Tokio, 100.0), row(Runtime::RawUring, 200.0)], ..Report::default() };
        let md = report.markdown();
        assert!(md.contains("| 1 conn, 64 B | raw io_uring | 200 | 100 | 400 | 12.5 | – | 2.00× | 1.00× |"));
        let csv = report.csv();
        assert_eq!(csv.lines().count(), 3);
        assert!(csv.contains("raw-uring,\"round trips/s\",true,200.0000"));
        assert!(chart::svg(&report).contains("<svg"));
    }
}
