//! Data files for data-driven runs (`--data`, a collection's `data:`; docs/collections.md,
//! "Data files"): CSV with a header row, or a JSON array of objects. Each row becomes a layer
//! of variables.

use std::path::Path;

use indexmap::IndexMap;

/// One row: field name → value (CSV cells typed as `--var` values are).
pub type Row = IndexMap<String, serde_json::Value>;

/// The rows of a data file, and its field names (the union over rows, in first-seen order).
#[derive(Debug, Clone, Default)]
pub struct DataSet {
    pub fields: Vec<String>,
    pub rows: Vec<Row>,
}

/// Why a data file could not be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DataError {
    /// Not a regular file, over the size cap, unreadable or not UTF-8 (see [`crate::fs`]).
    #[error("{0}")]
    File(Box<crate::fs::ReadError>),
    #[error("data file `{path}`: {message}")]
    Format { path: String, message: String },
    #[error("data file `{path}` has no rows")]
    Empty { path: String },
    #[error("data file `{path}` must end in `.csv` or `.json`")]
    Kind { path: String },
}

/// Reads a CSV or JSON data file, chosen by its extension.
pub fn read_data(path: &Path) -> Result<DataSet, DataError> {
    let shown = crate::diag::display_path(path);
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let text = crate::fs::read_text(path, crate::fs::InputKind::Data)
        .map_err(|e| DataError::File(Box::new(e)))?;
    let set = match ext.as_deref() {
        Some("csv") => parse_csv(&text, &shown)?,
        Some("json") => parse_json(&text, &shown)?,
        _ => return Err(DataError::Kind { path: shown }),
    };
    if set.rows.is_empty() {
        return Err(DataError::Empty { path: shown });
    }
    Ok(set)
}

/// Where a quoted cell opens and never closes (line and column, 1-based), record by record
/// with [`crate::value::quoting`].
fn unclosed_quote(text: &str) -> Option<(usize, usize)> {
    let mut start = 0;
    while start < text.len() {
        let quoting = crate::value::quoting(&text[start..]);
        if let Some(open) = quoting.unclosed {
            let before = &text[..start + open];
            let line_start = before.rfind('\n').map_or(0, |at| at + 1);
            let line = before.matches('\n').count() + 1;
            return Some((line, before[line_start..].chars().count() + 1));
        }
        start += quoting.end;
    }
    None
}

/// CSV with a header row; cells typed by [`crate::value::typed_cell`].
pub fn parse_csv(text: &str, shown: &str) -> Result<DataSet, DataError> {
    // The csv reader runs a quoted cell that never closes to the end of the file, which can
    // quietly turn every row after it into that one cell.
    if let Some((line, column)) = unclosed_quote(text) {
        return Err(DataError::Format {
            path: shown.to_owned(),
            message: format!(
                "line {line}, column {column}: a quoted cell is never closed: add the closing `\"` (a quote inside a quoted cell is written `\"\"`)"
            ),
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    let fields: Vec<String> = reader
        .headers()
        .map_err(|e| DataError::Format {
            path: shown.to_owned(),
            message: e.to_string(),
        })?
        .iter()
        .map(str::to_owned)
        .collect();
    if fields.iter().any(String::is_empty) {
        return Err(DataError::Format {
            path: shown.to_owned(),
            message: "the header row has an empty column name".to_owned(),
        });
    }
    // A repeated name would silently keep one of the columns: each row is a map by name.
    for (i, name) in fields.iter().enumerate() {
        if let Some(first) = fields[..i].iter().position(|f| f == name) {
            return Err(DataError::Format {
                path: shown.to_owned(),
                message: format!(
                    "the header row names the column `{name}` twice (columns {} and {}): rename one",
                    first + 1,
                    i + 1
                ),
            });
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| DataError::Format {
            path: shown.to_owned(),
            message: e.to_string(),
        })?;
        // Cells are typed like `--var` values; one written in CSV quotes stays a string.
        let raw = record
            .position()
            .map_or("", |p| text.get(p.byte() as usize..).unwrap_or(""));
        let quoted = crate::value::quoting(raw).fields;
        let row: Row = fields
            .iter()
            .zip(record.iter())
            .enumerate()
            .map(|(i, (k, v))| {
                let typed = crate::value::typed_cell(v, quoted.get(i).copied().unwrap_or(false));
                (k.clone(), typed)
            })
            .collect();
        rows.push(row);
    }
    Ok(DataSet { fields, rows })
}

/// A JSON array of objects.
pub fn parse_json(text: &str, shown: &str) -> Result<DataSet, DataError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| DataError::Format {
        path: shown.to_owned(),
        message: format!(
            "invalid JSON at line {} column {}: {e}",
            e.line(),
            e.column()
        ),
    })?;
    let serde_json::Value::Array(items) = value else {
        return Err(DataError::Format {
            path: shown.to_owned(),
            message: "expected a JSON array of objects".to_owned(),
        });
    };
    let mut fields: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let serde_json::Value::Object(map) = item else {
            return Err(DataError::Format {
                path: shown.to_owned(),
                message: format!("row {} is not an object", i + 1),
            });
        };
        for k in map.keys() {
            if !fields.contains(k) {
                fields.push(k.clone());
            }
        }
        rows.push(map.into_iter().collect());
    }
    Ok(DataSet { fields, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows() {
        let d = parse_csv("id,name\nV-1,Acme\nV-2,\"Beta, Inc\"\n", "d.csv").unwrap();
        assert_eq!(d.fields, ["id", "name"]);
        assert_eq!(d.rows.len(), 2);
        assert_eq!(d.rows[1]["name"], "Beta, Inc");
    }

    #[test]
    fn csv_cells_are_typed_unless_quoted() {
        let d = parse_csv("n,q,d,e,b\n5,\"5\",125.50,,true\n", "d.csv").unwrap();
        let row = &d.rows[0];
        assert_eq!(row["n"], 5);
        assert_eq!(row["q"], "5");
        assert_eq!(row["d"], "125.50");
        assert_eq!(row["e"], "");
        assert_eq!(row["b"], true);
    }

    #[test]
    fn json_rows_keep_types() {
        let d = parse_json(
            r#"[{"id": 1, "ok": true}, {"id": 2, "extra": null}]"#,
            "d.json",
        )
        .unwrap();
        assert_eq!(d.fields, ["id", "ok", "extra"]);
        assert_eq!(d.rows[0]["id"], 1);
        assert!(parse_json("{}", "d.json").is_err());
        assert!(parse_json("[1]", "d.json").is_err());
    }

    #[test]
    fn an_unclosed_quote_is_an_error_at_its_line_not_rows_swallowed() {
        // Read as one row whose `name` holds the two lines below, without the check.
        let err = parse_csv("id,name\n1,\"Acme\n2,Beta\n3,Gamma\n", "d.csv").unwrap_err();
        assert_eq!(
            err.to_string(),
            "data file `d.csv`: line 2, column 3: a quoted cell is never closed: add the closing `\"` (a quote inside a quoted cell is written `\"\"`)"
        );
        // Closed quotes, doubled quotes, line breaks inside quotes, quotes inside a cell.
        for ok in [
            "id,name\n1,\"Acme, \"\"Inc\"\"\"\n",
            "id,name\r\n1,\"two\r\nlines\"\r\n",
            "id,size\n1,5\" screen\n",
            "id,name\n\"1\",\"\"\n",
        ] {
            assert_eq!(unclosed_quote(ok), None, "{ok:?}");
            assert!(parse_csv(ok, "d.csv").is_ok(), "{ok:?}");
        }
        assert_eq!(unclosed_quote("a,b\n1,2\n\"é\n"), Some((3, 1)));
        assert_eq!(unclosed_quote("a,b\né,\"x"), Some((2, 3)));
    }

    #[test]
    fn ragged_csv_is_an_error() {
        assert!(parse_csv("a,b\n1\n", "d.csv").is_err());
    }

    #[test]
    fn duplicate_csv_columns_are_an_error() {
        let err = parse_csv("id,name, id\n1,a,2\n", "d.csv").unwrap_err();
        assert_eq!(
            err.to_string(),
            "data file `d.csv`: the header row names the column `id` twice (columns 1 and 3): rename one"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn data_files_must_be_regular_files() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("rows.csv");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let err = read_data(&link).unwrap_err().to_string();
        assert!(
            err.starts_with("data file `")
                && err.ends_with("rows.csv` is a character device, not a regular file"),
            "{err}"
        );
    }
}
