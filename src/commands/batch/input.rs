//! Reading a batch file: CSV with a header, a JSON array, or JSON lines (CLI.md section 1,
//! "Batch"). Every problem is reported with its line number; nothing is sent for a file that
//! cannot be used unless `--skip-invalid` leaves those rows out.

use std::collections::HashMap;

use serde_json::value::RawValue;
use serde_json::Value;

use crate::cli::{parse_po_number, parse_sn};

/// One row of the file, as given; values it leaves empty take the command-line flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The row's place in the file (0 for the first), which tells rows apart even when a
    /// JSON array puts several on one line.
    pub index: usize,
    /// The line the row starts on.
    pub line: usize,
    pub sn: String,
    pub plan: Option<String>,
    pub billing_contact: Option<String>,
    pub years: Option<u8>,
    pub po_number: Option<String>,
    /// Every column as given, in order, carried through to the results.
    pub columns: Vec<(String, Value)>,
    /// The subscription as the account's listing gave it (`renew --expiring-within`): the
    /// check phase then asks the portal nothing more about the PBX.
    pub listed: Option<Box<yeastar_partner::Subscription>>,
}

/// A row that cannot be used, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub index: usize,
    pub line: usize,
    pub reason: String,
    pub columns: Vec<(String, Value)>,
}

/// What a file holds: the usable rows, and the rest with their reasons.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<Row>,
    pub invalid: Vec<Invalid>,
    /// The column names in the order first seen, for the results.
    pub header: Vec<String>,
}

/// A file that cannot be read as rows at all.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("it has no rows")]
    NoRows,
    #[error("line {line}: not CSV or JSON text (it holds a NUL byte: a spreadsheet or another binary file?)")]
    NotText { line: usize },
    #[error("line {line}: {reason}")]
    Syntax { line: usize, reason: String },
    #[error("there is no `sn` column (or `productNo`)")]
    NoSnColumn,
    #[error("there is no `sn` column: its first line ({first}) looks like a row, not a header; add the header line `sn` at the top")]
    Headerless { first: String },
}

const SN_NAMES: [&str; 2] = ["sn", "productNo"];

fn field<'a>(columns: &'a [(String, Value)], names: &[&str]) -> Option<&'a Value> {
    columns
        .iter()
        .find(|(name, _)| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
        .map(|(_, value)| value)
}

/// A cell's text: strings as they are, numbers as their digits; empty and null are absent.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads the rows of a file's text.
pub fn parse(text: &str) -> Result<Parsed, FileError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return Err(FileError::Empty);
    }
    // CSV takes almost any text as one odd column; a binary file is said to be one.
    if let Some(offset) = text.find('\0') {
        return Err(FileError::NotText {
            line: line_of(text, offset),
        });
    }
    let records = match trimmed.as_bytes()[0] {
        b'[' => json_array(text)?,
        b'{' => json_lines(text)?,
        _ => csv_records(text)?,
    };
    if records.is_empty() {
        return Err(FileError::NoRows);
    }
    let mut parsed = Parsed::default();
    for (_, columns) in &records {
        for (name, _) in columns {
            if !parsed.header.contains(name) {
                parsed.header.push(name.clone());
            }
        }
    }
    if !parsed
        .header
        .iter()
        .any(|h| SN_NAMES.iter().any(|n| n.eq_ignore_ascii_case(h)))
    {
        // A bare list of SNs: the first one was taken for the header.
        if let Some(first) = parsed.header.first() {
            if first.bytes().any(|b| b.is_ascii_digit()) && parse_sn(first).is_ok() {
                return Err(FileError::Headerless {
                    first: first.clone(),
                });
            }
        }
        return Err(FileError::NoSnColumn);
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, (line, columns)) in records.into_iter().enumerate() {
        match row(index, line, &columns) {
            Ok(row) => {
                let key = row.sn.to_ascii_uppercase();
                if let Some(first) = seen.get(&key) {
                    parsed.invalid.push(Invalid {
                        index,
                        line,
                        reason: format!(
                            "SN {} is also on line {first}: one order per PBX per file",
                            row.sn
                        ),
                        columns,
                    });
                } else {
                    seen.insert(key, line);
                    parsed.rows.push(row);
                }
            }
            Err(reason) => parsed.invalid.push(Invalid {
                index,
                line,
                reason,
                columns,
            }),
        }
    }
    Ok(parsed)
}

fn row(index: usize, line: usize, columns: &[(String, Value)]) -> Result<Row, String> {
    let sn = text(field(columns, &SN_NAMES)).ok_or("the SN is empty")?;
    let sn = parse_sn(&sn)?;
    let years = match text(field(columns, &["years", "multiCycle"])) {
        None => None,
        Some(years) => Some(
            years
                .parse::<u8>()
                .ok()
                .filter(|y| (1..=5).contains(y))
                .ok_or_else(|| format!("years is {years:?}, not 1 to 5"))?,
        ),
    };
    let po_number = match text(field(columns, &["po_number", "poNumber"])) {
        None => None,
        Some(po) => Some(parse_po_number(&po)?),
    };
    Ok(Row {
        index,
        line,
        sn,
        plan: text(field(columns, &["plan"])),
        billing_contact: text(field(columns, &["billing_contact", "billingContact"])),
        years,
        po_number,
        columns: columns.to_vec(),
        listed: None,
    })
}

/// The 1-based line of a byte offset; an offset on line breaks counts as the next line with
/// text (the CSV reader's positions point before the blank lines it skips).
fn line_of(text: &str, mut offset: usize) -> usize {
    while matches!(text.as_bytes().get(offset), Some(b'\n' | b'\r')) {
        offset += 1;
    }
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn syntax(error: &serde_json::Error) -> FileError {
    FileError::Syntax {
        line: error.line(),
        reason: format!("not valid JSON ({error})"),
    }
}

/// An object's members, or a reason on its line.
fn members(raw: &RawValue) -> Result<Vec<(String, Value)>, String> {
    let members = crate::rawjson::object_members(raw.get())
        .map_err(|_| "a row must be a JSON object".to_owned())?;
    members
        .into_iter()
        .map(|(name, value)| {
            // A whole number that fits 64 bits stays a number; any other number keeps its
            // text as a string, so that no digit is lost through a float.
            let text = value.get().trim();
            let value = match text.as_bytes().first() {
                Some(b'-' | b'0'..=b'9') => match (text.parse::<i64>(), text.parse::<u64>()) {
                    (Ok(n), _) => Value::from(n),
                    (_, Ok(n)) => Value::from(n),
                    _ => Value::String(text.to_owned()),
                },
                _ => serde_json::from_str(text).unwrap_or(Value::Null),
            };
            Ok((name, value))
        })
        .collect()
}

type Records = Vec<(usize, Vec<(String, Value)>)>;

fn json_array(text: &str) -> Result<Records, FileError> {
    let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| syntax(&e))?;
    let mut records = Vec::new();
    for item in items {
        // A borrowed raw value points into the text: its line is where it starts.
        let offset = (item.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let line = line_of(text, offset);
        match members(item) {
            Ok(columns) => records.push((line, columns)),
            Err(reason) => return Err(FileError::Syntax { line, reason }),
        }
    }
    Ok(records)
}

fn json_lines(text: &str) -> Result<Records, FileError> {
    let mut records = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let raw: &RawValue = serde_json::from_str(line).map_err(|e| FileError::Syntax {
            line: index + 1,
            reason: format!("not valid JSON ({e})"),
        })?;
        let columns = members(raw).map_err(|reason| FileError::Syntax {
            line: index + 1,
            reason,
        })?;
        records.push((index + 1, columns));
    }
    Ok(records)
}

/// The separator of a CSV file, told from its header line: the one of `,` `;` and tab it
/// holds most of, outside quotes (a comma when it holds none: a single column).
fn delimiter(text: &str) -> u8 {
    let header = text
        .trim_start_matches('\u{feff}')
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in header.bytes() {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(count) = counts.iter_mut().find(|(d, _)| *d == byte) {
                count.1 += 1;
            }
        }
    }
    counts
        .iter()
        .rev()
        .max_by_key(|(_, count)| *count)
        .filter(|(_, count)| *count > 0)
        .map_or(b',', |(d, _)| *d)
}

/// The line of a quote that opens a field and is never closed: the CSV reader would take the
/// rest of the file as one value.
fn unclosed_quote(text: &str, delimiter: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at_field_start = true;
    let mut opened: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        match opened {
            Some(_) if byte == b'"' => {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    opened = None;
                    at_field_start = false;
                }
            }
            Some(_) => {}
            None if byte == b'"' && at_field_start => opened = Some(i),
            None => at_field_start = byte == delimiter || byte == b'\n' || byte == b'\r',
        }
        i += 1;
    }
    opened.map(|offset| line_of(text, offset))
}

fn csv_records(text: &str) -> Result<Records, FileError> {
    let delimiter = delimiter(text);
    if let Some(line) = unclosed_quote(text, delimiter) {
        return Err(FileError::Syntax {
            line,
            reason: "a quote is opened and never closed".to_owned(),
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| FileError::Syntax {
            line: 1,
            reason: format!("not CSV ({e})"),
        })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let mut records = Vec::new();
    for record in reader.records() {
        // Lines from byte offsets: the reader does not count the blank lines it skips.
        let record = record.map_err(|e| FileError::Syntax {
            line: e
                .position()
                .map(|p| line_of(text, p.byte() as usize))
                .unwrap_or(0),
            reason: format!("not valid CSV ({e})"),
        })?;
        let line = record
            .position()
            .map(|p| line_of(text, p.byte() as usize))
            .unwrap_or(0);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let columns = header
            .iter()
            .zip(record.iter())
            .map(|(name, value)| (name.clone(), Value::String(value.to_owned())))
            .collect();
        records.push((line, columns));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_a_header_and_defaults_left_empty() {
        let parsed = parse(
            "sn,plan,years,note\n369471667338,,2,first\n\n1234560202,Linkus Cloud Service Pro,,x\n",
        )
        .unwrap();
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.rows[0].line, 2);
        assert_eq!(parsed.rows[0].plan, None);
        assert_eq!(parsed.rows[0].years, Some(2));
        assert_eq!(parsed.rows[1].line, 4);
        assert_eq!(
            parsed.rows[1].plan.as_deref(),
            Some("Linkus Cloud Service Pro")
        );
        assert_eq!(parsed.header, ["sn", "plan", "years", "note"]);
    }

    #[test]
    fn the_separator_is_told_from_the_header_line() {
        assert_eq!(delimiter("sn;plan;note\nA1;x;\"a, b\"\n"), b';');
        assert_eq!(delimiter("sn\tplan\nA1\tx\n"), b'\t');
        assert_eq!(delimiter("sn,plan\nA1;B;C,x\n"), b',');
        assert_eq!(delimiter("sn\nA1\n"), b',');
        assert_eq!(delimiter("\"s;n\",plan\n"), b',');
        let parsed = parse("sn;note\nA1;\"x; \"\"y\"\"\"\n").unwrap();
        assert_eq!(parsed.rows[0].columns[1].1, Value::from("x; \"y\""));
        assert_eq!(unclosed_quote("sn,note\nA1,ab\"c\n", b','), None);
    }

    #[test]
    fn json_arrays_and_lines_with_product_no_for_sn() {
        let array = "[\n  {\"productNo\": \"369471667338\", \"daysLeft\": 12},\n  {\"productNo\": 1234560202}\n]";
        let parsed = parse(array).unwrap();
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!((parsed.rows[0].line, parsed.rows[1].line), (2, 3));
        assert_eq!(parsed.rows[1].sn, "1234560202");
        let lines =
            parse("{\"sn\":\"A1\",\"years\":3}\n{\"sn\":\"B2\",\"po_number\":\"PO 7\"}\n").unwrap();
        assert_eq!(lines.rows[0].years, Some(3));
        assert_eq!(lines.rows[1].po_number.as_deref(), Some("PO 7"));
    }

    #[test]
    fn bad_input_is_reported_with_its_line() {
        assert_eq!(parse("  \n").unwrap_err(), FileError::Empty);
        assert_eq!(parse("sn\n").unwrap_err(), FileError::NoRows);
        assert_eq!(parse("[]").unwrap_err(), FileError::NoRows);
        assert_eq!(
            parse("sn\nA1\n\0PK\u{3}\n").unwrap_err(),
            FileError::NotText { line: 3 }
        );
        assert_eq!(
            parse("serial,plan\nA1,x\n").unwrap_err(),
            FileError::NoSnColumn
        );
        assert_eq!(
            parse("369471667338\n369471667339\n").unwrap_err(),
            FileError::Headerless {
                first: "369471667338".to_owned()
            }
        );
        assert!(matches!(
            parse("sn,note\nA1,\"open\nB2,x\n").unwrap_err(),
            FileError::Syntax { line: 2, .. }
        ));
        assert!(matches!(
            parse("[{\"sn\": 1},\n{oops}]").unwrap_err(),
            FileError::Syntax { line: 2, .. }
        ));
        assert!(matches!(
            parse("{\"sn\":\"A\"}\n{\"sn\":\n").unwrap_err(),
            FileError::Syntax { line: 2, .. }
        ));
        assert!(matches!(
            parse("sn,plan\nA1\n").unwrap_err(),
            FileError::Syntax { line: 2, .. }
        ));
        let parsed = parse("sn,years\nA1,9\nB-2,1\nA1,1\nC3,\n").unwrap();
        let reasons: Vec<(usize, &str)> = parsed
            .invalid
            .iter()
            .map(|i| (i.line, i.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert_eq!(reasons[0].0, 2);
        assert!(reasons[0].1.contains("years"));
        assert_eq!(reasons[1].0, 3);
        // A1's first row was invalid, so the second is not a duplicate.
        assert_eq!(
            parsed.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [4, 5]
        );
        let twice = parse("sn\nA1\na1\n").unwrap();
        assert!(twice.invalid[0].reason.contains("also on line 2"));
    }
}
